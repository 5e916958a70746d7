package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// The pages of Test, Recent events and Resend under a hooks
// settings page: POST <hook>/test, <hook>/hook_logs (the edit page's
// section as a fragment), <hook>/hook_logs/:log_id (details) with
// .../retry, and <hook>/hook_logs/resend_failed.

// recentEventsPerPage is the edit page's page size (GitLab's 20).
const recentEventsPerPage = 20

// statusClassFilters maps the page's status classes to the store's.
var statusClassFilters = map[string]string{
	model.StatusClassSuccess:       "successful",
	model.StatusClassClientError:   "client_failure",
	model.StatusClassServerError:   "server_error",
	model.StatusClassInternalError: "internal_error",
}

// logTriggers are the trigger filter's choices for a kind of hook.
func logTriggers(k model.HookKind) []model.Trigger {
	ts := k.Triggers()
	if k == model.SystemHookKind {
		ts = append(ts, model.SystemHookTestTrigger)
	}
	return ts
}

// fragmentPage is the little of the layout data a fragment needs. It
// leaves the queued flashes for the next whole page.
func (h *Handler) fragmentPage(c echo.Context) views.Page {
	return views.Page{User: web.CurrentUser(c), CSRF: web.CSRFToken(c), Now: h.srv.Now(), ExternalURL: h.srv.ExternalURL()}
}

