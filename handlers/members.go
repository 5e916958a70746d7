package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// memberSource is a group or project whose members are being looked at,
// with the current user's level in it.
type memberSource struct {
	typ     string // model.SourceGroup or model.SourceProject
	id      int64
	group   *model.Group
	project *model.Project
	level   model.AccessLevel
}

func (s *memberSource) kind() string {
	if s.typ == model.SourceProject {
		return "project"
	}
	return "group"
}

func (s *memberSource) name() string {
	if s.project != nil {
		return s.project.FullName
	}
	return s.group.FullName
}

// url is the source's own page.
func (s *memberSource) url() string {
	if s.project != nil {
		return views.ProjectURL(s.project)
	}
	return views.GroupURL(s.group)
}

// membersURL is the source's members page.
func (s *memberSource) membersURL() string {
	if s.project != nil {
		return views.ProjectURL(s.project, "project_members")
	}
	return views.GroupURL(s.group, "group_members")
}

// canManage: maintainers manage a project's members, owners a group's (and
// administrators everything).
func (s *memberSource) canManage() bool {
	if s.typ == model.SourceProject {
		return s.level >= model.Maintainer
	}
	return s.level >= model.Owner
}

// maxGrant is the highest level the user may give: their own, unless they
// are an administrator.
func (s *memberSource) maxGrant() model.AccessLevel { return min(s.level, model.Owner) }

// grantable lists the levels the user may give, lowest first.
func (s *memberSource) grantable() []model.AccessLevel {
	var out []model.AccessLevel
	for _, l := range model.AccessLevels {
		if l <= s.maxGrant() {
			out = append(out, l)
		}
	}
	return out
}

// sourceLoader finds the group or project of a request (404 when the user
// cannot see it).
type sourceLoader func(c echo.Context) (*memberSource, error)

func (h *Handler) groupSource(param string) sourceLoader {
	return func(c echo.Context) (*memberSource, error) {
		g, level, err := h.groupAccess(c, pathParam(c, param))
		if err != nil {
			return nil, err
		}
		return &memberSource{typ: model.SourceGroup, id: g.ID, group: g, level: level}, nil
	}
}

func (h *Handler) projectSource(param string) sourceLoader {
	return func(c echo.Context) (*memberSource, error) {
		p, level, err := h.projectAccess(c, pathParam(c, param))
		if err != nil {
			return nil, err
		}
		return &memberSource{typ: model.SourceProject, id: p.ID, project: p, level: level}, nil
	}
}

// Errors of member management. Pages show them beside the fields; the API
// answers them with GitLab's statuses.
var (
	errMemberExists  = model.Conflict("Member already exists")
	errUserNotFound  = model.NotFound("User")
	errCannotManage  = model.Forbidden("403 Forbidden")
	errLevelTooHigh  = model.Forbidden("403 Forbidden - You cannot give an access level higher than your own")
	errMemberAbove   = model.Forbidden("403 Forbidden - You cannot change a member whose access level is higher than yours")
	errInviteTaken   = model.Conflict("Invite email has already been taken")
	errInviteToAdded = errors.New("the address belongs to an account")
)

// checkGrant refuses giving level to a member of src.
func checkGrant(src *memberSource, level model.AccessLevel) error {
	if !src.canManage() {
		return errCannotManage
	}
	if level > src.maxGrant() {
		return errLevelTooHigh
	}
	return nil
}

// checkInherited refuses a direct level lower than what the user inherits
// from an ancestor group, as GitLab does.
func (h *Handler) checkInherited(ctx context.Context, src *memberSource, userID int64, level model.AccessLevel) error {
	inherited, from, err := h.store.InheritedAccess(ctx, userID, src.typ, src.id)
	if err != nil {
		return err
	}
	if msg := model.InheritedLevelProblem(level, inherited, from); msg != "" {
		v := &model.ValidationError{}
		v.Add("access_level", msg)
		return v
	}
	return nil
}

// addMember gives an existing user a direct membership.
func (h *Handler) addMember(c echo.Context, src *memberSource, u *model.User, level model.AccessLevel, expires *time.Time) (*model.Member, error) {
	if err := checkGrant(src, level); err != nil {
		return nil, err
	}
	ctx := h.ctx(c)
	if _, err := h.store.Member(ctx, src.typ, src.id, u.ID); err == nil {
		return nil, errMemberExists
	} else if !isNotFound(err) {
		return nil, err
	}
	if err := h.checkInherited(ctx, src, u.ID, level); err != nil {
		return nil, err
	}
	by := user(c).ID
	m := &model.Member{SourceType: src.typ, SourceID: src.id, UserID: &u.ID, AccessLevel: level, CreatedByID: &by, ExpiresAt: expires}
	if err := h.store.AddMember(ctx, m); err != nil {
		return nil, err
	}
	h.log.Info("member added", "source", src.typ, "source_id", src.id, "user", u.Username, "level", int(level), "by", user(c).Username)
	return h.store.MemberByID(ctx, src.typ, src.id, m.ID)
}

