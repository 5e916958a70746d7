package delivery

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// Test and Resend send one request at once, outside the outbox,
// on behalf of a user waiting for the answer. Both write their log row —
// and the hook's auto-disable state — before they return.

// TestHook sends sample — a published event of trigger's kind, or a
// built-in sample with no ID — to the hook now, as GitLab's Test does:
// whether or not the hook is disabled and whatever its branch filter says,
// with the hook's custom template applied, a fresh Idempotency-Key and
// event UUID. A 2xx/3xx answer re-enables a disabled hook; a failure
// counts like any other. The log row refers to the sample event, whose
// payload is sent as receivers got it when it was published.
func (e *Engine) TestHook(ctx context.Context, hook *model.Hook, trigger model.Trigger, sample *db.DeliveryEvent) (*model.HookLog, error) {
	st, err := e.store.Settings(ctx)
	if err != nil {
		return nil, err
	}
	logged, err := model.RedactEmailsJSON(sample.Payload)
	if err != nil {
		return nil, model.BadRequest("the sample payload is not valid JSON")
	}
	var eventID *int64
	if sample.ID != 0 {
		eventID = &sample.ID
	}
	return e.sendNow(ctx, hook, trigger, NewStoredPayload(sample.Payload, logged), uuid.NewString(), eventID, st)
}

// ResendHookLog sends a logged request again, as GitLab's ResendService
// does: the stored body as it is, the same Idempotency-Key, a new
// X-Gitlab-Webhook-UUID, and a new log row. The body is the one first sent
// (the event's stored payload) when the store still has it: GitLab resends
// its log's copy, whose e-mail addresses are [REDACTED]. It refuses (model.Unprocessable
// with GitLab's message) when the hook's interpolated URL is no longer the
// one the log row went to (model.ErrResendURLChanged), and when the hook
// is disabled (model.ErrHookDisabled).
func (e *Engine) ResendHookLog(ctx context.Context, hook *model.Hook, l *model.HookLog) (*model.HookLog, error) {
	if !e.HookLogURLCurrent(hook, l) {
		return nil, model.ErrResendURLChanged
	}
	st, err := e.store.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if !hook.Executable(e.now(), st.AutoDisablingWebHooks) {
		return nil, model.ErrHookDisabled
	}
	if l.Oversize() {
		return nil, model.ErrResendOversize
	}
	body, err := e.store.HookLogSentBody(ctx, hook.ID, l.ID)
	if err != nil {
		return nil, err
	}
	p, err := NewVerbatimPayload(body)
	if err != nil {
		return nil, model.Unprocessable("The logged request body cannot be sent again: it is not valid JSON")
	}
	key := l.IdempotencyKey
	if key == "" {
		key = uuid.NewString()
	}
	return e.sendNow(ctx, hook, model.TriggerForScope(l.Trigger), p, key, l.EventID, st)
}

// HookLogURLCurrent reports whether the hook still points where the logged
// request went (the log row keeps a salted hash of the interpolated URL).
// A row without a hash — the URL could not be interpolated then — is
// taken as current, as GitLab takes a row without url_hash.
func (e *Engine) HookLogURLCurrent(hook *model.Hook, l *model.HookLog) bool {
	if l.URLHash == "" {
		return true
	}
	cur, err := e.sender.HookURLHash(*hook)
	return err == nil && cur == l.URLHash
}

// sendNow makes one attempt and records it with the hook's new state. The
// attempt and its record are not cut short when the user's request goes
// away: they are bounded by webhook_timeout, and the log must say what was
// sent.
func (e *Engine) sendNow(ctx context.Context, hook *model.Hook, trigger model.Trigger, p *Payload, key string,
	eventID *int64, st model.Settings) (*model.HookLog, error) {
	ctx = context.WithoutCancel(ctx)
	a := e.sender.Send(ctx, Request{Hook: *hook, Trigger: trigger, Payload: p, IdempotencyKey: key, Settings: st})
	if a.Aborted() {
		return nil, errors.New("webhook request aborted")
	}
	l := LogRow(hook.ID, eventID, key, a, p)
	out := db.Outcome{Log: l, Success: a.Success(), CountsForState: hook.Kind.AutoDisables()}
	res, err := e.store.RecordOutcomes(ctx, e.id, []db.Outcome{out})
	if err != nil {
		return nil, fmt.Errorf("record webhook attempt: %w", err)
	}
	if res.Recorded == 0 {
		return nil, model.NotFound("Hook") // deleted while the request was on the wire
	}
	return l, nil
}
