package handlers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// splitInviteEmails splits the invite field into addresses: commas,
// semicolons and white space separate them, as in GitLab's invite form.
// Repeats are dropped.
func splitInviteEmails(raw string) []string {
	fields := strings.FieldsFunc(raw, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	seen := map[string]bool{}
	var out []string
	for _, f := range fields {
		if k := strings.ToLower(f); !seen[k] {
			seen[k] = true
			out = append(out, f)
		}
	}
	return out
}

// inviteMany invites several addresses from one form post. Nothing is done
// unless every address is valid; then each is invited (or, when it belongs
// to an account, added), and the flashes say what happened to each.
func (h *Handler) inviteMany(c echo.Context, src *memberSource, f *views.MemberForm, emails []string, expires *time.Time) (done bool, err error) {
	var bad []string
	for _, e := range emails {
		if model.EmailProblem(e) != "" {
			bad = append(bad, e)
		}
	}
	if len(bad) > 0 {
		what := "This address is not valid: "
		if len(bad) > 1 {
			what = "These addresses are not valid: "
		}
		f.Errors.Add("email", what+strings.Join(bad, ", ")+". Separate addresses with commas.")
		return false, nil
	}
	if !f.Errors.Empty() {
		return false, nil
	}
	var sent, warned, added, refused []string
	for _, e := range emails {
		existing, ok, err := h.invite(c, src, e, f.AccessLevel, expires)
		if errors.Is(err, errInviteToAdded) {
			if _, err = h.addMember(c, src, existing, f.AccessLevel, expires); err == nil {
				added = append(added, fmt.Sprintf("%s (%s)", e, existing.Username))
				continue
			}
		}
		if err != nil {
			v, ferr := memberFormError(err, "email")
			if ferr != nil {
				return false, ferr
			}
			var msgs []string
			for _, fe := range formSentences(v, memberFormFields).Errors {
				msgs = append(msgs, fe.Message)
			}
			refused = append(refused, fmt.Sprintf("%s was not invited. %s", e, strings.Join(msgs, " ")))
			continue
		}
		failing, ferr := h.store.AddressFailing(h.ctx(c), e)
		if ferr != nil {
			return false, ferr
		}
		if !ok || failing {
			warned = append(warned, e)
		} else {
			sent = append(sent, e)
		}
	}
	if len(sent) > 0 {
		h.srv.Flash(c, "notice", "Invitations were sent to "+strings.Join(sent, ", ")+".")
	}
	if len(added) > 0 {
		h.srv.Flash(c, "notice", fmt.Sprintf("Already had an account, added to the %s %s as %s: %s.", src.name(), src.kind(), f.AccessLevel, strings.Join(added, ", ")))
	}
	if len(warned) > 0 {
		h.srv.Flash(c, "warning", "Invitations were saved, but no e-mail went out to "+strings.Join(warned, ", ")+". The invitations below say why.")
	}
	for _, r := range refused {
		h.srv.Flash(c, "alert", r)
	}
	return true, web.Redirect(c, src.membersURL())
}
