package delivery

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// holding starts an engine with one worker and one send per hook, a hook
// whose receiver holds every request until release is closed, and n
// deliveries published to it: one on the wire, the rest held in memory.
// release lets the receiver answer, with status.
func holding(t *testing.T, n, status int, mutate ...func(*EngineOptions)) (e *engineEnv, h *model.Hook, rcv *receiver, release func()) {
	t.Helper()
	e = newEngineEnv(t, append([]func(*EngineOptions){func(o *EngineOptions) {
		o.Workers, o.PerHook, o.Heartbeat = 1, 1, time.Hour
	}}, mutate...)...)
	// Long enough that no send held here times out, however slow the
	// machine.
	e.settings(func(s *model.Settings) { s.WebhookTimeout = 60 })
	held := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(held) }) }
	rcv = newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		<-held
		w.WriteHeader(status)
	})
	t.Cleanup(release) // before the engine stops
	h = e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.start()
	for i := 0; i < n; i++ {
		e.publish(e.push("refs/heads/main"))
	}
	// Every delivery is leased to the engine (published leased, or claimed
	// if the engine was not running yet) and held, and one is on the wire.
	deadline := time.Now().Add(10 * time.Second)
	for {
		held, _ := e.engine.room.held()
		stats, err := e.store.OutboxStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if held == n && stats.Leased == int64(n) && len(rcv.requests()) >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the engine holds %d deliveries (%d leased) and sent %d, want %d held and one on the wire",
				held, stats.Leased, len(rcv.requests()), n)
		}
		time.Sleep(time.Millisecond)
	}
	return e, h, rcv, release
}

// A lease that runs out while its delivery is held (no heartbeat renewed
// it) does not make the engine claim and send the delivery a second time:
// each is sent once and logged once.
func TestEngineLeaseEndingWhileHeldSendsOnce(t *testing.T) {
	dbtest.EachBackend(t, testEngineLeaseEndingWhileHeldSendsOnce)
}

func testEngineLeaseEndingWhileHeldSendsOnce(t *testing.T) {
	e, h, rcv, release := holding(t, 3, http.StatusOK)
	e.clock.Advance(2 * e.engine.opt.Lease) // every lease has run out
	e.claimRounds(3)                        // the claimer looked again, and again
	release()
	logs := e.logs(h.ID, 3)
	e.idle()
	if got := len(rcv.requests()); got != 3 {
		t.Fatalf("receiver got %d requests, want 3", got)
	}
	if len(logs) != 3 {
		t.Fatalf("got %d log rows, want 3", len(logs))
	}
	keys := map[string]bool{}
	for _, r := range rcv.requests() {
		keys[r.Header.Get("Idempotency-Key")] = true
	}
	if len(keys) != 3 {
		t.Fatalf("got %d distinct Idempotency-Keys, want 3", len(keys))
	}
}

// When another instance takes a delivery over after its lease ran out,
// this engine's outcome is not recorded — no log row, no failure counted
// toward auto-disabling — and it is counted as a lost lease.
func TestEngineLostLeaseIsNotRecordedNorCounted(t *testing.T) {
	dbtest.EachBackend(t, testEngineLostLeaseIsNotRecordedNorCounted)
}

func testEngineLostLeaseIsNotRecordedNorCounted(t *testing.T) {
	e, h, rcv, release := holding(t, 3, http.StatusInternalServerError)
	e.clock.Advance(2 * e.engine.opt.Lease)
	ctx := context.Background()
	now := e.clock.Now()
	taken, _, err := e.store.ClaimDeliveries(ctx, "other", now, now.Add(time.Hour), db.ClaimLimits{Count: 10})
	if err != nil || len(taken) != 3 {
		t.Fatalf("another instance claimed %d (%v), want 3", len(taken), err)
	}
	release()
	deadline := time.Now().Add(30 * time.Second)
	for metricCount(e.engine.metrics.leasesLost) < 3 {
		if time.Now().After(deadline) {
			n, b := e.engine.room.held()
			t.Fatalf("leases lost: %v, want 3 (receiver got %d requests; engine holds %d, %d bytes)",
				metricCount(e.engine.metrics.leasesLost), len(rcv.requests()), n, b)
		}
		time.Sleep(time.Millisecond)
	}
	_, total, err := e.store.HookLogs(ctx, h.ID, db.HookLogFilter{Page: db.Page{Page: 1, PerPage: 10}})
	if err != nil || total != 0 {
		t.Fatalf("%d log rows (%v) for lost leases, want 0", total, err)
	}
	if got, _ := e.store.Hook(ctx, h.ID); got.RecentFailures != 0 {
		t.Fatalf("recent_failures %d after lost leases, want 0", got.RecentFailures)
	}
	if stats, _ := e.store.OutboxStats(ctx); stats.Leased != 3 {
		t.Fatalf("the other instance's leases: %+v, want 3 still leased to it", stats)
	}
}

// A backlog larger than the workers, on slow receivers, with short leases
// the heartbeat keeps renewing: every Idempotency-Key reaches its receiver
// exactly once and is logged once.
func TestEngineBacklogOnSlowReceiversSendsEachKeyOnce(t *testing.T) {
	dbtest.EachBackend(t, testEngineBacklogOnSlowReceiversSendsEachKeyOnce)
}

