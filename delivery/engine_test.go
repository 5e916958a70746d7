package delivery

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

func TestEngineFansOutToProjectAncestorAndSystemHooks(t *testing.T) {
	dbtest.EachBackend(t, testEngineFansOutToProjectAncestorAndSystemHooks)
}

func testEngineFansOutToProjectAncestorAndSystemHooks(t *testing.T) {
	e := newEngineEnv(t)
	rcv := newReceiver(t, nil)
	project := e.hook(model.ProjectHookKind, nil, rcv.URL+"/project", "push_events")
	root := e.hook(model.GroupHookKind, e.root, rcv.URL+"/root", "push_events")
	sub := e.hook(model.GroupHookKind, e.sub, rcv.URL+"/sub", "issues_events")
	system := e.hook(model.SystemHookKind, nil, rcv.URL+"/system", "push_events")
	other := dbtest.Group(t, e.store, "other", nil, nil)
	e.hook(model.GroupHookKind, other, rcv.URL+"/other", "push_events")
	e.start()

	res := e.publish(e.push("refs/heads/main"))
	if res.Deliveries != 3 {
		t.Fatalf("push: got %d deliveries, want 3 (project, ancestor group, system)", res.Deliveries)
	}
	for _, h := range []*model.Hook{project, root, system} {
		logs := e.logs(h.ID, 1)
		if logs[0].ResponseStatus != "200" || logs[0].Trigger != "push_hooks" {
			t.Errorf("hook %d: got status %q trigger %q", h.ID, logs[0].ResponseStatus, logs[0].Trigger)
		}
	}
	reqs := rcv.requests()
	byPath := map[string]received{}
	webhookUUIDs, keys := map[string]bool{}, map[string]bool{}
	for _, r := range reqs {
		byPath[r.Path] = r
		if got := r.Header.Get("X-Gitlab-Event-UUID"); got != res.UUID {
			t.Errorf("%s: X-Gitlab-Event-UUID %q, want the event's %q", r.Path, got, res.UUID)
		}
		webhookUUIDs[r.Header.Get("X-Gitlab-Webhook-UUID")] = true
		keys[r.Header.Get("Idempotency-Key")] = true
	}
	if len(reqs) != 3 || len(webhookUUIDs) != 3 || len(keys) != 3 {
		t.Errorf("got %d requests with %d webhook UUIDs and %d idempotency keys, want 3 distinct each", len(reqs), len(webhookUUIDs), len(keys))
	}
	if got := byPath["/system"].Header.Get("X-Gitlab-Event"); got != "System Hook" {
		t.Errorf("system hook: X-Gitlab-Event %q, want System Hook", got)
	}
	if got := byPath["/root"].Header.Get("X-Gitlab-Event"); got != "Push Hook" {
		t.Errorf("group hook: X-Gitlab-Event %q, want Push Hook", got)
	}
	// The logged body has e-mail values redacted; the receiver got them.
	if !strings.Contains(string(byPath["/project"].Body), "jsmith@example.com") {
		t.Error("the receiver did not get the payload's e-mail")
	}
	if l := e.logs(project.ID, 1)[0]; strings.Contains(string(l.RequestData), "jsmith@example.com") || !strings.Contains(string(l.RequestData), "[REDACTED]") {
		t.Errorf("logged body not redacted: %s", l.RequestData)
	}

	issue := `{"object_kind":"issue","event_type":"issue","project":{"id":` + itoa(e.project.ID) + `},"object_attributes":{"id":1,"title":"Bug","description":"![s](/uploads/abc/s.png)","confidential":false}}`
	if res := e.publish(issue); res.Deliveries != 1 {
		t.Fatalf("issue: got %d deliveries, want 1 (the subgroup's hook)", res.Deliveries)
	}
	l := e.logs(sub.ID, 1)[0]
	if !strings.Contains(string(l.RequestData), testExternalURL+"/-/project/"+itoa(e.project.ID)+"/uploads/abc/s.png") {
		t.Errorf("image URL not made absolute: %s", l.RequestData)
	}
}

func TestEngineBranchFilterAndPushLimit(t *testing.T) {
	dbtest.EachBackend(t, testEngineBranchFilterAndPushLimit)
}