// recentEvents loads the Recent events section for the query's filters
// and page; values that are not choices are ignored.
func (h *Handler) recentEvents(c echo.Context, item views.HookItem, q url.Values) (views.RecentEvents, error) {
	d := views.RecentEvents{Hook: item, Days: pageHookEventDays, Page: 1, PerPage: recentEventsPerPage,
		Triggers: logTriggers(item.Hook.Kind)}
	f := db.HookLogFilter{Since: hookEventsSince(h.srv.Now(), pageHookEventDays)}
	if s, ok := statusClassFilters[q.Get("status")]; ok {
		d.Status = q.Get("status")
		f.Statuses = []string{s}
	}
	if tr := q.Get("trigger"); slices.ContainsFunc(d.Triggers, func(t model.Trigger) bool { return t.Scope == tr }) {
		d.Trigger = tr
		f.Triggers = []string{tr}
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil {
		d.Page = model.ClampPage(n)
	}
	f.Page = db.Page{Page: d.Page, PerPage: d.PerPage}
	logs, total, err := h.store.HookLogs(h.ctx(c), item.Hook.ID, f)
	if err != nil {
		return d, err
	}
	d.Logs, d.Total = logs, total
	if len(logs) == 0 && total > 0 && d.Page > 1 {
		// Past the end (old rows aged out): show the last page.
		d.Page = d.Pages()
		f.Page.Page = d.Page
		if d.Logs, d.Total, err = h.store.HookLogs(h.ctx(c), item.Hook.ID, f); err != nil {
			return d, err
		}
	}
	h.markUnresendable(c, &d)
	return d, nil
}

// markUnresendable notes which failed rows in view Resend would refuse, so
// that "Resend all failed in this view" counts only what it can send, or is
// shown disabled with the reason.
func (h *Handler) markUnresendable(c echo.Context, d *views.RecentEvents) {
	hk := d.Hook.Hook
	if st, err := h.store.Settings(h.ctx(c)); err == nil && !hk.Executable(h.srv.Now(), st.AutoDisablingWebHooks) {
		d.ResendOff = model.HookDisabled + ": send a test that succeeds to enable the webhook again."
	}
	d.Unresendable = map[int64]string{}
	for i := range d.Logs {
		l := &d.Logs[i]
		switch {
		case !l.Failed():
		case !h.runner.HookLogURLCurrent(&hk, l):
			d.Unresendable[l.ID] = model.ResendURLChanged + "."
		case l.Oversize():
			d.Unresendable[l.ID] = model.ResendOversize + "."
		}
	}
}

// listHookLogs is the Recent events section alone, for htmx paging and
// filtering; a browser without JavaScript gets the edit page instead.
func (h *Handler) listHookLogs(scope hookScopeFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sc, hk, err := h.scopedHook(c, scope)
		if err != nil {
			return err
		}
		st, err := h.store.Settings(h.ctx(c))
		if err != nil {
			return err
		}
		item := h.hookItem(sc, *hk, st)
		if !web.IsFragment(c) {
			return c.Redirect(http.StatusSeeOther, withQuery(item.EditURL(), c.QueryParams()))
		}
		d, err := h.recentEvents(c, item, c.QueryParams())
		if err != nil {
			return err
		}
		// The address bar follows the view (reload, Back and a shared link
		// show it again): the edit page with the same query.
		c.Response().Header().Set("HX-Push-Url", d.AddressURL())
		return web.Render(c, http.StatusOK, views.RecentEventsSection(h.fragmentPage(c), d, false))
	}
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// testHookForm runs a Test chosen from the dropdown and tells the outcome
// in a flash: for htmx in place (with the row's badge, or the edit page's
// callout and Recent events, brought up to date); otherwise back on the
// page it came from.
func (h *Handler) testHookForm(scope hookScopeFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sc, hk, err := h.scopedHook(c, scope)
		if err != nil {
			return err
		}
		ctx := h.ctx(c)
		view := views.TestFromList
		if c.FormValue("view") == views.TestFromEdit {
			view = views.TestFromEdit
		}
		status := http.StatusOK
		var kind, msg string
		t, ok := model.TriggerByAttribute(c.FormValue("trigger"))
		switch allowed, err := h.hookCallAllowed(ctx, "test", user(c), hk); {
		case err != nil:
			return err
		case !allowed:
			status, kind, msg = http.StatusTooManyRequests, "alert", model.TooManyRequests
		case !ok || !hk.Kind.Offers(t):
			kind, msg = hookExecutionFlash(nil, model.Unprocessable("%s", model.TestNotAvailable))
		default:
			l, err := h.runHookTest(ctx, hk, t, user(c))
			if err != nil && !isUnprocessable(err) {
				return err
			}
			kind, msg = hookExecutionFlash(l, err)
		}
		if !web.IsFragment(c) {
			h.srv.Flash(c, kind, msg)
			st, err := h.store.Settings(ctx)
			if err != nil {
				return err
			}
			if view == views.TestFromEdit {
				return web.Redirect(c, h.hookItem(sc, *hk, st).EditURL())
			}
			return web.Redirect(c, sc.base)
		}
		// The test may have enabled the hook again: show its new state.
		if hk, err = h.store.Hook(ctx, hk.ID); err != nil {
			return err
		}
		st, err := h.store.Settings(ctx)
		if err != nil {
			return err
		}
		item := h.hookItem(sc, *hk, st)
		p := h.fragmentPage(c)
		p.Flashes = []views.Flash{{Kind: kind, Message: msg}}
		var events *views.RecentEvents
		if view == views.TestFromEdit {
			d, err := h.recentEvents(c, item, nil)
			if err != nil {
				return err
			}
			events = &d
		}
		return web.Render(c, status, views.HookTestResult(p, item, view, events))
	}
}

// scopedHookLog finds the hook and the log row of a page request.
func (h *Handler) scopedHookLog(c echo.Context, scope hookScopeFunc) (hookScope, *model.Hook, *model.HookLog, error) {
	sc, hk, err := h.scopedHook(c, scope)
	if err != nil {
		return sc, nil, nil, err
	}
	id, err := strconv.ParseInt(c.Param("log_id"), 10, 64)
	if err != nil {
		return sc, nil, nil, model.NotFound("Page")
	}
	l, err := h.store.HookLog(h.ctx(c), hk.ID, id)
	return sc, hk, l, err
}