func testEngineBacklogOnSlowReceiversSendsEachKeyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: a 5 s load (make test runs it)")
	}
	const hooks, perHook = 5, 200
	e := newEngineEnv(t, func(o *EngineOptions) {
		o.Workers, o.PerHook = 64, 16
		o.Lease, o.Heartbeat, o.Now = time.Second, 200*time.Millisecond, time.Now
	})
	var mu sync.Mutex
	seen := map[string]int{}
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond) // a slow receiver
		mu.Lock()
		seen[r.Header.Get("Idempotency-Key")]++
		mu.Unlock()
	})
	var ids []int64
	for i := 0; i < hooks; i++ {
		ids = append(ids, e.hook(model.ProjectHookKind, nil, fmt.Sprintf("%s/%d", rcv.URL, i), "push_events").ID)
	}
	for i := 0; i < perHook/2; i++ { // half waiting in the outbox at start
		e.publish(e.push("refs/heads/main"))
	}
	e.start()
	for i := 0; i < perHook/2; i++ {
		e.publish(e.push("refs/heads/main"))
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := e.store.PendingDeliveries(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries pending after 60 s", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != hooks*perHook {
		t.Fatalf("%d distinct keys arrived, want %d", len(seen), hooks*perHook)
	}
	for key, n := range seen {
		if n != 1 {
			t.Fatalf("Idempotency-Key %s arrived %d times", key, n)
		}
	}
	for _, id := range ids {
		if logs := e.logs(id, perHook); len(logs) != perHook {
			t.Fatalf("hook %d: %d log rows, want %d", id, len(logs), perHook)
		}
	}
}

// The count, per-hook and byte bounds hold exactly while publishes (leased
// at once when they fit) and claims (from the outbox) race for the room.
// make test runs it 50 times under the race detector.
func TestEngineBoundsHoldUnderConcurrentPublishAndClaim(t *testing.T) {
	dbtest.EachBackend(t, testEngineBoundsHoldUnderConcurrentPublishAndClaim)
}

func testEngineBoundsHoldUnderConcurrentPublishAndClaim(t *testing.T) {
	const size, maxBytes = 2 << 10, 24 << 10
	e := newEngineEnv(t, func(o *EngineOptions) { o.Workers, o.PerHook, o.MaxHeldBytes = 1, 1, maxBytes })
	rcv := newReceiver(t, nil)
	var hooks []*model.Hook
	for i := 0; i < 3; i++ {
		hooks = append(hooks, e.hook(model.ProjectHookKind, nil, fmt.Sprintf("%s/%d", rcv.URL, i), "push_events"))
	}
	body := e.push("refs/heads/main")
	body = body[:len(body)-1] + `,"pad":"` + strings.Repeat("x", size-len(body)-9) + `"}`
	for i := 0; i < 8; i++ { // waiting in the outbox at start
		e.publish(body)
	}
	e.start()
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Go(func() {
			for i := 0; i < 4; i++ {
				e.publish(body)
			}
		})
	}
	wg.Wait()
	e.idle()
	for _, h := range hooks {
		e.logs(h.ID, 20)
	}
	e.stop() // no claim is reserving room any more
	r := e.engine.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.peakCount > r.maxCount || r.peakPerHook > r.maxPerHook || r.peakBytes > r.maxBytes {
		t.Fatalf("peaks: %d held (bound %d), %d for one hook (bound %d), %d bytes (bound %d)",
			r.peakCount, r.maxCount, r.peakPerHook, r.maxPerHook, r.peakBytes, r.maxBytes)
	}
	if r.peakBytes < maxBytes/2 {
		t.Fatalf("peak %d bytes: the test never filled the room (bound %d)", r.peakBytes, maxBytes)
	}
	if r.count != 0 || r.bytes != 0 || len(r.perHook) != 0 {
		t.Fatalf("after the last send the engine still counts %d held, %d bytes, %v per hook", r.count, r.bytes, r.perHook)
	}
}

// A delivery to a hook with a custom template holds, in the engine's
// accounting, its payload and all its template can render — not the
// payload alone.
func TestEngineCountsWhatATemplateCanRender(t *testing.T) {
	dbtest.EachBackend(t, testEngineCountsWhatATemplateCanRender)
}

func testEngineCountsWhatATemplateCanRender(t *testing.T) {
	const tmpl = `{"a":"{{project.name}}","b":{{commits}},"c":"{{ref}}"}`
	e := newEngineEnv(t, func(o *EngineOptions) { o.Workers, o.PerHook = 1, 1 })
	held := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(held) }) }
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { <-held })
	t.Cleanup(release)
	h := e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	h.CustomWebhookTemplate = tmpl
	if err := e.store.UpdateHook(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	e.start()
	body := e.push("refs/heads/main")
	e.publish(body) // on the wire
	e.publish(body) // held
	want := 2 * model.HeldBytes(tmpl, int64(len(body)))
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, bytes := e.engine.room.held()
		if n == 2 && bytes == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("held %d deliveries of %d bytes, want 2 of %d", n, bytes, want)
		}
		time.Sleep(time.Millisecond)
	}
	if want <= 2*int64(len(body)) {
		t.Fatalf("the template's bound %d adds nothing to the payloads (%d bytes)", want, 2*len(body))
	}
	release()
	e.logs(h.ID, 2)
}
