package handlers

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// mailgunMaxBody bounds a webhook body. Mailgun's failure events are a few
// kilobytes; anything far larger is not from Mailgun.
const mailgunMaxBody = 256 << 10

// mailgunDeprecation is the Deprecation header (RFC 9745) of the old
// receiver path: GitLab 15.0 (May 22, 2022) replaced it.
const mailgunDeprecation = "@1653177600"

// receiveMailgunWebhook is Mailgun's failure webhook receiver.
// No session, no CSRF: the signature is the proof. The answers, checked in
// this order, are GitLab's: 406 while the integration is disabled (Mailgun
// stops retrying on 406), 404 for a missing or wrong signature, and 200
// for anything accepted, acted on or not. Hooklab also answers 404 for a
// stale timestamp or a token it has seen, which GitLab does not check.
func (h *Handler) receiveMailgunWebhook(deprecated bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		if deprecated {
			hdr := c.Response().Header()
			hdr.Set("Deprecation", mailgunDeprecation)
			hdr.Set("Link", "<"+strings.TrimSuffix(h.cfg.ExternalURL, "/")+model.MailgunWebhookPath+`>; rel="successor-version"`)
		}
		ctx := h.ctx(c)
		st, err := h.store.Settings(ctx)
		if err != nil {
			return err
		}
		if !st.MailgunEventsEnabled {
			return c.NoContent(http.StatusNotAcceptable)
		}
		body, err := io.ReadAll(io.LimitReader(c.Request().Body, mailgunMaxBody+1))
		if err != nil {
			return model.BadRequest("read body: %v", err)
		}
		if len(body) > mailgunMaxBody {
			return c.NoContent(http.StatusRequestEntityTooLarge)
		}
		w, err := model.ParseMailgunWebhook(body)
		if err != nil || !w.Signature.Verify(st.MailgunSigningKey) {
			h.log.Warn("mailgun webhook refused: missing or wrong signature")
			return c.NoContent(http.StatusNotFound)
		}
		if !w.Signature.Fresh(h.srv.Now()) {
			h.log.Warn("mailgun webhook refused: stale timestamp", "timestamp", string(w.Signature.Timestamp))
			return c.NoContent(http.StatusNotFound)
		}
		ev, err := w.Event()
		if err != nil {
			// Signed, so from Mailgun: accepted (no retries) but not acted on.
			h.log.Warn("mailgun webhook: event not understood", "err", err)
		}
		rc, err := h.store.RecordMailgunWebhook(ctx, w.Signature, ev)
		if errors.Is(err, model.ErrMailgunReplay) {
			h.log.Warn("mailgun webhook refused: token already used")
			return c.NoContent(http.StatusNotFound)
		}
		if err != nil {
			return err
		}
		if f := rc.Failure; f != nil {
			h.log.Info("email delivery failure", "mailgun_event_id", f.EventID, "recipient", f.Recipient,
				"failure_type", f.Severity, "failure_reason", f.Reason, "failure_code", f.Code,
				"invite_marked", rc.InviteMarked, "address_failing", rc.AddressFailing)
		}
		return c.NoContent(http.StatusOK)
	}
}

// adminMailgunFailures lists received failures, filtered by severity and
// recipient, and the failing addresses. htmx polls the list part.
func (h *Handler) adminMailgunFailures(c echo.Context) error {
	_, pg := listPage(c)
	severity := c.QueryParam("severity")
	if !model.ValidMailgunSeverity(severity) {
		severity = ""
	}
	recipient := strings.TrimSpace(c.QueryParam("recipient"))
	ctx := h.ctx(c)
	failures, total, err := h.store.MailgunFailures(ctx, db.MailgunFailureFilter{Severity: severity, Recipient: recipient, Page: dbPage(pg)})
	if err != nil {
		return err
	}
	pg.Total = total
	failing, err := h.store.FailingAddresses(ctx)
	if err != nil {
		return err
	}
	st, err := h.store.Settings(ctx)
	if err != nil {
		return err
	}
	d := views.MailgunFailuresData{
		CSRF: web.CSRFToken(c), Enabled: st.MailgunEventsEnabled, Failures: failures, Pager: pg,
		Severity: severity, Recipient: recipient, Failing: failing,
	}
	if web.IsFragment(c) {
		return web.Render(c, http.StatusOK, views.MailgunFailuresContent(d))
	}
	return web.Render(c, http.StatusOK, views.AdminMailgunFailuresPage(h.adminPage(c, "mailgun", "Mailgun delivery failures"), d))
}

// adminAllowFailingAddress takes an address off the failing list.
func (h *Handler) adminAllowFailingAddress(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return model.NotFound("Failing address")
	}
	addr, err := h.store.AllowFailingAddress(h.ctx(c), id)
	if err != nil {
		return err
	}
	h.log.Info("failing address allowed again", "address", addr, "by", user(c).Username)
	h.srv.Flash(c, "notice", "E-mail to "+addr+" is allowed again.")
	return web.Redirect(c, views.MailgunFailuresPath)
}