// showHookLog is a recent event's details page.
func (h *Handler) showHookLog(scope hookScopeFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sc, hk, l, err := h.scopedHookLog(c, scope)
		if err != nil {
			return err
		}
		st, err := h.store.Settings(h.ctx(c))
		if err != nil {
			return err
		}
		item := h.hookItem(sc, *hk, st)
		d := views.HookLogDetails{Hook: item, Log: *l, RequestBody: prettyJSON(l.RequestData)}
		switch {
		case !h.runner.HookLogURLCurrent(hk, l):
			d.ResendBlocked = model.ResendURLChanged + ": the webhook now points somewhere else, and a request is only ever resent to where it first went."
		case !hk.Executable(h.srv.Now(), st.AutoDisablingWebHooks):
			d.ResendBlocked = model.HookDisabled + ": the webhook failed too often and is disabled, so nothing is sent to it. Send a test that succeeds to enable it again, then resend."
		case l.Oversize():
			d.ResendBlocked = model.ResendOversize + ": the body was over the 25 MiB limit and was not kept, so it cannot be sent again."
		}
		p, err := sc.page(c, "Request details")
		if err != nil {
			return err
		}
		p.Crumbs = append(p.Crumbs, views.Crumb{Label: hookCrumb(hk), URL: item.EditURL()})
		return web.Render(c, http.StatusOK, views.HookLogPage(p, d))
	}
}

// hookCrumb names a hook in the breadcrumbs.
func hookCrumb(hk *model.Hook) string {
	if hk.Name != "" {
		return hk.Name
	}
	return fmt.Sprintf("Webhook %d", hk.ID)
}

// prettyJSON indents a logged body for reading; anything that is not JSON
// is shown as it is.
func prettyJSON(b []byte) string {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b)
	}
	return out.String()
}

// retryHookLogForm is Resend Request: like GitLab it goes back to the edit
// page, where the new attempt heads Recent events, with the outcome in a
// flash.
func (h *Handler) retryHookLogForm(scope hookScopeFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sc, hk, l, err := h.scopedHookLog(c, scope)
		if err != nil {
			return err
		}
		ctx := h.ctx(c)
		st, err := h.store.Settings(ctx)
		if err != nil {
			return err
		}
		item := h.hookItem(sc, *hk, st)
		allowed, err := h.hookCallAllowed(ctx, "resend", user(c), hk)
		if err != nil {
			return err
		}
		if !allowed {
			h.srv.Flash(c, "alert", model.TooManyRequests)
			return web.Redirect(c, item.LogURL(l.ID))
		}
		sent, err := h.runner.ResendHookLog(ctx, hk, l)
		if err != nil && !isUnprocessable(err) {
			return err
		}
		kind, msg := hookExecutionFlash(sent, err)
		h.srv.Flash(c, kind, msg)
		return web.Redirect(c, item.EditURL())
	}
}

// resendFailedIDs reads the posted log IDs (ids[]), at most a page's worth,
// in order, without repeats.
func resendFailedIDs(values url.Values) []int64 {
	var ids []int64
	for _, raw := range values["ids[]"] {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || slices.Contains(ids, id) {
			continue
		}
		ids = append(ids, id)
		if len(ids) == recentEventsPerPage {
			break
		}
	}
	return ids
}