func testEngineBranchFilterAndPushLimit(t *testing.T) {
	e := newEngineEnv(t)
	rcv := newReceiver(t, nil)
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events", "tag_push_events")
	filter := "release/*"
	h.PushEventsBranchFilter = &filter
	if err := e.store.UpdateHook(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	const zero = "0000000000000000000000000000000000000000"
	created := func(ref string) string {
		return pushPayload(e.project.ID, ref, zero, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7")
	}
	tag := `{"object_kind":"tag_push","event_name":"tag_push","before":"` + zero + `","after":"82b3d5ae55f7080f1e6022629cdb57bfae7cccc7","ref":"refs/tags/v1.0.0","project_id":` + itoa(e.project.ID) + `,"project":{"id":` + itoa(e.project.ID) + `}}`
	for _, tc := range []struct {
		name     string
		payloads []string
		want     int
	}{
		{"branch outside the filter", []string{e.push("refs/heads/main")}, 0},
		{"branch in the filter", []string{e.push("refs/heads/release/1.0/hotfix")}, 1},
		{"tags are never filtered", []string{tag}, 1},
		{"three created branches: at the limit", []string{created("refs/heads/release/a"), created("refs/heads/release/b"), created("refs/heads/release/c")}, 3},
		{"four created branches: over the limit", []string{created("refs/heads/release/a"), created("refs/heads/release/b"), created("refs/heads/release/c"), created("refs/heads/release/d")}, 0},
		{"four pushes, two kinds of change", []string{created("refs/heads/release/a"), created("refs/heads/release/b"), e.push("refs/heads/release/c"), e.push("refs/heads/release/d")}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := e.publish(tc.payloads...).Deliveries; got != tc.want {
				t.Fatalf("got %d deliveries, want %d", got, tc.want)
			}
		})
	}
}

func TestEngineAutoDisableTimeline(t *testing.T) {
	dbtest.EachBackend(t, testEngineAutoDisableTimeline)
}

func testEngineAutoDisableTimeline(t *testing.T) {
	e := newEngineEnv(t)
	rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.start()
	ctx := context.Background()
	for n := 1; n <= 40; n++ {
		if res := e.publish(e.push("refs/heads/main")); res.Deliveries != 1 {
			t.Fatalf("failure %d: got %d deliveries, want 1", n, res.Deliveries)
		}
		failedAt := e.clock.Now()
		e.logs(h.ID, n)
		got, err := e.store.Hook(ctx, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.RecentFailures != n {
			t.Fatalf("failure %d: recent_failures %d", n, got.RecentFailures)
		}
		status := got.AlertStatus(failedAt, true)
		switch {
		case n <= 3:
			if got.DisabledUntil != nil || status != model.AlertExecutable {
				t.Fatalf("failure %d: got %s until %v, want executable", n, status, got.DisabledUntil)
			}
		case n < 40:
			backoff := time.Minute
			for i := 4; i < n && backoff < 24*time.Hour; i++ {
				backoff *= 2
			}
			backoff = min(backoff, 24*time.Hour)
			if got.DisabledUntil == nil || !got.DisabledUntil.Equal(failedAt.Add(backoff)) || status != model.AlertTemporarilyDisabled {
				t.Fatalf("failure %d: got %s until %v, want temporarily disabled until now+%s", n, status, got.DisabledUntil, backoff)
			}
			// While disabled, nothing is delivered and nothing is counted.
			if res := e.publish(e.push("refs/heads/main")); res.Deliveries != 0 {
				t.Fatalf("failure %d: a disabled hook got %d deliveries", n, res.Deliveries)
			}
			e.clock.Advance(backoff + time.Second)
		default:
			if status != model.AlertDisabled {
				t.Fatalf("failure 40: got %s, want disabled", status)
			}
		}
	}
	e.clock.Advance(48 * time.Hour)
	if res := e.publish(e.push("refs/heads/main")); res.Deliveries != 0 {
		t.Fatalf("a permanently disabled hook got %d deliveries", res.Deliveries)
	}
	if got := len(rcv.requests()); got != 40 {
		t.Fatalf("receiver got %d requests, want 40", got)
	}
}

func TestEngineSuccessResetsFailures(t *testing.T) {
	dbtest.EachBackend(t, testEngineSuccessResetsFailures)
}

func testEngineSuccessResetsFailures(t *testing.T) {
	e := newEngineEnv(t)
	var mu sync.Mutex
	code := http.StatusBadGateway
	rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(code)
	})
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.start()
	for n := 1; n <= 3; n++ {
		e.publish(e.push("refs/heads/main"))
		e.logs(h.ID, n)
	}
	mu.Lock()
	code = http.StatusFound // 3xx counts as success
	mu.Unlock()
	e.publish(e.push("refs/heads/main"))
	e.logs(h.ID, 4)
	got, _ := e.store.Hook(context.Background(), h.ID)
	if got.RecentFailures != 0 || got.DisabledUntil != nil {
		t.Fatalf("after a 302: recent_failures %d until %v, want reset", got.RecentFailures, got.DisabledUntil)
	}
}

