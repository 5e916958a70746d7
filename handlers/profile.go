package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// Limits on the profile pages, per user. Wrong current passwords are
// throttled like failed sign-ins (a stolen session must not become a
// password oracle); confirmation mail is limited so the form cannot be used
// to flood someone's mailbox. Both share the handler's throttle under their
// own key prefixes.
const (
	passwordAttempts   = 10
	passwordWindow     = 10 * time.Minute
	confirmationMails  = 10
	confirmationWindow = time.Hour
)

// confirmationTokenBytes is the entropy of an e-mail confirmation link.
const confirmationTokenBytes = 32

// profilePage is the layout data of the user's own settings pages.
func (h *Handler) profilePage(c echo.Context, active, title string) views.Page {
	p := h.srv.Page(c, title)
	p.Nav = views.ProfileNav(active)
	p.Crumbs = []views.Crumb{{Label: "User settings", URL: "/-/profile"}}
	return p
}

func (h *Handler) showProfile(c echo.Context) error {
	u := user(c)
	return web.Render(c, http.StatusOK, views.ProfilePage(h.profilePage(c, "account", "Account"), u, views.ProfileForm{Name: u.Name}))
}

func (h *Handler) updateProfile(c echo.Context) error {
	u := user(c)
	f := views.ProfileForm{Name: strings.TrimSpace(c.FormValue("name"))}
	if msg := model.NameProblem(f.Name); msg != "" {
		f.Errors = &model.ValidationError{}
		f.Errors.Add("name", msg)
		f.Errors = formSentences(f.Errors, userFormFields)
		return web.Render(c, http.StatusUnprocessableEntity, views.ProfilePage(h.profilePage(c, "account", "Account"), u, f))
	}
	if err := h.store.UpdateUserProfile(h.ctx(c), u.ID, f.Name); err != nil {
		return err
	}
	h.srv.Flash(c, "notice", "Profile was successfully updated")
	return web.Redirect(c, "/-/profile")
}

func (h *Handler) editPassword(c echo.Context) error {
	return web.Render(c, http.StatusOK, views.PasswordPage(h.profilePage(c, "password", "Password"), nil))
}

// updatePassword changes the password after checking the current one and
// ends every other session of the user; this one goes on.
func (h *Handler) updatePassword(c echo.Context) error {
	u := user(c)
	now := h.srv.Now()
	key := "password:user:" + strconv.FormatInt(u.ID, 10)
	fail := func(status int, v *model.ValidationError) error {
		return web.Render(c, status, views.PasswordPage(h.profilePage(c, "password", "Password"), formSentences(v, passwordFormFields)))
	}
	v := &model.ValidationError{}
	ctx := h.ctx(c)
	if blocked, err := h.signIns.Blocked(ctx, key, passwordAttempts, passwordWindow, now); err != nil {
		return err
	} else if blocked {
		v.Add("current_password", "Too many wrong passwords. Try again later (in about 10 minutes).")
		return fail(http.StatusTooManyRequests, v)
	}
	pw, confirmation := c.FormValue("password"), c.FormValue("password_confirmation")
	if !db.CheckPassword(u.PasswordHash, c.FormValue("current_password")) {
		if _, err := h.signIns.Allow(ctx, key, passwordAttempts, passwordWindow, now); err != nil {
			return err
		}
		v.Add("current_password", "The current password is wrong: enter the password you signed in with.")
	}
	if msg := model.PasswordProblem(pw); msg != "" {
		v.Add("password", msg)
	} else if confirmation != pw {
		v.Add("password_confirmation", "The confirmation doesn't match the new password. Type the same password in both fields.")
	}
	if !v.Empty() {
		return fail(http.StatusUnprocessableEntity, v)
	}
	hash, err := db.HashPassword(pw)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	if err := h.store.SetUserPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	if err := h.signIns.Reset(ctx, key); err != nil {
		return err
	}
	var keep int64
	if s := web.CurrentSession(c); s != nil {
		keep = s.ID
	}
	if err := h.store.DeleteUserSessions(ctx, u.ID, keep); err != nil {
		return err
	}
	h.log.Info("password changed; other sessions signed out", "user", u.Username, "ip", c.RealIP())
	h.srv.Flash(c, "notice", "Password was successfully updated.")
	return web.Redirect(c, "/-/profile/password/edit")
}

func (h *Handler) listEmails(c echo.Context) error {
	return h.renderEmails(c, http.StatusOK, views.EmailForm{})
}

func (h *Handler) renderEmails(c echo.Context, status int, f views.EmailForm) error {
	u := user(c)
	emails, err := h.store.Emails(h.ctx(c), u.ID)
	if err != nil {
		return err
	}
	f.Errors = formSentences(f.Errors, userFormFields)
	return web.Render(c, status, views.EmailsPage(h.profilePage(c, "emails", "Emails"), u.Email, emails, f))
}