// updateMember changes a direct membership's level and expiry.
func (h *Handler) updateMember(c echo.Context, src *memberSource, m *model.Member, level model.AccessLevel, expires *time.Time) error {
	if err := checkGrant(src, level); err != nil {
		return err
	}
	if m.AccessLevel > src.maxGrant() {
		return errMemberAbove
	}
	if m.UserID != nil {
		if err := h.checkInherited(h.ctx(c), src, *m.UserID, level); err != nil {
			return err
		}
	}
	if err := h.store.UpdateMember(h.ctx(c), m.ID, level, expires); err != nil {
		return err
	}
	h.log.Info("member updated", "source", src.typ, "source_id", src.id, "member_id", m.ID, "level", int(level), "by", user(c).Username)
	return nil
}

// removeMember deletes a membership or invite. Anyone may leave; removing
// others needs the right to manage members and at least their level.
func (h *Handler) removeMember(c echo.Context, src *memberSource, m *model.Member) error {
	self := m.UserID != nil && *m.UserID == user(c).ID
	if !self {
		if !src.canManage() {
			return errCannotManage
		}
		if m.AccessLevel > src.maxGrant() {
			return errMemberAbove
		}
	}
	if err := h.store.RemoveMember(h.ctx(c), m.ID); err != nil {
		return err
	}
	h.log.Info("member removed", "source", src.typ, "source_id", src.id, "member_id", m.ID, "by", user(c).Username)
	return nil
}

// invite stores an invitation for an address no account holds and mails
// it. An address that belongs to an account returns errInviteToAdded with
// that user, so the caller adds them instead. sent is false when the
// e-mail could not be handed over (the invite then shows as failed).
func (h *Handler) invite(c echo.Context, src *memberSource, email string, level model.AccessLevel, expires *time.Time) (existing *model.User, sent bool, err error) {
	if err := checkGrant(src, level); err != nil {
		return nil, false, err
	}
	ctx := h.ctx(c)
	u, err := h.store.UserByEmail(ctx, email)
	switch {
	case err == nil:
		return u, false, errInviteToAdded
	case !isNotFound(err):
		return nil, false, err
	}
	by := user(c).ID
	raw := db.RandomToken(24)
	inv := &model.Member{SourceType: src.typ, SourceID: src.id, AccessLevel: level, InviteEmail: &email, CreatedByID: &by, ExpiresAt: expires}
	if err := h.store.CreateInvite(ctx, inv, raw); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return nil, false, errInviteTaken
		}
		return nil, false, err
	}
	h.log.Info("member invited", "source", src.typ, "source_id", src.id, "invite_id", inv.ID, "level", int(level), "by", user(c).Username)
	return nil, h.sendInvite(ctx, src, inv, raw, user(c)), nil
}

// inviteSendFailure is what the members page shows when the mail server
// did not take an invitation; the technical reason goes to the log only.
const inviteSendFailure = "Hooklab could not hand the invitation to the mail server."

// sendInvite mails an invitation. A failure is logged and recorded on the
// invite so that the members page offers "Resend invite".
func (h *Handler) sendInvite(ctx context.Context, src *memberSource, inv *model.Member, raw string, inviter *model.User) bool {
	by := ""
	if inviter != nil {
		by = inviter.Name + " (@" + inviter.Username + ")"
	}
	msg := model.InviteMail(*inv.InviteEmail, by, src.kind(), src.name(), inv.AccessLevel, h.cfg.ExternalURL, raw)
	if err := h.mail.Send(ctx, msg); err != nil {
		h.log.Error("invite e-mail not sent", "invite_id", inv.ID, "err", err)
		if _, err := h.store.MarkInviteEmailFailed(ctx, raw, inviteSendFailure); err != nil {
			h.log.Error("record invite e-mail failure", "invite_id", inv.ID, "err", err)
		}
		return false
	}
	return true
}