func TestEngineSwitchedOffAutoDisablingNeverDisables(t *testing.T) {
	dbtest.EachBackend(t, testEngineSwitchedOffAutoDisablingNeverDisables)
}

func testEngineSwitchedOffAutoDisablingNeverDisables(t *testing.T) {
	e := newEngineEnv(t)
	e.settings(func(s *model.Settings) { s.AutoDisablingWebHooks = false })
	rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.start()
	for n := 1; n <= 6; n++ {
		if res := e.publish(e.push("refs/heads/main")); res.Deliveries != 1 {
			t.Fatalf("publish %d: got %d deliveries, want 1", n, res.Deliveries)
		}
		e.logs(h.ID, n)
	}
	got, _ := e.store.Hook(context.Background(), h.ID)
	if got.RecentFailures != 0 || got.DisabledUntil != nil {
		t.Fatalf("got recent_failures %d until %v, want no state kept", got.RecentFailures, got.DisabledUntil)
	}
}

// A worker that claimed a delivery and died (its lease abandoned) leaves
// the delivery to be sent again after the lease, with the same key.
func TestEngineAbandonedLeaseIsResentWithTheSameIdempotencyKey(t *testing.T) {
	dbtest.EachBackend(t, testEngineAbandonedLeaseIsResentWithTheSameIdempotencyKey)
}

func testEngineAbandonedLeaseIsResentWithTheSameIdempotencyKey(t *testing.T) {
	e := newEngineEnv(t)
	rcv := newReceiver(t, nil)
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.publish(e.push("refs/heads/main"))
	ctx := context.Background()
	now := e.clock.Now()
	// Another instance, alive when the engine starts, claims it and dies.
	if err := e.store.RegisterInstance(ctx, db.Instance{ID: "other", StartedAt: now, HeartbeatAt: now}); err != nil {
		t.Fatal(err)
	}
	claims, _, err := e.store.ClaimDeliveries(ctx, "other", now, now.Add(time.Minute), db.ClaimLimits{Count: 10})
	if err != nil || len(claims) != 1 {
		t.Fatalf("claim: %v %v", claims, err)
	}
	// A second claimer gets nothing while the lease holds.
	if again, _, _ := e.store.ClaimDeliveries(ctx, "third", now, now.Add(time.Minute), db.ClaimLimits{Count: 10}); len(again) != 0 {
		t.Fatalf("a leased delivery was claimed twice: %v", again)
	}
	e.start()
	e.claimRounds(3) // several claims: the lease must hold
	if got := len(rcv.requests()); got != 0 {
		t.Fatalf("sent %d times during the lease", got)
	}
	e.clock.Advance(time.Minute + time.Second)
	logs := e.logs(h.ID, 1)
	reqs := rcv.requests()
	if len(reqs) != 1 || reqs[0].Header.Get("Idempotency-Key") != claims[0].IdempotencyKey || logs[0].IdempotencyKey != claims[0].IdempotencyKey {
		t.Fatalf("got %d requests with key %q (log %q), want one with %q", len(reqs), reqs[0].Header.Get("Idempotency-Key"), logs[0].IdempotencyKey, claims[0].IdempotencyKey)
	}
}

func TestEngineRestartDeliversWhatWasPending(t *testing.T) {
	dbtest.EachBackend(t, testEngineRestartDeliversWhatWasPending)
}