func (h *Handler) createEmail(c echo.Context) error {
	u := user(c)
	f := views.EmailForm{Email: strings.TrimSpace(c.FormValue("email"))}
	if msg := model.EmailProblem(f.Email); msg != "" {
		f.Errors = &model.ValidationError{}
		f.Errors.Add("email", msg)
		return h.renderEmails(c, http.StatusUnprocessableEntity, f)
	}
	if ok, err := h.allowConfirmationMail(c, u); err != nil {
		return err
	} else if !ok {
		f.Errors = &model.ValidationError{}
		f.Errors.Add("email", "Too many confirmation emails were sent. Try again later.")
		return h.renderEmails(c, http.StatusTooManyRequests, f)
	}
	raw := db.RandomToken(confirmationTokenBytes)
	e, err := h.store.AddEmail(h.ctx(c), u.ID, f.Email, raw)
	if err != nil {
		if f.Errors, err = web.FormErrors(err); err != nil {
			return err
		}
		return h.renderEmails(c, http.StatusUnprocessableEntity, f)
	}
	h.log.Info("email added", "user", u.Username, "email_id", e.ID)
	if h.sendConfirmation(c, u, e.Email, raw) {
		h.srv.Flash(c, "notice", "Email was successfully added. Confirmation email sent to "+e.Email+".")
	}
	return web.Redirect(c, "/-/profile/emails")
}

// allowConfirmationMail takes one confirmation mail from the user's allowance.
func (h *Handler) allowConfirmationMail(c echo.Context, u *model.User) (bool, error) {
	return h.signIns.Allow(h.ctx(c), "confirmation-mail:user:"+strconv.FormatInt(u.ID, 10), confirmationMails, confirmationWindow, h.srv.Now())
}

// emailConfirmationURL is the link a confirmation mail carries.
func emailConfirmationURL(externalURL, rawToken string) string {
	return strings.TrimSuffix(externalURL, "/") + "/-/profile/emails/confirmation?confirmation_token=" + url.QueryEscape(rawToken)
}

// sendConfirmation mails the confirmation link for address. A failure is
// logged (without the link) and told to the user, who can resend later.
func (h *Handler) sendConfirmation(c echo.Context, u *model.User, address, raw string) bool {
	link := emailConfirmationURL(h.srv.ExternalURL(), raw)
	m := model.Mail{
		To:      address,
		Subject: "Confirmation instructions",
		Body: "Hello " + u.Name + ",\n\n" +
			"Someone, hopefully you, added " + address + " to the Hooklab account " + u.Username + ".\n" +
			"Confirm this email address by opening the link below:\n\n" +
			link + "\n\n" +
			"If you did not add it, you can ignore this email: the address stays unverified.\n",
	}
	var err error
	if h.mail == nil {
		err = errors.New("no mailer configured")
	} else {
		err = h.mail.Send(h.ctx(c), m)
	}
	if err != nil {
		h.log.Error("send confirmation email", "user", u.Username, "err", err)
		h.srv.Flash(c, "alert", "The confirmation email to "+address+" could not be sent. Try \"Resend confirmation email\" later.")
		return false
	}
	return true
}

// confirmEmail verifies the address whose link was opened. The token is
// the proof, so it works signed in or not.
func (h *Handler) confirmEmail(c echo.Context) error {
	raw := c.QueryParam("confirmation_token")
	var e *model.Email
	err := model.NotFound("Email")
	if raw != "" {
		e, err = h.store.ConfirmEmail(h.ctx(c), raw)
	}
	if isNotFound(err) {
		p := h.srv.Page(c, "Confirmation link not valid")
		return web.Render(c, http.StatusNotFound, views.ErrorPage(p, http.StatusNotFound, "Confirmation link not valid",
			"This confirmation link is unknown or has already been used. Sign in and resend the confirmation email from User settings → Emails."))
	}
	if err != nil {
		return err
	}
	h.log.Info("email confirmed", "user_id", e.UserID, "email_id", e.ID)
	h.srv.Flash(c, "notice", "Your email address has been successfully confirmed.")
	if user(c) == nil {
		return web.Redirect(c, signInPath)
	}
	return web.Redirect(c, "/-/profile/emails")
}

func (h *Handler) resendEmailConfirmation(c echo.Context) error {
	u := user(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return model.NotFound("Email")
	}
	ctx := h.ctx(c)
	e, err := h.store.Email(ctx, u.ID, id)
	if err != nil {
		return err
	}
	if e.Verified() {
		h.srv.Flash(c, "alert", e.Email+" is already confirmed.")
		return web.Redirect(c, "/-/profile/emails")
	}
	if ok, err := h.allowConfirmationMail(c, u); err != nil {
		return err
	} else if !ok {
		h.srv.Flash(c, "alert", "Too many confirmation emails were sent. Try again later.")
		return web.Redirect(c, "/-/profile/emails")
	}
	raw := db.RandomToken(confirmationTokenBytes)
	if _, err := h.store.RenewEmailConfirmation(ctx, u.ID, e.ID, raw); err != nil {
		return err
	}
	if h.sendConfirmation(c, u, e.Email, raw) {
		h.srv.Flash(c, "notice", "Confirmation email sent to "+e.Email+".")
	}
	return web.Redirect(c, "/-/profile/emails")
}

func (h *Handler) deleteEmail(c echo.Context) error {
	u := user(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return model.NotFound("Email")
	}
	ctx := h.ctx(c)
	e, err := h.store.Email(ctx, u.ID, id)
	if err != nil {
		return err
	}
	if err := h.store.DeleteEmail(ctx, u.ID, e.ID); err != nil {
		return err
	}
	h.srv.Flash(c, "notice", "Email "+e.Email+" was removed.")
	return web.Redirect(c, "/-/profile/emails")
}