// failedLogs loads the failed log rows of the hook among ids, oldest first.
func (h *Handler) failedLogs(c echo.Context, hk *model.Hook, ids []int64) ([]*model.HookLog, error) {
	var out []*model.HookLog
	for _, id := range ids {
		l, err := h.store.HookLog(h.ctx(c), hk.ID, id)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if l.Failed() {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b *model.HookLog) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

func resendFailedOf(item views.HookItem, logs []*model.HookLog, q url.Values) views.ResendFailed {
	r := views.ResendFailed{Hook: item}
	if _, ok := statusClassFilters[q.Get("status")]; ok {
		r.Status = q.Get("status")
	}
	if tr := q.Get("trigger"); slices.ContainsFunc(logTriggers(item.Hook.Kind), func(t model.Trigger) bool { return t.Scope == tr }) {
		r.Trigger = tr
	}
	for _, l := range logs {
		r.IDs = append(r.IDs, l.ID)
	}
	return r
}

// resendFailedPage confirms "Resend all failed in this view" for browsers
// without JavaScript (a dialog does it otherwise).
func (h *Handler) resendFailedPage(scope hookScopeFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sc, hk, err := h.scopedHook(c, scope)
		if err != nil {
			return err
		}
		st, err := h.store.Settings(h.ctx(c))
		if err != nil {
			return err
		}
		logs, err := h.failedLogs(c, hk, resendFailedIDs(c.QueryParams()))
		if err != nil {
			return err
		}
		p, err := sc.page(c, "Resend failed events")
		if err != nil {
			return err
		}
		return web.Render(c, http.StatusOK, views.ResendFailedPage(p, resendFailedOf(h.hookItem(sc, *hk, st), logs, c.QueryParams())))
	}
}

// resendFailedForm resends the failed events that were in view, oldest
// first, as one Resend against the rate limit, and stops when the hook gets
// disabled (a receiver that is down disables it after a few failures).
func (h *Handler) resendFailedForm(scope hookScopeFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sc, hk, err := h.scopedHook(c, scope)
		if err != nil {
			return err
		}
		ctx := h.ctx(c)
		st, err := h.store.Settings(ctx)
		if err != nil {
			return err
		}
		form, err := c.FormParams()
		if err != nil {
			return model.BadRequest("The form could not be read.")
		}
		logs, err := h.failedLogs(c, hk, resendFailedIDs(form))
		if err != nil {
			return err
		}
		back := resendFailedOf(h.hookItem(sc, *hk, st), nil, form).BackURL()
		allowed, err := h.hookCallAllowed(ctx, "resend", user(c), hk)
		if err != nil {
			return err
		}
		if !allowed {
			h.srv.Flash(c, "alert", model.TooManyRequests)
			return web.Redirect(c, back)
		}
		var succeeded, failed int
		refused := map[string]int{}
		var order []string
		for i, l := range logs {
			if hk, err = h.store.Hook(ctx, hk.ID); err != nil { // its state changes as it goes
				return err
			}
			sent, err := h.runner.ResendHookLog(ctx, hk, l)
			switch {
			case err != nil && !isUnprocessable(err):
				return err
			case err != nil:
				msg := err.Error()
				if refused[msg] == 0 {
					order = append(order, msg)
				}
				if errors.Is(err, model.ErrHookDisabled) {
					refused[msg] += len(logs) - i // the rest is not tried
				} else {
					refused[msg]++
				}
			case !sent.Failed():
				succeeded++
			default:
				failed++
			}
			if errors.Is(err, model.ErrHookDisabled) {
				break
			}
		}
		kind, msg := resendFailedSummary(len(logs), succeeded, failed, refused, order)
		h.srv.Flash(c, kind, msg)
		return web.Redirect(c, back)
	}
}

// resendFailedSummary says what "Resend all failed in this view" did.
func resendFailedSummary(total, succeeded, failed int, refused map[string]int, order []string) (kind, msg string) {
	if total == 0 {
		return "notice", "There was no failed event to resend."
	}
	sent := succeeded + failed
	parts := []string{fmt.Sprintf("Resent %d of %d failed events: %d succeeded, %d failed again.", sent, total, succeeded, failed)}
	for _, why := range order {
		parts = append(parts, fmt.Sprintf("%d not resent: %s.", refused[why], strings.TrimSuffix(why, ".")))
	}
	kind = "notice"
	if failed > 0 || len(order) > 0 {
		kind = "alert"
	}
	return kind, strings.Join(parts, " ")
}