func testEngineRestartDeliversWhatWasPending(t *testing.T) {
	e := newEngineEnv(t)
	rcv := newReceiver(t, nil)
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	for i := 0; i < 5; i++ {
		e.publish(e.push("refs/heads/main"))
	}
	// The process stops before delivering anything.
	e.store.Close()
	store := dbtest.OpenAt(t, e.path, e.clock.Now)
	e.store = store
	e.engine = NewEngine(store, e.sender, e.opt)
	e.start()
	logs := e.logs(h.ID, 5)
	if len(rcv.requests()) != 5 || len(logs) != 5 {
		t.Fatalf("after restart: %d requests, %d logs, want 5 each", len(rcv.requests()), len(logs))
	}
	e.idle()
}

func TestEngineHangingReceiverIsCutOffAtTheTimeout(t *testing.T) {
	dbtest.EachBackend(t, testEngineHangingReceiverIsCutOffAtTheTimeout)
}

func testEngineHangingReceiverIsCutOffAtTheTimeout(t *testing.T) {
	e := newEngineEnv(t)
	e.settings(func(s *model.Settings) { s.WebhookTimeout = 1 })
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.start()
	e.publish(e.push("refs/heads/main"))
	l := e.logs(h.ID, 1)[0]
	if l.ResponseStatus != model.InternalErrorStatus || !strings.Contains(strings.ToLower(l.InternalErrorMessage), "timeout") ||
		l.ExecutionDuration < 0.9 || l.ExecutionDuration > 5 {
		t.Fatalf("got status %q, message %q after %.2fs; want an internal error at the 1s timeout", l.ResponseStatus, l.InternalErrorMessage, l.ExecutionDuration)
	}
	if got, _ := e.store.Hook(context.Background(), h.ID); got.RecentFailures != 1 {
		t.Fatalf("recent_failures %d, want 1", got.RecentFailures)
	}
}

func TestEngineBlockedAddressIsLoggedAsInternalError(t *testing.T) {
	dbtest.EachBackend(t, testEngineBlockedAddressIsLoggedAsInternalError)
}

func testEngineBlockedAddressIsLoggedAsInternalError(t *testing.T) {
	e := newEngineEnv(t)
	rcv := newReceiver(t, nil)
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.settings(func(s *model.Settings) { s.AllowLocalRequestsFromWebHooksAndServices = false })
	e.start()
	e.publish(e.push("refs/heads/main"))
	l := e.logs(h.ID, 1)[0]
	if l.ResponseStatus != model.InternalErrorStatus || !strings.Contains(l.InternalErrorMessage, "127.0.0.1") ||
		!strings.Contains(l.InternalErrorMessage, "allow_local_requests_from_web_hooks_and_services") {
		t.Fatalf("got %q: %q", l.ResponseStatus, l.InternalErrorMessage)
	}
	if len(rcv.requests()) != 0 {
		t.Fatal("a blocked request reached the receiver")
	}
}

func TestEngineWebHookCallsLimitDropsWithoutLogOrFailure(t *testing.T) {
	dbtest.EachBackend(t, testEngineWebHookCallsLimitDropsWithoutLogOrFailure)
}

func testEngineWebHookCallsLimitDropsWithoutLogOrFailure(t *testing.T) {
	var logged syncBuffer
	e := newEngineEnv(t, func(o *EngineOptions) { o.Logger = slog.New(slog.NewTextHandler(&logged, nil)) })
	e.settings(func(s *model.Settings) { s.WebHookCalls = 2 })
	rcv := newReceiver(t, nil)
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.start()
	for i := 0; i < 5; i++ {
		e.publish(e.push("refs/heads/main"))
	}
	e.idle()
	logs := e.logs(h.ID, 2)
	if len(logs) != 2 || len(rcv.requests()) != 2 {
		t.Fatalf("got %d logs and %d requests, want 2 each within a minute", len(logs), len(rcv.requests()))
	}
	if got, _ := e.store.Hook(context.Background(), h.ID); got.RecentFailures != 0 {
		t.Fatalf("rate-limited drops counted as failures: %d", got.RecentFailures)
	}
	// Three drops: logged once for the hook this minute, all counted.
	if n := strings.Count(logged.String(), "webhook rate limit exceeded"); n != 1 {
		t.Fatalf("the rate limit was logged %d times in a minute, want once", n)
	}
	if n := metricCount(e.engine.metrics.rateLimited); n != 3 {
		t.Fatalf("hooklab_deliveries_rate_limited_total = %v, want 3", n)
	}
	at, err := e.store.RateLimitedSince(context.Background(), e.root.ID, e.clock.Now().Add(-time.Minute))
	if err != nil || at == nil {
		t.Fatalf("the limit hit was not noted for the top-level group: %v %v", at, err)
	}
	// The next minute has room again.
	e.clock.Advance(time.Minute)
	e.publish(e.push("refs/heads/main"))
	e.logs(h.ID, 3)
}