// resendInvite gives a pending invite a new token (the old link stops
// working), clears its failure and mails it again.
func (h *Handler) resendInvite(c echo.Context, src *memberSource, inv *model.Member) (bool, error) {
	if !src.canManage() {
		return false, errCannotManage
	}
	if !inv.Pending() {
		return false, model.NotFound("Invitation")
	}
	raw := db.RandomToken(24)
	if err := h.store.ResetInvite(h.ctx(c), inv.ID, raw); err != nil {
		return false, err
	}
	h.log.Info("invite resent", "source", src.typ, "source_id", src.id, "invite_id", inv.ID, "by", user(c).Username)
	return h.sendInvite(h.ctx(c), src, inv, raw, user(c)), nil
}

// ---- Pages ----

// membersData loads everything the members page shows.
func (h *Handler) membersData(c echo.Context, src *memberSource) (views.MembersData, error) {
	ctx := h.ctx(c)
	d := views.MembersData{
		Kind: src.kind(), SourceName: src.name(), BaseURL: src.membersURL(), CanManage: src.canManage(),
		Levels: src.grantable(), ViewerID: user(c).ID, Now: h.srv.Now(),
	}
	all, err := h.store.AllMembers(ctx, src.typ, src.id)
	if err != nil {
		return d, err
	}
	for _, m := range all {
		row := views.MemberRow{Member: m, Inherited: m.Inherits(src.typ, src.id)}
		if row.Inherited {
			row.SourceURL = "/groups/" + m.SourcePath + "/-/group_members"
		} else {
			row.CanEdit = src.canManage() && m.AccessLevel <= src.maxGrant()
		}
		d.Members = append(d.Members, row)
	}
	direct, err := h.store.Members(ctx, src.typ, src.id)
	if err != nil {
		return d, err
	}
	d.ViewerAdmin, d.FailingEmails = user(c).Admin, map[string]bool{}
	for _, m := range direct {
		if m.Pending() {
			d.Invites = append(d.Invites, m)
			if m.InviteEmail != nil {
				failing, err := h.store.AddressFailing(ctx, *m.InviteEmail)
				if err != nil {
					return d, err
				}
				d.FailingEmails[*m.InviteEmail] = failing
			}
		}
	}
	return d, nil
}

func (h *Handler) membersLayout(c echo.Context, src *memberSource, title string) (views.Page, error) {
	if src.project != nil {
		return h.projectPage(c, src.project, src.level, "members", title)
	}
	return h.groupPage(c, src.group, src.level, "members", title)
}

func (h *Handler) renderMembers(c echo.Context, status int, src *memberSource, d views.MembersData) error {
	p, err := h.membersLayout(c, src, "Members · "+src.name())
	if err != nil {
		return err
	}
	return web.Render(c, status, views.MembersPage(p, d))
}

func (h *Handler) listMembers(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		src, err := load(c)
		if err != nil {
			return err
		}
		d, err := h.membersData(c, src)
		if err != nil {
			return err
		}
		return h.renderMembers(c, http.StatusOK, src, d)
	}
}

// formLevel reads the access_level of a members form.
func formLevel(c echo.Context, v *model.ValidationError) model.AccessLevel {
	level, ok := model.ParseAccessLevel(c.FormValue("access_level"))
	if !ok {
		v.Add("access_level", "is not a valid access level")
	}
	return level
}

// memberFormError turns a refusal into the message beside field, or
// returns it unchanged when it is not about the form's input.
func memberFormError(err error, field string) (*model.ValidationError, error) {
	v := &model.ValidationError{}
	switch {
	case errors.Is(err, errMemberExists):
		v.Add(field, "is already a member")
	case errors.Is(err, errInviteTaken):
		v.Add(field, "has already been invited")
	case errors.Is(err, errLevelTooHigh):
		v.Add("access_level", "cannot be higher than your own access level")
	case errors.Is(err, errUserNotFound):
		v.Add(field, "No user has this username. Check the spelling, or invite them by e-mail instead.")
	default:
		if fv, ok := model.AsValidation(err); ok {
			return fv, nil
		}
		return nil, err
	}
	return v, nil
}

func (h *Handler) createMember(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		src, err := load(c)
		if err != nil {
			return err
		}
		if !src.canManage() {
			return errCannotManage
		}
		f := views.MemberForm{Username: strings.TrimPrefix(strings.TrimSpace(c.FormValue("username")), "@"), Errors: &model.ValidationError{}}
		f.AccessLevel = formLevel(c, f.Errors)
		expires := h.formExpiry(c, &f)
		var u *model.User
		if f.Username == "" {
			f.Errors.Add("username", "can't be blank")
		} else if u, err = h.store.UserByUsername(h.ctx(c), f.Username); isNotFound(err) {
			f.Errors.Add("username", "No user has this username. Check the spelling, or invite them by e-mail instead.")
		} else if err != nil {
			return err
		}
		if f.Errors.Empty() {
			if _, err = h.addMember(c, src, u, f.AccessLevel, expires); err == nil {
				h.srv.Flash(c, "notice", fmt.Sprintf("%s was added to the %s %s as %s.", u.Username, src.name(), src.kind(), f.AccessLevel))
				return web.Redirect(c, src.membersURL())
			}
			if f.Errors, err = memberFormError(err, "username"); err != nil {
				return err
			}
		}
		d, err := h.membersData(c, src)
		if err != nil {
			return err
		}
		f.Errors = formSentences(f.Errors, memberFormFields)
		d.Add = f
		return h.renderMembers(c, http.StatusUnprocessableEntity, src, d)
	}
}

