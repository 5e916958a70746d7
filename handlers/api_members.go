package handlers

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/web"
)

// apiMember is GitLab's Member entity: the user's basic fields merged with
// the membership's.
type apiMember struct {
	apiUserBasic
	AccessLevel int           `json:"access_level"`
	CreatedAt   web.APITime   `json:"created_at"`
	CreatedBy   *apiUserBasic `json:"created_by,omitempty"`
	ExpiresAt   *string       `json:"expires_at"`
}

func (h *Handler) memberEntity(m *model.Member) apiMember {
	e := apiMember{
		apiUserBasic: h.userBasic(&model.User{ID: *m.UserID, Username: m.Username, Name: m.Name, State: m.State}),
		AccessLevel:  int(m.AccessLevel), CreatedAt: web.APITime(m.CreatedAt), ExpiresAt: apiDate(m.ExpiresAt),
	}
	if m.CreatedByID != nil && m.CreatedByUsername != "" {
		cb := h.userBasic(&model.User{ID: *m.CreatedByID, Username: m.CreatedByUsername, Name: m.CreatedByName, State: m.CreatedByState})
		e.CreatedBy = &cb
	}
	return e
}

// apiInvitation is GitLab's entity of a pending invitation. The token is
// never shown: only its digest is stored.
type apiInvitation struct {
	ID            int64       `json:"id"`
	InviteEmail   string      `json:"invite_email"`
	CreatedAt     web.APITime `json:"created_at"`
	AccessLevel   int         `json:"access_level"`
	ExpiresAt     *string     `json:"expires_at"`
	UserName      *string     `json:"user_name"`
	CreatedByName *string     `json:"created_by_name"`
}

func invitationEntity(m *model.Member) apiInvitation {
	e := apiInvitation{ID: m.ID, InviteEmail: derefStr(m.InviteEmail), CreatedAt: web.APITime(m.CreatedAt),
		AccessLevel: int(m.AccessLevel), ExpiresAt: apiDate(m.ExpiresAt)}
	if m.CreatedByName != "" {
		n := m.CreatedByName
		e.CreatedByName = &n
	}
	return e
}

func derefStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// apiDate formats a membership expiry as GitLab does: a date.
func apiDate(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format("2006-01-02")
	return &s
}

// apiAccessLevel reads access_level with Grape's answers: missing, not an
// integer, or not a level.
func apiAccessLevel(p params, required bool) (model.AccessLevel, bool, error) {
	n, ok, err := p.Int64("access_level")
	switch {
	case err != nil:
		return 0, true, err
	case !ok && required:
		return 0, false, missingParam("access_level")
	case !ok:
		return 0, false, nil
	}
	level := model.AccessLevel(n)
	if !level.Valid() {
		return 0, true, notValidValue("access_level")
	}
	return level, true, nil
}

// apiExpiry reads expires_at; absent or null leaves it unset (given=false).
func (h *Handler) apiExpiry(p params) (*time.Time, bool, error) {
	v, ok := p["expires_at"]
	if !ok || v == nil {
		return nil, false, nil
	}
	s, _ := p.String("expires_at")
	t, msg := model.MembershipExpiry(s, h.srv.Now())
	switch msg {
	case "":
		return t, true, nil
	case "is invalid":
		return nil, true, invalidParam("expires_at")
	}
	v2 := &model.ValidationError{}
	v2.Add("expires_at", msg)
	return nil, true, v2
}

// apiMemberError answers refusals with GitLab's statuses: validation
// problems are a 400 with the field messages.
func apiMemberError(err error) error {
	if v, ok := model.AsValidation(err); ok {
		return web.WithStatus(http.StatusBadRequest, v)
	}
	return err
}