func TestEngineRecursionDetection(t *testing.T) { dbtest.EachBackend(t, testEngineRecursionDetection) }

func testEngineRecursionDetection(t *testing.T) {
	e := newEngineEnv(t)
	rcv := newReceiver(t, nil)
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.start()
	first := e.publish(e.push("refs/heads/main"))
	e.logs(h.ID, 1)
	// A receiver calls back with the UUID it got: the hook already fired
	// under it and must not fire again.
	if res := e.publishAs(first.UUID, e.push("refs/heads/main")); res.Deliveries != 0 || res.UUID != first.UUID {
		t.Fatalf("recursive publish: got %d deliveries under %q", res.Deliveries, res.UUID)
	}
	// After the window it may.
	e.clock.Advance(db.RecursionWindow + time.Second)
	if res := e.publishAs(first.UUID, e.push("refs/heads/main")); res.Deliveries != 1 {
		t.Fatalf("after the window: got %d deliveries, want 1", res.Deliveries)
	}
}

// One slow receiver holds at most PerHook workers; other hooks keep going.
func TestEngineSlowHookDoesNotStarveOthers(t *testing.T) {
	dbtest.EachBackend(t, testEngineSlowHookDoesNotStarveOthers)
}

func testEngineSlowHookDoesNotStarveOthers(t *testing.T) {
	e := newEngineEnv(t, func(o *EngineOptions) { o.Workers, o.PerHook = 4, 2 })
	e.settings(func(s *model.Settings) { s.WebhookTimeout = 30 })
	release := make(chan struct{})
	var mu sync.Mutex
	inFlight, most := 0, 0
	slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		<-release
		mu.Lock()
		inFlight--
		mu.Unlock()
	})
	fast := newReceiver(t, nil)
	slowHook := e.hook(model.ProjectHookKind, nil, slow.URL, "push_events")
	fastHook := e.hook(model.ProjectHookKind, nil, fast.URL, "push_events")
	e.start()
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // runs before the engine stops
	for i := 0; i < 10; i++ {
		e.publish(e.push("refs/heads/main"))
	}
	e.logs(fastHook.ID, 10)
	mu.Lock()
	got := most
	mu.Unlock()
	if got != 2 {
		t.Fatalf("the slow hook had at most %d requests in flight, want its cap of 2", got)
	}
	free()
	e.logs(slowHook.ID, 10)
	mu.Lock()
	defer mu.Unlock()
	if most > 2 {
		t.Fatalf("the slow hook had %d requests in flight, want at most 2", most)
	}
}

func TestEngineShutdownFinishesInFlightAndHandsBackTheRest(t *testing.T) {
	dbtest.EachBackend(t, testEngineShutdownFinishesInFlightAndHandsBackTheRest)
}

