package delivery

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// attempt sends one delivery unless the hook was disabled meanwhile or its
// top-level group is over web_hook_calls; those are dropped without a log
// row and without counting as failures, as GitLab does.
func (e *Engine) attempt(ctx context.Context, j Job) db.Outcome {
	st := j.Settings
	now := e.now()
	if !j.Hook.Executable(now, st.AutoDisablingWebHooks) {
		return db.Outcome{DeliveryID: j.DeliveryID}
	}
	if j.Hook.Kind != model.SystemHookKind && j.Event.RootGroupID != nil && !e.allowCall(ctx, *j.Event.RootGroupID, st.WebHookCalls, now) {
		// Logged once per hook a minute; the counter carries the rest.
		e.metrics.rateLimited.Inc()
		if e.limiter.firstDropThisMinute(j.Hook.ID, now) {
			e.log.Info("webhook rate limit exceeded; further deliveries dropped this minute are only counted (hooklab_deliveries_rate_limited_total)",
				"hook_id", j.Hook.ID, "root_group_id", *j.Event.RootGroupID, "limit", st.WebHookCalls)
		}
		if err := e.store.NoteRateLimited(ctx, *j.Event.RootGroupID, now); err != nil {
			e.log.Error("note rate limit", "err", err)
		}
		return db.Outcome{DeliveryID: j.DeliveryID}
	}
	trigger, _ := model.TriggerByScope(j.Event.Scope)
	a := e.sender.Send(ctx, Request{Hook: *j.Hook, Trigger: trigger, Payload: j.Payload,
		EventUUID: j.Event.UUID, IdempotencyKey: j.IdempotencyKey, Settings: st})
	e.metrics.attempted(a)
	l := LogRow(j.Hook.ID, &j.Event.ID, j.IdempotencyKey, a, j.Payload)
	return db.Outcome{DeliveryID: j.DeliveryID, Log: l, Success: a.Success(), CountsForState: j.Hook.Kind.AutoDisables()}
}

// allowCall counts the delivery against its group's web_hook_calls. When
// the count cannot be taken the delivery goes out: dropping it unlogged
// would lose it for good.
func (e *Engine) allowCall(ctx context.Context, root int64, limit int, now time.Time) bool {
	ok, err := e.calls.AllowCall(ctx, root, limit, now)
	if err != nil {
		e.log.Error("count web_hook_calls", "root_group_id", root, "err", err)
		return true
	}
	return ok
}

// LogRow turns an attempt into its log row. The request body is kept only
// when it differs from the event's payload (a custom template, an error);
// otherwise the row refers to the event's payload, stored once for all the
// hooks it went to and redacted when the row is read.
func LogRow(hookID int64, eventID *int64, idempotencyKey string, a Attempt, p *Payload) *model.HookLog {
	l := &model.HookLog{
		HookID: hookID, EventID: eventID, Trigger: a.Trigger, URL: a.URL, URLHash: a.URLHash,
		RequestHeaders: headerList(a.RequestHeaders), RequestData: a.RequestData,
		ResponseStatus: a.ResponseStatus(), ResponseHeaders: headerList(a.ResponseHeaders),
		ResponseBody: []byte(a.ResponseBody), ExecutionDuration: a.ExecutionDuration.Seconds(),
		InternalErrorMessage: a.InternalErrorMessage, IdempotencyKey: idempotencyKey,
	}
	switch {
	case !a.sentStored:
	case eventID != nil:
		l.RequestData = nil
	case l.RequestData == nil && p != nil:
		// No event row to refer to: keep the redacted body itself.
		l.RequestData, _ = model.RedactEmailsJSON(p.body)
	}
	return l
}

// headerList orders headers by name for a stable log.
func headerList(m map[string]string) []model.Header {
	out := make([]model.Header, 0, len(m))
	for k, v := range m {
		out = append(out, model.Header{Name: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// callLimiter counts deliveries per top-level group in fixed one-minute
// windows (web_hook_calls), and remembers which hooks had a delivery
// dropped in the current window.
type callLimiter struct {
	mu      sync.Mutex
	window  time.Time
	counts  map[int64]int
	dropped map[int64]bool
}

func newCallLimiter() *callLimiter {
	return &callLimiter{counts: map[int64]int{}, dropped: map[int64]bool{}}
}

// firstDropThisMinute reports whether this is the hook's first dropped
// delivery in the current window.
func (l *callLimiter) firstDropThisMinute(hookID int64, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	if l.dropped[hookID] {
		return false
	}
	l.dropped[hookID] = true
	return true
}

func (l *callLimiter) roll(now time.Time) {
	if w := now.Truncate(time.Minute); !w.Equal(l.window) {
		l.window, l.counts, l.dropped = w, map[int64]int{}, map[int64]bool{}
	}
}

func (l *callLimiter) allow(root int64, limit int, now time.Time) bool {
	if limit <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	if l.counts[root] >= limit {
		return false
	}
	l.counts[root]++
	return true
}
