package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/web"
)

// Recent events, Test and Resend in GitLab's API (lib/api/hooks/events.rb,
// resend_hook.rb, trigger_test.rb and the system hooks' test.rb).

// Days of recent events the API and the edit page show (GitLab's
// WebHookLog::MAX_RECENT_DAYS and the edit page's recent(2)), counted from
// the beginning of the day.
const (
	apiHookEventDays  = 7
	pageHookEventDays = 2
)

// hookEventsSince is the start of the day n days before now (UTC).
func hookEventsSince(now time.Time, days int) time.Time {
	y, m, d := now.UTC().AddDate(0, 0, -days).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// apiHookEventMaxPerPage bounds per_page of GET .../events (1–20).
const apiHookEventMaxPerPage = 20

// errTooManyHookCalls is GitLab's API answer over a rate limit.
var errTooManyHookCalls = &web.JSONError{Status: http.StatusTooManyRequests,
	Body: map[string]any{"message": map[string]string{"error": model.TooManyRequests}}}

// hookEventStatusClasses are the status filter's words besides codes.
var hookEventStatusClasses = map[string]bool{"successful": true, "client_failure": true, "server_failure": true}

// hookEventStatuses reads the status filter: comma-separated or repeated
// values, each an HTTP status code (Rack's list; Go's here) or one of the
// classes; anything else is GitLab's 400.
func hookEventStatuses(ps params) ([]string, error) {
	raw, ok := ps.StringList("status")
	if !ok {
		return nil, nil
	}
	var out []string
	for _, r := range raw {
		for _, s := range strings.Split(r, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if !hookEventStatusClasses[s] {
				n, err := strconv.Atoi(s)
				if err != nil || len(s) != 3 || http.StatusText(n) == "" {
					return nil, notValidValue("status")
				}
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// hookEventsPage reads page and per_page (1–20, default 20).
func hookEventsPage(ps params) (web.Pagination, error) {
	pg := web.Pagination{Page: 1, PerPage: apiHookEventMaxPerPage}
	if n, ok, err := ps.Int64("per_page"); err != nil {
		return pg, err
	} else if ok {
		if n < 1 || n > apiHookEventMaxPerPage {
			return pg, notValidValue("per_page")
		}
		pg.PerPage = int(n)
	}
	if n, ok, err := ps.Int64("page"); err != nil {
		return pg, err
	} else if ok {
		pg.Page = model.ClampPage(int(min(n, model.MaxPage)))
	}
	return pg, nil
}

// apiListHookEvents is GET .../hooks/:hook_id/events: the last 7 days,
// newest first.
func (h *Handler) apiListHookEvents(parent hookParentFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := parent(c)
		if err != nil {
			return err
		}
		ps, err := readParams(c)
		if err != nil {
			return err
		}
		statuses, err := hookEventStatuses(ps)
		if err != nil {
			return err
		}
		pg, err := hookEventsPage(ps)
		if err != nil {
			return err
		}
		id, err := hookIDParam(c)
		if err != nil {
			return err
		}
		hk, err := h.hookOf(h.ctx(c), p, id)
		if err != nil {
			return err
		}
		logs, total, err := h.store.HookLogs(h.ctx(c), hk.ID, db.HookLogFilter{
			Since: hookEventsSince(h.srv.Now(), apiHookEventDays), Statuses: statuses,
			Page: db.Page{Page: pg.Page, PerPage: pg.PerPage},
		})
		if err != nil {
			return err
		}
		out := make([]apiHookLog, 0, len(logs))
		for i := range logs {
			out = append(out, hookLogEntity(&logs[i]))
		}
		web.SetPageHeaders(c, h.cfg.ExternalURL, pg, total)
		return c.JSON(http.StatusOK, out)
	}
}

// apiResendHookEvent is POST .../hooks/:hook_id/events/:hook_log_id/resend:
// 201 {"response_status": N}, 422 with the refusal or the failure, 404 for
// a log row the hook does not have.
func (h *Handler) apiResendHookEvent(parent hookParentFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		_, hk, err := h.apiHook(c, parent)
		if err != nil {
			return err
		}
		logID, err := strconv.ParseInt(c.Param("hook_log_id"), 10, 64)
		if err != nil {
			return invalidParam("hook_log_id")
		}
		ctx := h.ctx(c)
		if ok, err := h.hookCallAllowed(ctx, "resend", user(c), hk); err != nil {
			return err
		} else if !ok {
			return errTooManyHookCalls
		}
		l, err := h.store.HookLog(ctx, hk.ID, logID)
		if isNotFound(err) {
			return errHookNotFound
		}
		if err != nil {
			return err
		}
		sent, err := h.runner.ResendHookLog(ctx, hk, l)
		if err != nil {
			return err
		}
		if sent.InternalError() {
			return model.Unprocessable("%s", sent.InternalErrorMessage)
		}
		return c.JSON(http.StatusCreated, map[string]int{"response_status": sent.StatusCode()})
	}
}

// apiTestHook is POST .../hooks/:hook_id/test/:trigger: 201 when the
// receiver answered 2xx, else 422 with the message (the receiver's body,
// the request's error, or what sample data is missing).
func (h *Handler) apiTestHook(parent hookParentFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := parent(c)
		if err != nil {
			return err
		}
		t, ok := model.TriggerByAttribute(c.Param("trigger"))
		if !ok || !p.kind.Offers(t) {
			return notValidValue("trigger")
		}
		id, err := hookIDParam(c)
		if err != nil {
			return err
		}
		ctx := h.ctx(c)
		hk, err := h.hookOf(ctx, p, id)
		if err != nil {
			return err
		}
		if ok, err := h.hookCallAllowed(ctx, "test", user(c), hk); err != nil {
			return err
		} else if !ok {
			return errTooManyHookCalls
		}
		l, err := h.runHookTest(ctx, hk, t, user(c))
		if err != nil {
			return err
		}
		if code := l.StatusCode(); code >= 200 && code < 300 {
			return c.JSON(http.StatusCreated, map[string]string{"message": "201 Created"})
		}
		if l.InternalError() {
			return model.Unprocessable("%s", l.InternalErrorMessage)
		}
		if body := strings.TrimSpace(string(l.ResponseBody)); body != "" {
			return model.Unprocessable("%s", body)
		}
		return model.Unprocessable("Hook executed successfully but returned HTTP %s", l.ResponseStatus)
	}
}

// apiTestSystemHook is POST /hooks/:hook_id: GitLab's system hook test
// sends its project_create sample under the trigger "system_hooks" and
// answers 201 with that sample, whatever the receiver said.
func (h *Handler) apiTestSystemHook(c echo.Context) error {
	_, hk, err := h.apiHook(c, h.apiSystemHookParent)
	if err != nil {
		return err
	}
	ctx := h.ctx(c)
	if ok, err := h.hookCallAllowed(ctx, "test", user(c), hk); err != nil {
		return err
	} else if !ok {
		return errTooManyHookCalls
	}
	sample := &db.DeliveryEvent{Scope: model.SystemHookTestTrigger.Scope, Payload: []byte(model.SystemHookTestData)}
	if _, err := h.runner.TestHook(ctx, hk, model.SystemHookTestTrigger, sample); err != nil {
		return err
	}
	return c.JSONBlob(http.StatusCreated, []byte(model.SystemHookTestData))
}

// apiHookLog is GitLab's WebHookLog entity.
type apiHookLog struct {
	ID                int64         `json:"id"`
	URL               string        `json:"url"`
	Trigger           string        `json:"trigger"`
	RequestHeaders    headerObject  `json:"request_headers"`
	RequestData       rawJSONObject `json:"request_data"`
	ResponseHeaders   headerObject  `json:"response_headers"`
	ResponseBody      string        `json:"response_body"`
	ExecutionDuration float64       `json:"execution_duration"`
	ResponseStatus    string        `json:"response_status"`
	CreatedAt         web.APITime   `json:"created_at"`
}

func hookLogEntity(l *model.HookLog) apiHookLog {
	return apiHookLog{ID: l.ID, URL: l.URL, Trigger: l.Trigger, RequestHeaders: l.RequestHeaders,
		RequestData: l.RequestData, ResponseHeaders: l.ResponseHeaders, ResponseBody: string(l.ResponseBody),
		ExecutionDuration: l.ExecutionDuration, ResponseStatus: l.ResponseStatus, CreatedAt: web.APITime(l.CreatedAt)}
}

// headerObject writes headers as a JSON object in their logged order, as
// GitLab's hashes are.
type headerObject []model.Header

func (h headerObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, hd := range h {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(hd.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(hd.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// rawJSONObject is a logged body written as JSON (GitLab's request_data
// hash); an empty one is {}.
type rawJSONObject []byte

func (r rawJSONObject) MarshalJSON() ([]byte, error) {
	if len(bytes.TrimSpace(r)) == 0 {
		return []byte("{}"), nil
	}
	if !json.Valid(r) {
		return json.Marshal(string(r))
	}
	return r, nil
}

// isUnprocessable reports a refusal whose message is the whole answer.
func isUnprocessable(err error) bool {
	var me *model.Error
	return errors.As(err, &me) && errors.Is(err, model.ErrInvalid)
}
