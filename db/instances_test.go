package db_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// Several instances on one database: each claim takes what no other claim
// holds, so every delivery is leased once however the claims interleave.
func TestClaimsOfSeveralInstancesNeverOverlap(t *testing.T) {
	dbtest.EachBackend(t, func(t *testing.T) {
		loc := dbtest.NewDB(t)
		a := dbtest.OpenAt(t, loc, nil)
		b := dbtest.OpenAt(t, loc, nil)
		g := dbtest.Group(t, a, "acme", nil, nil)
		p := dbtest.Project(t, a, "api", g)
		var hooks []int64
		for _, u := range []string{"http://127.0.0.1:9/a", "http://127.0.0.1:9/b", "http://127.0.0.1:9/c"} {
			h := model.NewHook(model.ProjectHookKind)
			h.URL, h.ProjectID = u, &p.ID
			if err := a.CreateHook(ctx, &h); err != nil {
				t.Fatal(err)
			}
			hooks = append(hooks, h.ID)
		}
		const events = 100
		ev, err := model.ParseEvent([]byte(`{"object_kind":"push","ref":"refs/heads/main"}`))
		if err != nil {
			t.Fatal(err)
		}
		for i := range events {
			s := a
			if i%2 == 1 {
				s = b // publish through both
			}
			if _, err := s.Publish(ctx, db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: ev.Raw, FireHooks: true}}}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		leased := map[int64]string{}
		var wg sync.WaitGroup
		var errs []error
		for i, s := range []*db.Store{a, b, a, b} {
			owner := []string{"a1", "b1", "a2", "b2"}[i]
			wg.Go(func() {
				for {
					now := time.Now()
					got, _, err := s.ClaimDeliveries(ctx, owner, now, now.Add(time.Minute), db.ClaimLimits{Count: 7})
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, c := range got {
						if prev, ok := leased[c.ID]; ok {
							errs = append(errs, &doubleLease{c.ID, prev, owner})
						}
						leased[c.ID] = owner
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for _, err := range errs[:min(len(errs), 5)] {
			t.Error(err)
		}
		if want := events * len(hooks); len(leased) != want {
			t.Fatalf("leased %d deliveries, want %d", len(leased), want)
		}
	})
}

type doubleLease struct {
	id          int64
	first, then string
}

func (d *doubleLease) Error() string {
	return "delivery " + itoa(d.id) + " leased to " + d.first + " and again to " + d.then
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Instances starting together on an empty database migrate it once: the
// others wait for the advisory lock and find nothing left to apply.
func TestConcurrentStartsMigrateOnce(t *testing.T) {
	url := dbtest.EmptyPostgresURL(t)
	var wg sync.WaitGroup
	stores := make([]*db.Store, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Go(func() {
			stores[i], errs[i] = db.Open(ctx, url, db.Options{EncryptionKey: dbtest.Key})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	raw := dbtest.Raw(t, url)
	var applied, distinct, settings int
	if err := raw.Get(&applied, `SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0`); err != nil {
		t.Fatal(err)
	}
	if err := raw.Get(&distinct, `SELECT COUNT(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`); err != nil {
		t.Fatal(err)
	}
	if err := raw.Get(&settings, `SELECT COUNT(*) FROM application_settings`); err != nil {
		t.Fatal(err)
	}
	if applied == 0 || applied != distinct || settings != 1 {
		t.Fatalf("%d migrations recorded, %d distinct; %d settings rows", applied, distinct, settings)
	}
	// Every instance works on the result.
	for i, s := range stores {
		dbtest.User(t, s, "user"+string(rune('a'+i)), false)
	}
}

// A publish through one instance wakes the others' engines when it
// commits (LISTEN/NOTIFY), instead of leaving the deliveries to a poll.
func TestPublishWakesTheOtherInstances(t *testing.T) {
	url := dbtest.PostgresURL(t)
	a := dbtest.OpenAt(t, url, nil)
	b := dbtest.OpenAt(t, url, nil)
	g := dbtest.Group(t, a, "acme", nil, nil)
	p := dbtest.Project(t, a, "api", g)
	h := model.NewHook(model.ProjectHookKind)
	h.URL, h.ProjectID = "http://127.0.0.1:9/a", &p.ID
	if err := a.CreateHook(ctx, &h); err != nil {
		t.Fatal(err)
	}
	lctx, stop := context.WithCancel(ctx)
	woken := make(chan struct{}, 100)
	done := make(chan error, 1)
	go func() { done <- b.ListenOutbox(lctx, func() { woken <- struct{}{} }) }()
	<-woken // listening (it wakes once on connecting)
	ev, err := model.ParseEvent([]byte(`{"object_kind":"push","ref":"refs/heads/main"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Publish(ctx, db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: ev.Raw, FireHooks: true}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-woken:
	case <-time.After(10 * time.Second):
		t.Fatal("the other instance was not woken within 10 s of the publish")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("ListenOutbox: %v", err)
	}
}
