package db_test

import (
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// leaseFixture is a store with one hook and n deliveries due for it, on a
// clock the test moves.
type leaseFixture struct {
	s    *db.Store
	now  time.Time
	hook int64
}

func newLeaseFixture(t *testing.T, n int) *leaseFixture {
	t.Helper()
	f := &leaseFixture{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	f.s = dbtest.OpenAt(t, dbtest.NewDB(t), func() time.Time { return f.now })
	g := dbtest.Group(t, f.s, "acme", nil, nil)
	p := dbtest.Project(t, f.s, "api", g)
	h := model.NewHook(model.ProjectHookKind)
	h.URL, h.ProjectID = "http://127.0.0.1:9/hook", &p.ID
	if err := f.s.CreateHook(ctx, &h); err != nil {
		t.Fatal(err)
	}
	f.hook = h.ID
	for i := 0; i < n; i++ {
		ev, err := model.ParseEvent([]byte(`{"object_kind":"push","ref":"refs/heads/main"}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Publish(ctx, db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: ev.Raw, FireHooks: true}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"a", "b"} {
		if err := f.s.RegisterInstance(ctx, db.Instance{ID: id, StartedAt: f.now, HeartbeatAt: f.now}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *leaseFixture) claim(t *testing.T, owner string) []db.Claim {
	t.Helper()
	got, _, err := f.s.ClaimDeliveries(ctx, owner, f.now, f.now.Add(30*time.Second), db.ClaimLimits{Count: 100})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (f *leaseFixture) outcome(c db.Claim) db.Outcome {
	return db.Outcome{DeliveryID: c.ID, CountsForState: true, Log: &model.HookLog{HookID: c.HookID, EventID: &c.EventID,
		Trigger: "push_hooks", URL: "http://127.0.0.1:9/hook", ResponseStatus: "500", ResponseBody: []byte{}, IdempotencyKey: c.IdempotencyKey}}
}

func (f *leaseFixture) logs(t *testing.T) int {
	t.Helper()
	_, total, err := f.s.HookLogs(ctx, f.hook, db.HookLogFilter{Page: db.Page{Page: 1, PerPage: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

// A delivery leased to an owner is never claimed by that owner again, even
// once its lease ran out; another owner takes it over then, and only that
// owner's outcome is recorded: the first owner's is reported lost, writes
// no log row and does not count toward auto-disabling.
func TestLeaseOwnedOutcomeRecordedOnlyByTheOwner(t *testing.T) {
	dbtest.EachBackend(t, testLeaseOwnedOutcomeRecordedOnlyByTheOwner)
}

func testLeaseOwnedOutcomeRecordedOnlyByTheOwner(t *testing.T) {
	f := newLeaseFixture(t, 1)
	first := f.claim(t, "a")
	if len(first) != 1 {
		t.Fatalf("claimed %d, want 1", len(first))
	}
	f.now = f.now.Add(time.Minute) // the lease ran out without a heartbeat
	if again := f.claim(t, "a"); len(again) != 0 {
		t.Fatalf("the owner claimed its own delivery again: %v", again)
	}
	second := f.claim(t, "b")
	if len(second) != 1 || second[0].IdempotencyKey != first[0].IdempotencyKey {
		t.Fatalf("another instance claimed %v, want the same delivery", second)
	}
	res, err := f.s.RecordOutcomes(ctx, "a", []db.Outcome{f.outcome(first[0])})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Lost) != 1 || res.Recorded != 0 {
		t.Fatalf("lost lease: got %+v, want the delivery lost and nothing recorded", res)
	}
	if n := f.logs(t); n != 0 {
		t.Fatalf("got %d log rows after a lost lease, want 0", n)
	}
	if h, _ := f.s.Hook(ctx, f.hook); h.RecentFailures != 0 {
		t.Fatalf("a lost lease counted toward auto-disabling: recent_failures %d", h.RecentFailures)
	}
	res, err = f.s.RecordOutcomes(ctx, "b", []db.Outcome{f.outcome(second[0])})
	if err != nil || res.Recorded != 1 || len(res.Lost) != 0 {
		t.Fatalf("owner's outcome: %+v %v, want recorded", res, err)
	}
	if h, _ := f.s.Hook(ctx, f.hook); h.RecentFailures != 1 {
		t.Fatalf("recent_failures %d, want 1", h.RecentFailures)
	}
}

// The heartbeat renews every lease of its instance, so a held delivery is
// not due while its owner lives, however long it waits.
func TestHeartbeatRenewsTheOwnersLeases(t *testing.T) {
	dbtest.EachBackend(t, testHeartbeatRenewsTheOwnersLeases)
}

func testHeartbeatRenewsTheOwnersLeases(t *testing.T) {
	f := newLeaseFixture(t, 3)
	if got := f.claim(t, "a"); len(got) != 3 {
		t.Fatalf("claimed %d, want 3", len(got))
	}
	for i := 0; i < 4; i++ {
		f.now = f.now.Add(20 * time.Second)
		n, err := f.s.Heartbeat(ctx, db.Instance{ID: "a", StartedAt: f.now, HeartbeatAt: f.now}, f.now.Add(30*time.Second))
		if err != nil || n != 3 {
			t.Fatalf("heartbeat renewed %d (%v), want 3", n, err)
		}
		if got := f.claim(t, "b"); len(got) != 0 {
			t.Fatalf("after %d heartbeats another instance claimed %d", i+1, len(got))
		}
	}
}

// Leases of an instance whose heartbeat stopped are released (due at once,
// no owner); a live instance's are kept. The sole instance of a store
// releases every other instance's at once.
func TestReleaseOrphanedLeases(t *testing.T) { dbtest.EachBackend(t, testReleaseOrphanedLeases) }

func testReleaseOrphanedLeases(t *testing.T) {
	f := newLeaseFixture(t, 2)
	if got := f.claim(t, "a"); len(got) != 2 {
		t.Fatalf("claimed %d, want 2", len(got))
	}
	if err := f.s.RegisterInstance(ctx, db.Instance{ID: "c", StartedAt: f.now, HeartbeatAt: f.now}); err != nil {
		t.Fatal(err)
	}
	// "a" beat 10 s ago: alive for a 30 s lease.
	f.now = f.now.Add(10 * time.Second)
	if n, err := f.s.ReleaseOrphanedLeases(ctx, "c", f.now, f.now.Add(-30*time.Second)); err != nil || n != 0 {
		t.Fatalf("released %d (%v) of a live instance, want 0", n, err)
	}
	stats, err := f.s.OutboxStats(ctx)
	if err != nil || stats.Leased != 2 || stats.Pending != 0 {
		t.Fatalf("outbox %+v (%v), want 2 leased", stats, err)
	}
	// The sole instance after a restart: everything else is gone.
	if n, err := f.s.ReleaseOrphanedLeases(ctx, "c", f.now, f.now.Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("released %d (%v), want 2", n, err)
	}
	stats, err = f.s.OutboxStats(ctx)
	if err != nil || stats.Leased != 0 || stats.Pending != 2 || !stats.OldestPending.Equal(f.now) {
		t.Fatalf("outbox %+v (%v), want 2 pending, due now", stats, err)
	}
	if got := f.claim(t, "c"); len(got) != 2 {
		t.Fatalf("claimed %d released deliveries, want 2", len(got))
	}
}

// An outcome without a delivery (Test, Resend) is not recorded once its
// hook is gone: no log row ever lands under a deleted hook's ID.
func TestRecordOutcomesSkipsDeletedHooks(t *testing.T) {
	dbtest.EachBackend(t, testRecordOutcomesSkipsDeletedHooks)
}

func testRecordOutcomesSkipsDeletedHooks(t *testing.T) {
	f := newLeaseFixture(t, 0)
	if err := f.s.DeleteHook(ctx, f.hook); err != nil {
		t.Fatal(err)
	}
	res, err := f.s.RecordOutcomes(ctx, "a", []db.Outcome{{Log: &model.HookLog{HookID: f.hook, Trigger: "push_hooks",
		URL: "http://127.0.0.1:9/hook", ResponseStatus: "200"}, Success: true, CountsForState: true}})
	if err != nil || res.Recorded != 0 {
		t.Fatalf("got %+v %v, want nothing recorded", res, err)
	}
}

// An instance taken for dead (its record removed after a long pause) is
// recorded again by its next heartbeat.
func TestHeartbeatRecordsAnInstanceTakenForDead(t *testing.T) {
	dbtest.EachBackend(t, testHeartbeatRecordsAnInstanceTakenForDead)
}

func testHeartbeatRecordsAnInstanceTakenForDead(t *testing.T) {
	f := newLeaseFixture(t, 0)
	f.now = f.now.Add(time.Minute)
	if _, err := f.s.ReleaseOrphanedLeases(ctx, "b", f.now, f.now.Add(-30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Heartbeat(ctx, db.Instance{ID: "a", Hostname: "h", PID: 7, StartedAt: f.now, HeartbeatAt: f.now}, f.now.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	// Alive again: a sweep by another instance keeps what "a" leases.
	if got := f.claim(t, "a"); len(got) != 0 {
		t.Fatalf("claimed %d, want none (no deliveries)", len(got))
	}
	if n, err := f.s.ReleaseOrphanedLeases(ctx, "b", f.now, f.now.Add(-30*time.Second)); err != nil || n != 0 {
		t.Fatalf("released %d (%v)", n, err)
	}
	list, err := f.s.Instances(ctx)
	if err != nil || len(list) != 2 || list[0].ID+list[1].ID != "ba" || list[1].PID != 7 {
		t.Fatalf("instances %+v (%v), want a and b", list, err)
	}
}