func testEngineShutdownFinishesInFlightAndHandsBackTheRest(t *testing.T) {
	e := newEngineEnv(t, func(o *EngineOptions) { o.Workers, o.PerHook = 1, 1 })
	started := make(chan struct{}, 10)
	release := make(chan struct{})
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
	})
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.start()
	e.publish(e.push("refs/heads/main"), e.push("refs/heads/main"))
	<-started
	stopped := make(chan struct{})
	go func() { e.stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("the engine stopped with a request on the wire")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-stopped
	logs, _, _ := e.store.HookLogs(context.Background(), h.ID, db.HookLogFilter{Page: db.Page{Page: 1, PerPage: 10}})
	pending, _ := e.store.PendingDeliveries(context.Background())
	if len(logs) != 1 || pending != 1 {
		t.Fatalf("after shutdown: %d logs and %d pending, want the in-flight one recorded and the other pending", len(logs), pending)
	}
	// Handed back, not leased: the next start sends it at once.
	claims, _, _ := e.store.ClaimDeliveries(context.Background(), "next", e.clock.Now(), e.clock.Now().Add(time.Minute), db.ClaimLimits{Count: 10})
	if len(claims) != 1 {
		t.Fatalf("the unstarted delivery was not handed back: %v", claims)
	}
}

func TestPruneDeletesOldLogsAndEvents(t *testing.T) {
	dbtest.EachBackend(t, testPruneDeletesOldLogsAndEvents)
}

func testPruneDeletesOldLogsAndEvents(t *testing.T) {
	e := newEngineEnv(t)
	rcv := newReceiver(t, nil)
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.start()
	e.publish(e.push("refs/heads/main"))
	e.logs(h.ID, 1)
	e.stop()
	ctx := context.Background()
	if n, err := e.store.Prune(ctx, e.clock.Now().AddDate(0, 0, 13), 14); err != nil || n != 0 {
		t.Fatalf("within retention: pruned %d (%v)", n, err)
	}
	if n, err := e.store.Prune(ctx, e.clock.Now().AddDate(0, 0, 15), 14); err != nil || n != 1 {
		t.Fatalf("past retention: pruned %d (%v), want 1", n, err)
	}
	if _, total, _ := e.store.HookLogs(ctx, h.ID, db.HookLogFilter{Page: db.Page{Page: 1, PerPage: 10}}); total != 0 {
		t.Fatalf("%d log rows left", total)
	}
	// The newest event of each kind stays as Test's sample.
	if _, err := e.store.SampleEvent(ctx, []int64{e.project.ID}, "push_hooks"); err != nil {
		t.Fatalf("sample event: %v", err)
	}
}

// Deliveries beyond what the engine holds in memory wait in the outbox and
// are claimed as sends finish and make room, without waiting for the poll.
func TestEngineOverflowIsClaimedAsRoomFrees(t *testing.T) {
	dbtest.EachBackend(t, testEngineOverflowIsClaimedAsRoomFrees)
}

func testEngineOverflowIsClaimedAsRoomFrees(t *testing.T) {
	e := newEngineEnv(t, func(o *EngineOptions) { o.Workers, o.PerHook, o.Poll = 2, 1, time.Hour })
	release := make(chan struct{})
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.start()
	const n = 3 * heldRounds // more than the heldRounds × PerHook held for the hook
	for i := 0; i < n; i++ {
		e.publish(e.push("refs/heads/main"))
	}
	pending, err := e.store.PendingDeliveries(context.Background())
	if err != nil || pending != n {
		t.Fatalf("pending deliveries: %d %v, want %d", pending, err, n)
	}
	close(release)
	e.logs(h.ID, n)
	e.idle()
}

// A hanging hook's backlog in the outbox, however long, does not keep the
// outbox's deliveries to other hooks from being claimed.
func TestEngineLongBacklogOfAHangingHookDoesNotStarveOthers(t *testing.T) {
	dbtest.EachBackend(t, testEngineLongBacklogOfAHangingHookDoesNotStarveOthers)
}

func testEngineLongBacklogOfAHangingHookDoesNotStarveOthers(t *testing.T) {
	e := newEngineEnv(t, func(o *EngineOptions) { o.Workers, o.PerHook = 4, 2 })
	e.settings(func(s *model.Settings) { s.WebhookTimeout = 30 })
	release := make(chan struct{})
	slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	fast := newReceiver(t, nil)
	e.hook(model.ProjectHookKind, nil, slow.URL, "push_events")
	// Published while the engine is down: everything waits in the outbox,
	// the hanging hook's backlog first.
	const backlog = 20 * heldRounds
	for i := 0; i < backlog; i++ {
		e.publish(e.push("refs/heads/main"))
	}
	fastHook := e.hook(model.ProjectHookKind, nil, fast.URL, "push_events")
	for i := 0; i < 5; i++ {
		e.publish(e.push("refs/heads/main"))
	}
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // runs before the engine stops
	e.start()
	e.logs(fastHook.ID, 5)
	free()
}

