package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// invitePrefix is where invitation links point; the raw token follows.
const invitePrefix = "/-/invites/"

// redactLogPath keeps invitation tokens out of the request log: the link
// is the only key to an invite.
func redactLogPath(p string) string {
	i := strings.Index(p, invitePrefix)
	if i < 0 {
		return p
	}
	rest := p[i+len(invitePrefix):]
	tail := ""
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		tail = rest[j:]
	}
	return p[:i+len(invitePrefix)] + "[FILTERED]" + tail
}

// pendingInvite is an invitation found by the token of the request, with
// the group or project it is for.
type pendingInvite struct {
	member *model.Member
	src    *memberSource // level is not filled: the visitor is not a member yet
	token  string
}

// loadInvite finds the invitation of :token; ok is false (and the answer
// written) when there is none.
func (h *Handler) loadInvite(c echo.Context) (*pendingInvite, bool, error) {
	token := c.Param("token")
	ctx := h.ctx(c)
	m, err := h.store.InviteByToken(ctx, token)
	if isNotFound(err) {
		return nil, false, web.Render(c, http.StatusNotFound, views.InviteNotFoundPage(h.srv.Page(c, "Invitation not found")))
	}
	if err != nil {
		return nil, false, err
	}
	src := &memberSource{typ: m.SourceType, id: m.SourceID}
	if m.SourceType == model.SourceProject {
		src.project, err = h.store.Project(ctx, m.SourceID)
	} else {
		src.group, err = h.store.Group(ctx, m.SourceID)
	}
	if err != nil {
		return nil, false, err
	}
	return &pendingInvite{member: m, src: src, token: token}, true, nil
}

func (h *Handler) inviteData(c echo.Context, inv *pendingInvite) (views.InviteData, error) {
	d := views.InviteData{
		Path: invitePrefix + inv.token, Kind: inv.src.kind(), SourceName: inv.src.name(), Level: inv.member.AccessLevel,
		InviteEmail: *inv.member.InviteEmail, CanRegister: true,
	}
	if inv.member.CreatedByName != "" {
		d.InvitedBy = inv.member.CreatedByName + " (@" + inv.member.CreatedByUsername + ")"
	}
	if u := user(c); u != nil {
		d.SignedIn = true
		if !strings.EqualFold(u.Email, d.InviteEmail) {
			d.UserEmail = u.Email
		}
		return d, nil
	}
	_, err := h.store.UserByEmail(h.ctx(c), d.InviteEmail)
	switch {
	case err == nil:
		d.CanRegister = false
	case !isNotFound(err):
		return d, err
	}
	return d, nil
}

func (h *Handler) showInvite(c echo.Context) error {
	inv, ok, err := h.loadInvite(c)
	if !ok {
		return err
	}
	d, err := h.inviteData(c, inv)
	if err != nil {
		return err
	}
	if !d.SignedIn {
		// Signing in from here comes back here.
		h.srv.Sessions().SetReturnTo(c, d.Path)
	}
	return web.Render(c, http.StatusOK, views.InvitePage(h.srv.Page(c, "Invitation"), d))
}

func (h *Handler) acceptInvite(c echo.Context) error {
	inv, ok, err := h.loadInvite(c)
	if !ok {
		return err
	}
	u := user(c)
	if u == nil {
		h.srv.Sessions().SetReturnTo(c, invitePrefix+inv.token)
		return web.Redirect(c, signInPath)
	}
	return h.accept(c, inv, u)
}

// accept makes the invitation the user's membership and takes them to it.
func (h *Handler) accept(c echo.Context, inv *pendingInvite, u *model.User) error {
	if err := h.store.AcceptInvite(h.ctx(c), inv.member.ID, u.ID); err != nil {
		return err
	}
	h.log.Info("invite accepted", "invite_id", inv.member.ID, "user", u.Username)
	h.srv.Flash(c, "notice", fmt.Sprintf("You have been granted %s access to %s %s.", inv.member.AccessLevel, inv.src.kind(), inv.src.name()))
	return web.Redirect(c, inv.src.url())
}

func (h *Handler) declineInvite(c echo.Context) error {
	inv, ok, err := h.loadInvite(c)
	if !ok {
		return err
	}
	if err := h.store.RemoveMember(h.ctx(c), inv.member.ID); err != nil {
		return err
	}
	h.log.Info("invite declined", "invite_id", inv.member.ID)
	h.srv.Flash(c, "notice", fmt.Sprintf("You have declined the invitation to join %s %s.", inv.src.kind(), inv.src.name()))
	if user(c) == nil {
		// Signing in must not lead back to the declined invitation.
		_ = h.srv.Sessions().TakeReturnTo(c, "")
		return web.Redirect(c, signInPath)
	}
	return web.Redirect(c, "/")
}

// registerFromInvite creates an account for the invited address, signs it
// in and accepts the invitation: the e-mail proves the address.
func (h *Handler) registerFromInvite(c echo.Context) error {
	inv, ok, err := h.loadInvite(c)
	if !ok {
		return err
	}
	if u := user(c); u != nil {
		return web.Redirect(c, invitePrefix+inv.token)
	}
	d, err := h.inviteData(c, inv)
	if err != nil {
		return err
	}
	d.Register = views.RegisterForm{Username: strings.TrimSpace(c.FormValue("username")), Name: strings.TrimSpace(c.FormValue("name"))}
	fail := func(v *model.ValidationError) error {
		d.Register.Errors = formSentences(v, userFormFields)
		return web.Render(c, http.StatusUnprocessableEntity, views.InvitePage(h.srv.Page(c, "Invitation"), d))
	}
	if !d.CanRegister {
		v := &model.ValidationError{}
		v.Add("base", "An account already uses this e-mail address. Sign in to accept the invitation.")
		return fail(v)
	}
	u, err := h.store.RegisterUser(h.ctx(c), model.NewUserInput{
		Username: d.Register.Username, Name: d.Register.Name, Email: d.InviteEmail, Password: c.FormValue("password"),
	})
	if err != nil {
		v, ferr := web.FormErrors(err)
		if ferr != nil {
			return ferr
		}
		return fail(v)
	}
	h.log.Info("user registered from an invitation", "user", u.Username, "invite_id", inv.member.ID)
	if err := h.startSession(c, u); err != nil {
		return err
	}
	// The session may still remember this page as the place to return to.
	_ = h.srv.Sessions().TakeReturnTo(c, "")
	return h.accept(c, inv, u)
}