func (h *Handler) apiListMembers(load sourceLoader, all bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		pg, err := web.Paginate(c)
		if err != nil {
			return err
		}
		p, err := readParams(c)
		if err != nil {
			return err
		}
		src, err := load(c)
		if err != nil {
			return err
		}
		members, err := h.apiMembers(c, src, all)
		if err != nil {
			return err
		}
		query := strings.ToLower(strings.TrimSpace(c.QueryParam("query")))
		ids := map[int64]bool{}
		if list, ok := p.StringList("user_ids"); ok {
			for _, s := range list {
				id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
				if err != nil {
					return invalidParam("user_ids")
				}
				ids[id] = true
			}
		}
		out := []apiMember{}
		for i := range members {
			m := &members[i]
			if query != "" && !strings.Contains(strings.ToLower(m.Username), query) && !strings.Contains(strings.ToLower(m.Name), query) {
				continue
			}
			if len(ids) > 0 && !ids[*m.UserID] {
				continue
			}
			out = append(out, h.memberEntity(m))
		}
		total := len(out)
		start := min(pg.Offset(), total)
		end := min(start+pg.PerPage, total)
		web.SetPageHeaders(c, h.cfg.ExternalURL, pg, total)
		return c.JSON(http.StatusOK, out[start:end])
	}
}

// apiMembers lists direct members (no invites) or, with all, everyone with
// access through a membership here or in an ancestor group.
func (h *Handler) apiMembers(c echo.Context, src *memberSource, all bool) ([]model.Member, error) {
	if all {
		return h.store.AllMembers(h.ctx(c), src.typ, src.id)
	}
	direct, err := h.store.Members(h.ctx(c), src.typ, src.id)
	if err != nil {
		return nil, err
	}
	out := direct[:0]
	for _, m := range direct {
		if !m.Pending() {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// apiUserIDParam reads the :user_id path parameter.
func apiUserIDParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("user_id"), 10, 64)
	if err != nil {
		return 0, invalidParam("user_id")
	}
	return id, nil
}

func (h *Handler) apiGetMember(load sourceLoader, all bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		uid, err := apiUserIDParam(c)
		if err != nil {
			return err
		}
		src, err := load(c)
		if err != nil {
			return err
		}
		m, err := h.apiFindMember(c, src, uid, all)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, h.memberEntity(m))
	}
}

func (h *Handler) apiFindMember(c echo.Context, src *memberSource, userID int64, all bool) (*model.Member, error) {
	if !all {
		return h.store.Member(h.ctx(c), src.typ, src.id, userID)
	}
	members, err := h.store.AllMembers(h.ctx(c), src.typ, src.id)
	if err != nil {
		return nil, err
	}
	for i := range members {
		if *members[i].UserID == userID {
			return &members[i], nil
		}
	}
	return nil, model.NotFound("Member")
}

func (h *Handler) apiAddMember(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := readParams(c)
		if err != nil {
			return err
		}
		level, _, err := apiAccessLevel(p, true)
		if err != nil {
			return err
		}
		uid, hasID, err := p.Int64("user_id")
		if err != nil {
			return err
		}
		username, _ := p.String("username")
		hasName := strings.TrimSpace(username) != ""
		switch {
		case hasID && hasName:
			return &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": "user_id, username are mutually exclusive"}}
		case !hasID && !hasName:
			return &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": "user_id, username are missing, exactly one parameter must be provided"}}
		}
		expires, _, err := h.apiExpiry(p)
		if err != nil {
			return apiMemberError(err)
		}
		src, err := load(c)
		if err != nil {
			return err
		}
		if !src.canManage() {
			return errCannotManage
		}
		var u *model.User
		if hasID {
			if _, err := h.store.Member(h.ctx(c), src.typ, src.id, uid); err == nil {
				return errMemberExists
			}
			u, err = h.store.User(h.ctx(c), uid)
		} else {
			u, err = h.store.UserByUsername(h.ctx(c), strings.TrimPrefix(username, "@"))
		}
		if isNotFound(err) {
			return errUserNotFound
		}
		if err != nil {
			return err
		}
		m, err := h.addMember(c, src, u, level, expires)
		if err != nil {
			return apiMemberError(err)
		}
		return c.JSON(http.StatusCreated, h.memberEntity(m))
	}
}