func (h *Handler) inviteMember(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		src, err := load(c)
		if err != nil {
			return err
		}
		if !src.canManage() {
			return errCannotManage
		}
		f := views.MemberForm{Email: strings.TrimSpace(c.FormValue("email")), Errors: &model.ValidationError{}}
		f.AccessLevel = formLevel(c, f.Errors)
		expires := h.formExpiry(c, &f)
		emails := splitInviteEmails(f.Email)
		if len(emails) > 1 {
			if done, err := h.inviteMany(c, src, &f, emails, expires); done || err != nil {
				return err
			}
		} else {
			if len(emails) == 1 {
				f.Email = emails[0] // "a@example.com," is one address
			}
			if msg := model.EmailProblem(f.Email); msg != "" {
				f.Errors.Add("email", msg)
			}
		}
		if f.Errors.Empty() {
			existing, sent, err := h.invite(c, src, f.Email, f.AccessLevel, expires)
			if errors.Is(err, errInviteToAdded) {
				_, err = h.addMember(c, src, existing, f.AccessLevel, expires)
				if err == nil {
					h.srv.Flash(c, "notice", fmt.Sprintf("%s already has an account: %s was added to the %s %s as %s.",
						f.Email, existing.Username, src.name(), src.kind(), f.AccessLevel))
					return web.Redirect(c, src.membersURL())
				}
			}
			switch {
			case err == nil && sent:
				// The mailer drops mail to addresses Mailgun reports as
				// failing: say so instead of "sent".
				if failing, ferr := h.store.AddressFailing(h.ctx(c), f.Email); ferr != nil {
					return ferr
				} else if failing {
					h.srv.Flash(c, "warning", fmt.Sprintf("The invitation for %s was saved, but no e-mail went out: Mailgun reports this address as failing. "+
						"The invitation below says what to do.", f.Email))
					return web.Redirect(c, src.membersURL())
				}
				h.srv.Flash(c, "notice", fmt.Sprintf("An invitation was sent to %s.", f.Email))
				return web.Redirect(c, src.membersURL())
			case err == nil:
				h.srv.Flash(c, "warning", fmt.Sprintf("The invitation for %s was saved, but its e-mail could not be sent. Use \"Resend invite\" to try again.", f.Email))
				return web.Redirect(c, src.membersURL())
			}
			if f.Errors, err = memberFormError(err, "email"); err != nil {
				return err
			}
		}
		d, err := h.membersData(c, src)
		if err != nil {
			return err
		}
		f.Errors = formSentences(f.Errors, memberFormFields)
		d.Invite = f
		return h.renderMembers(c, http.StatusUnprocessableEntity, src, d)
	}
}

// formExpiry reads the add and invite forms' optional expiration date,
// recording a wrong one as the field's error.
func (h *Handler) formExpiry(c echo.Context, f *views.MemberForm) *time.Time {
	f.ExpiresAt = strings.TrimSpace(c.FormValue("expires_at"))
	exp, msg := model.MembershipExpiry(f.ExpiresAt, h.srv.Now())
	switch msg {
	case "":
		return exp
	case "cannot be a date in the past":
		f.Errors.Add("expires_at", "The expiration date is in the past: choose today or a later date, or leave it blank.")
	default:
		f.Errors.Add("expires_at", "Enter the expiration date as YEAR-MONTH-DAY, or leave it blank.")
	}
	return nil
}

// pageMember finds the membership or invite :member_id of the source.
func (h *Handler) pageMember(c echo.Context, src *memberSource) (*model.Member, error) {
	id, err := strconv.ParseInt(c.Param("member_id"), 10, 64)
	if err != nil {
		return nil, model.NotFound("Member")
	}
	return h.store.MemberByID(h.ctx(c), src.typ, src.id, id)
}

