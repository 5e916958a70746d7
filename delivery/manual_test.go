package delivery

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

func (e *engineEnv) reload(id int64) *model.Hook {
	e.t.Helper()
	h, err := e.store.Hook(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

func (e *engineEnv) setState(id int64, failures int, until *time.Time) {
	e.t.Helper()
	if _, err := e.store.UpdateHookState(context.Background(), id, func(h *model.Hook) bool {
		h.RecentFailures, h.DisabledUntil = failures, until
		return true
	}); err != nil {
		e.t.Fatal(err)
	}
}

// A test goes to a permanently disabled hook whose branch filter the
// sample does not match, with the template applied; its log row is stored
// before TestHook returns, and the 200 enables the hook again.
func TestTestHookRunsOnDisabledHooksAndReenables(t *testing.T) {
	e := newEngineEnv(t)
	rcv := newReceiver(t, nil)
	h := e.hook(model.ProjectHookKind, nil, rcv.URL+"/t", "push_events")
	filter := "only-this-branch"
	h.PushEventsBranchFilter = &filter
	h.CustomWebhookTemplate = `{"kind":"{{object_kind}}","ref":"{{ref}}"}`
	if err := e.store.UpdateHook(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	e.setState(h.ID, 40, nil)
	h = e.reload(h.ID)
	if got := h.AlertStatus(e.clock.Now(), true); got != model.AlertDisabled {
		t.Fatalf("alert status %s, want disabled", got)
	}

	l, err := e.engine.TestHook(context.Background(), h, trigger(t, "push_hooks"), &db.DeliveryEvent{Payload: []byte(e.push("refs/heads/main"))})
	if err != nil {
		t.Fatal(err)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 || string(reqs[0].Body) != `{"kind":"push","ref":"refs/heads/main"}` {
		t.Fatalf("receiver got %d requests: %+v", len(reqs), reqs)
	}
	if got := reqs[0].Header.Get("Idempotency-Key"); got == "" || got != l.IdempotencyKey {
		t.Errorf("Idempotency-Key %q, logged %q", got, l.IdempotencyKey)
	}
	if l.ID == 0 || l.ResponseStatus != "200" || l.Trigger != "push_hooks" {
		t.Fatalf("log %+v", l)
	}
	stored, err := e.store.HookLog(context.Background(), h.ID, l.ID)
	if err != nil || string(stored.RequestData) != `{"kind":"push","ref":"refs/heads/main"}` {
		t.Fatalf("stored log %+v: %v", stored, err)
	}
	if after := e.reload(h.ID); after.RecentFailures != 0 || after.DisabledUntil != nil {
		t.Fatalf("after a successful test: %d failures, disabled until %v", after.RecentFailures, after.DisabledUntil)
	}
}

// A failed test counts as a failure of an executable hook, and a 3xx
// counts as a success.
func TestTestHookOutcomesCount(t *testing.T) {
	e := newEngineEnv(t)
	var status atomic.Int64
	status.Store(500)
	rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(int(status.Load())) })
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.setState(h.ID, 3, nil)
	if _, err := e.engine.TestHook(context.Background(), e.reload(h.ID), trigger(t, "push_hooks"), &db.DeliveryEvent{Payload: []byte(e.push("refs/heads/main"))}); err != nil {
		t.Fatal(err)
	}
	if after := e.reload(h.ID); after.RecentFailures != 4 || after.DisabledUntil == nil {
		t.Fatalf("after a failed test: %d failures, disabled until %v; want 4 and a backoff", after.RecentFailures, after.DisabledUntil)
	}
	status.Store(302)
	l, err := e.engine.TestHook(context.Background(), e.reload(h.ID), trigger(t, "push_hooks"), &db.DeliveryEvent{Payload: []byte(e.push("refs/heads/main"))})
	if err != nil || l.ResponseStatus != "302" {
		t.Fatalf("test: %v %+v", err, l)
	}
	if after := e.reload(h.ID); after.RecentFailures != 0 || after.DisabledUntil != nil {
		t.Fatalf("after a 302: %d failures, disabled until %v", after.RecentFailures, after.DisabledUntil)
	}
}

// Resend sends the logged body with the original Idempotency-Key and a
// new X-Gitlab-Webhook-UUID, and writes a new row; it refuses when the URL
// changed or the hook is disabled.
func TestResendHookLog(t *testing.T) {
	e := newEngineEnv(t)
	rcv := newReceiver(t, nil)
	h := e.hook(model.ProjectHookKind, nil, rcv.URL+"/first", "push_events")
	h.URL, h.URLVariables = rcv.URL+"/{path}", map[string]string{"path": "first"}
	if err := e.store.UpdateHook(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	e.start()
	e.publish(e.push("refs/heads/main"))
	orig := e.logs(h.ID, 1)[0]
	e.stop()

	l, err := e.engine.ResendHookLog(context.Background(), e.reload(h.ID), &orig)
	if err != nil {
		t.Fatal(err)
	}
	reqs := rcv.requests()
	if len(reqs) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(reqs))
	}
	first, again := reqs[0], reqs[1]
	if k1, k2 := first.Header.Get("Idempotency-Key"), again.Header.Get("Idempotency-Key"); k1 == "" || k1 != k2 {
		t.Errorf("Idempotency-Key: original %q, resent %q", k1, k2)
	}
	if u1, u2 := first.Header.Get("X-Gitlab-Webhook-UUID"), again.Header.Get("X-Gitlab-Webhook-UUID"); u1 == u2 {
		t.Errorf("X-Gitlab-Webhook-UUID reused: %q", u1)
	}
	if string(first.Body) != string(again.Body) || again.Path != "/first" || again.Header.Get("X-Gitlab-Event") != "Push Hook" {
		t.Errorf("resent %s %s %q, original %s", again.Path, again.Header.Get("X-Gitlab-Event"), again.Body, first.Body)
	}
	if l.ID == orig.ID || l.IdempotencyKey != orig.IdempotencyKey || l.Trigger != "push_hooks" {
		t.Errorf("new row %+v, original %+v", l, orig)
	}
	if all := e.logs(h.ID, 2); len(all) != 2 {
		t.Fatalf("got %d rows, want 2", len(all))
	}

	t.Run("disabled", func(t *testing.T) {
		until := e.clock.Now().Add(time.Hour)
		e.setState(h.ID, 5, &until)
		defer e.setState(h.ID, 0, nil)
		_, err := e.engine.ResendHookLog(context.Background(), e.reload(h.ID), &orig)
		if !errors.Is(err, model.ErrHookDisabled) || !errors.Is(err, model.ErrInvalid) {
			t.Fatalf("got %v, want %q", err, model.HookDisabled)
		}
	})
	t.Run("URL changed", func(t *testing.T) {
		hk := e.reload(h.ID)
		hk.URLVariables = map[string]string{"path": "second"}
		if err := e.store.UpdateHook(context.Background(), hk); err != nil {
			t.Fatal(err)
		}
		if e.engine.HookLogURLCurrent(hk, &orig) {
			t.Error("the URL is reported current")
		}
		_, err := e.engine.ResendHookLog(context.Background(), hk, &orig)
		if !errors.Is(err, model.ErrResendURLChanged) || !errors.Is(err, model.ErrInvalid) {
			t.Fatalf("got %v, want %q", err, model.ResendURLChanged)
		}
	})
	if n := len(rcv.requests()); n != 2 {
		t.Fatalf("refused resends reached the receiver: %d requests", n)
	}
	_, total, _ := e.store.HookLogs(context.Background(), h.ID, db.HookLogFilter{Page: db.Page{Page: 1, PerPage: 10}})
	if total != 2 {
		t.Fatalf("refused resends wrote log rows: %d rows", total)
	}
}