func (h *Handler) apiEditMember(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		uid, err := apiUserIDParam(c)
		if err != nil {
			return err
		}
		p, err := readParams(c)
		if err != nil {
			return err
		}
		level, _, err := apiAccessLevel(p, true)
		if err != nil {
			return err
		}
		expires, expiresGiven, err := h.apiExpiry(p)
		if err != nil {
			return apiMemberError(err)
		}
		src, err := load(c)
		if err != nil {
			return err
		}
		if !src.canManage() {
			return errCannotManage
		}
		m, err := h.store.Member(h.ctx(c), src.typ, src.id, uid)
		if err != nil {
			return err
		}
		if !expiresGiven {
			expires = m.ExpiresAt
		}
		if err := h.updateMember(c, src, m, level, expires); err != nil {
			return apiMemberError(err)
		}
		if m, err = h.store.Member(h.ctx(c), src.typ, src.id, uid); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, h.memberEntity(m))
	}
}

func (h *Handler) apiRemoveMember(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		uid, err := apiUserIDParam(c)
		if err != nil {
			return err
		}
		src, err := load(c)
		if err != nil {
			return err
		}
		m, err := h.store.Member(h.ctx(c), src.typ, src.id, uid)
		if err != nil {
			return err
		}
		if err := h.removeMember(c, src, m); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// errNoInvitee is GitLab's answer to an invitation without anyone to invite.
var errNoInvitee = model.BadRequest("400 Bad request - Must provide either email or user_id as a parameter")

func (h *Handler) apiInvite(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := readParams(c)
		if err != nil {
			return err
		}
		emails := commaList(p, "email")
		userIDs := commaList(p, "user_id")
		level, _, err := apiAccessLevel(p, true)
		if err != nil {
			return err
		}
		if len(emails) == 0 && len(userIDs) == 0 {
			return errNoInvitee
		}
		for _, e := range emails {
			if model.EmailProblem(e) != "" {
				return &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": "email contains an invalid email address"}}
			}
		}
		expires, _, err := h.apiExpiry(p)
		if err != nil {
			return apiMemberError(err)
		}
		src, err := load(c)
		if err != nil {
			return err
		}
		if err := checkGrant(src, level); err != nil {
			return err
		}
		problems := map[string]string{}
		for _, e := range emails {
			existing, _, err := h.invite(c, src, e, level, expires)
			if errors.Is(err, errInviteToAdded) {
				err = h.addOrUpdate(c, src, existing, level, expires)
			}
			if err != nil {
				if problems[e], err = inviteProblem(err); err != nil {
					return err
				}
			}
		}
		for _, s := range userIDs {
			id, convErr := strconv.ParseInt(s, 10, 64)
			var u *model.User
			if convErr == nil {
				u, err = h.store.User(h.ctx(c), id)
			}
			switch {
			case convErr != nil || isNotFound(err):
				problems[s] = "User not found"
				continue
			case err != nil:
				return err
			}
			if err := h.addOrUpdate(c, src, u, level, expires); err != nil {
				if problems[u.Username], err = inviteProblem(err); err != nil {
					return err
				}
			}
		}
		if len(problems) > 0 {
			return c.JSON(http.StatusCreated, map[string]any{"status": "error", "message": problems})
		}
		return c.JSON(http.StatusCreated, map[string]string{"status": "success"})
	}
}

// addOrUpdate makes u a direct member at level: an invitation for an
// existing member's address changes their level, as GitLab does.
func (h *Handler) addOrUpdate(c echo.Context, src *memberSource, u *model.User, level model.AccessLevel, expires *time.Time) error {
	m, err := h.store.Member(h.ctx(c), src.typ, src.id, u.ID)
	switch {
	case err == nil:
		return h.updateMember(c, src, m, level, expires)
	case isNotFound(err):
		_, err = h.addMember(c, src, u, level, expires)
		return err
	}
	return err
}

// inviteProblem is the message of one refused invitee, in GitLab's words.
func inviteProblem(err error) (string, error) {
	var me *model.Error
	switch v, ok := model.AsValidation(err); {
	case ok:
		msgs := make([]string, 0, len(v.Errors))
		for _, e := range v.Errors {
			msgs = append(msgs, model.FullMessage(e.Field, e.Message))
		}
		return strings.Join(msgs, ", "), nil
	case errors.As(err, &me) && !errors.Is(err, model.ErrNotFound):
		return strings.TrimPrefix(me.Message, "403 Forbidden - "), nil
	}
	return "", err
}