// The payloads the engine holds stay within MaxHeldBytes, whether
// deliveries arrive leased from a publish or are claimed from the outbox;
// what does not fit waits in the outbox and is sent when room frees.
func TestEngineHoldsPayloadsWithinTheirBound(t *testing.T) {
	dbtest.EachBackend(t, testEngineHoldsPayloadsWithinTheirBound)
}

func testEngineHoldsPayloadsWithinTheirBound(t *testing.T) {
	const size, bound = 16 << 10, 64 << 10
	e := newEngineEnv(t, func(o *EngineOptions) { o.Workers, o.PerHook, o.MaxHeldBytes = 2, 2, bound })
	release := make(chan struct{})
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	big := func() string {
		p := e.push("refs/heads/main")
		p = p[:len(p)-1] + `,"pad":"` + strings.Repeat("x", size-len(p)-9) + `"}`
		if len(p) != size {
			t.Fatalf("payload is %d bytes, want %d", len(p), size)
		}
		return p
	}
	const n = 20
	for i := 0; i < n/2; i++ { // claimed from the outbox
		e.publish(big())
	}
	e.start()
	for i := 0; i < n/2; i++ { // published while the engine runs
		e.publish(big())
	}
	e.claimRounds(3) // several claims while the receiver hangs
	close(release)
	e.logs(h.ID, n)
	e.idle()
	e.stop() // no claim is reserving room any more
	r := e.engine.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.peakBytes == 0 || r.peakBytes > bound {
		t.Errorf("peak held payload bytes %d, want at most %d", r.peakBytes, bound)
	}
	if r.count != 0 || r.bytes != 0 || len(r.perHook) != 0 {
		t.Errorf("after the last send the engine still counts %d held, %d bytes, %v per hook", r.count, r.bytes, r.perHook)
	}
}

// An event whose stored payload cannot be read (a damaged row) fails its
// own deliveries with a log row saying why, and holds up none of the
// deliveries claimed with it; the hook's failure count is untouched.
func TestEngineEventWithUnreadablePayloadFailsAlone(t *testing.T) {
	dbtest.EachBackend(t, testEngineEventWithUnreadablePayloadFailsAlone)
}

func testEngineEventWithUnreadablePayloadFailsAlone(t *testing.T) {
	e := newEngineEnv(t)
	rcv := newReceiver(t, nil)
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	// Stored straight (as by another process), so the engine has no copy.
	var damaged db.PublishResult
	for _, ref := range []string{"refs/heads/main", "refs/heads/next"} {
		ev, err := model.ParseEvent([]byte(e.push(ref)))
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.store.Publish(context.Background(), db.Publication{ProjectID: e.project.ID,
			Events: []db.PublishEvent{{Event: ev, Payload: ev.Raw, FireHooks: true}}})
		if err != nil {
			t.Fatal(err)
		}
		if damaged.UUID == "" {
			damaged = res
		}
	}
	raw := dbtest.Raw(t, e.path)
	if _, err := raw.Exec(raw.Rebind(`UPDATE events SET payload = ? WHERE uuid = ?`), []byte{0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, damaged.UUID); err != nil {
		t.Fatal(err)
	}
	e.start()
	logs := e.logs(h.ID, 2)
	e.idle()
	if got := rcv.requests(); len(got) != 1 || !strings.Contains(string(got[0].Body), "refs/heads/next") {
		t.Fatalf("receiver got %d requests, want only the readable event", len(got))
	}
	var failed *model.HookLog
	for i := range logs {
		if logs[i].ResponseStatus == InternalError {
			failed = &logs[i]
		}
	}
	if failed == nil || !strings.Contains(failed.InternalErrorMessage, "cannot be read") {
		t.Fatalf("no log row for the damaged event: %+v", logs)
	}
	stored, err := e.store.Hook(context.Background(), h.ID)
	if err != nil || stored.RecentFailures != 0 || stored.DisabledUntil != nil {
		t.Fatalf("hook state after the damaged event: %+v (%v)", stored, err)
	}
}