func (h *Handler) updateMemberLevel(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		src, err := load(c)
		if err != nil {
			return err
		}
		m, err := h.pageMember(c, src)
		if err != nil {
			return err
		}
		if !src.canManage() {
			return errCannotManage
		}
		v := &model.ValidationError{}
		level := formLevel(c, v)
		if v.Empty() {
			err = h.updateMember(c, src, m, level, m.ExpiresAt)
		} else {
			err = v
		}
		if err != nil {
			msg := ""
			switch fv, ok := model.AsValidation(err); {
			case ok:
				msg = strings.Join(formSentences(fv, memberFormFields).For("access_level"), " ")
			case errors.Is(err, errLevelTooHigh):
				msg = "You cannot give an access level higher than your own."
			case errors.Is(err, model.ErrForbidden):
				msg = userMessage(err)
			default:
				return err
			}
			return h.renderMemberChange(c, src, m, http.StatusUnprocessableEntity, msg)
		}
		m.AccessLevel = level
		if web.IsFragment(c) {
			return h.renderMemberChange(c, src, m, http.StatusOK, "")
		}
		h.srv.Flash(c, "notice", fmt.Sprintf("The access level of %s is now %s.", m.Username, level))
		return web.Redirect(c, src.membersURL())
	}
}

// userMessage is the message of a classified error as a sentence for a
// page (the API answers GitLab's own message).
func userMessage(err error) string {
	var me *model.Error
	if !errors.As(err, &me) {
		return "The change was refused."
	}
	msg := strings.TrimPrefix(me.Message, "403 Forbidden - ")
	if msg == "A group must have at least one owner" {
		return "A group must have at least one owner: make another member Owner first."
	}
	return sentence(msg)
}

// renderMemberChange answers a level change: the row for htmx, the whole
// page (with the error beside the row's select) for a plain form.
func (h *Handler) renderMemberChange(c echo.Context, src *memberSource, m *model.Member, status int, msg string) error {
	d, err := h.membersData(c, src)
	if err != nil {
		return err
	}
	for i := range d.Members {
		if d.Members[i].Member.ID == m.ID {
			d.Members[i].Error = msg
			d.Members[i].Saved = msg == ""
			if web.IsFragment(c) {
				return web.Render(c, status, views.MemberRowView(web.CSRFToken(c), d, d.Members[i]))
			}
		}
	}
	return h.renderMembers(c, status, src, d)
}

func (h *Handler) removeMemberPage(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		src, err := load(c)
		if err != nil {
			return err
		}
		m, err := h.pageMember(c, src)
		if err != nil {
			return err
		}
		self := m.UserID != nil && *m.UserID == user(c).ID
		if !src.canManage() && !self {
			return errCannotManage
		}
		d, err := h.membersData(c, src)
		if err != nil {
			return err
		}
		p, err := h.membersLayout(c, src, "Remove member")
		if err != nil {
			return err
		}
		return web.Render(c, http.StatusOK, views.RemoveMemberPage(p, d, *m))
	}
}

func (h *Handler) destroyMember(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		src, err := load(c)
		if err != nil {
			return err
		}
		m, err := h.pageMember(c, src)
		if err != nil {
			return err
		}
		if err := h.removeMember(c, src, m); err != nil {
			if errors.Is(err, model.ErrForbidden) && !errors.Is(err, errCannotManage) {
				h.srv.Flash(c, "alert", userMessage(err))
				return web.Redirect(c, src.membersURL())
			}
			return err
		}
		switch {
		case m.Pending():
			h.srv.Flash(c, "notice", fmt.Sprintf("The invitation of %s was revoked.", *m.InviteEmail))
		case *m.UserID == user(c).ID:
			h.srv.Flash(c, "notice", fmt.Sprintf("You left the %s %s.", src.name(), src.kind()))
			return web.Redirect(c, "/")
		default:
			h.srv.Flash(c, "notice", fmt.Sprintf("%s was removed from the %s %s.", m.Username, src.name(), src.kind()))
		}
		return web.Redirect(c, src.membersURL())
	}
}

func (h *Handler) resendInvitePage(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		src, err := load(c)
		if err != nil {
			return err
		}
		m, err := h.pageMember(c, src)
		if err != nil {
			return err
		}
		sent, err := h.resendInvite(c, src, m)
		switch {
		case err != nil:
			return err
		case sent:
			h.srv.Flash(c, "notice", fmt.Sprintf("The invitation was sent to %s again.", *m.InviteEmail))
		default:
			h.srv.Flash(c, "warning", fmt.Sprintf("The invitation e-mail to %s could not be sent.", *m.InviteEmail))
		}
		return web.Redirect(c, src.membersURL())
	}
}