// commaList reads a parameter that is one value, a comma-separated list
// or an array, without blank entries.
func commaList(p params, k string) []string {
	var list []string
	if _, isList := p[k].([]any); isList {
		list, _ = p.StringList(k)
	} else if s, _ := p.String(k); s != "" {
		list = strings.Split(s, ",")
	}
	out := list[:0]
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (h *Handler) apiListInvitations(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		pg, err := web.Paginate(c)
		if err != nil {
			return err
		}
		src, err := load(c)
		if err != nil {
			return err
		}
		if !src.canManage() {
			return errCannotManage
		}
		all, err := h.store.Members(h.ctx(c), src.typ, src.id)
		if err != nil {
			return err
		}
		query := strings.ToLower(strings.TrimSpace(c.QueryParam("query")))
		out := []apiInvitation{}
		for i := range all {
			m := &all[i]
			if !m.Pending() || (query != "" && !strings.Contains(strings.ToLower(derefStr(m.InviteEmail)), query)) {
				continue
			}
			out = append(out, invitationEntity(m))
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		total := len(out)
		start := min(pg.Offset(), total)
		end := min(start+pg.PerPage, total)
		web.SetPageHeaders(c, h.cfg.ExternalURL, pg, total)
		return c.JSON(http.StatusOK, out[start:end])
	}
}

// apiUpdateInvitation is PUT .../invitations/:email: a pending
// invitation's access_level and/or expires_at (null or "" clears it), with
// the rules of editing a member; 400 when neither is given.
func (h *Handler) apiUpdateInvitation(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := readParams(c)
		if err != nil {
			return err
		}
		level, levelGiven, err := apiAccessLevel(p, false)
		if err != nil {
			return err
		}
		_, expiresParam := p["expires_at"]
		expires, _, err := h.apiExpiry(p)
		if err != nil {
			return apiMemberError(err)
		}
		if !levelGiven && !expiresParam {
			return model.BadRequest("400 Bad request")
		}
		src, err := load(c)
		if err != nil {
			return err
		}
		if !src.canManage() {
			return errCannotManage
		}
		m, err := h.pendingInvitation(c, src, pathParam(c, "email"))
		if err != nil {
			return err
		}
		if !levelGiven {
			level = m.AccessLevel
		}
		if !expiresParam {
			expires = m.ExpiresAt
		}
		if err := h.updateMember(c, src, m, level, expires); err != nil {
			return apiMemberError(err)
		}
		if m, err = h.pendingInvitation(c, src, derefStr(m.InviteEmail)); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, invitationEntity(m))
	}
}

// pendingInvitation finds a source's pending invitation by e-mail
// (case-insensitively).
func (h *Handler) pendingInvitation(c echo.Context, src *memberSource, email string) (*model.Member, error) {
	all, err := h.store.Members(h.ctx(c), src.typ, src.id)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Pending() && strings.EqualFold(derefStr(all[i].InviteEmail), email) {
			return &all[i], nil
		}
	}
	return nil, model.NotFound("Invitation")
}

func (h *Handler) apiDeleteInvitation(load sourceLoader) echo.HandlerFunc {
	return func(c echo.Context) error {
		src, err := load(c)
		if err != nil {
			return err
		}
		if !src.canManage() {
			return errCannotManage
		}
		email := pathParam(c, "email")
		all, err := h.store.Members(h.ctx(c), src.typ, src.id)
		if err != nil {
			return err
		}
		for i := range all {
			if all[i].Pending() && strings.EqualFold(derefStr(all[i].InviteEmail), email) {
				if err := h.store.RemoveMember(h.ctx(c), all[i].ID); err != nil {
					return err
				}
				return c.NoContent(http.StatusNoContent)
			}
		}
		return model.NotFound("Invitation")
	}
}
