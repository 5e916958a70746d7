package db_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// Claims go hook by hook: each hook gets at most its room, oldest first,
// however many deliveries another hook has waiting before them, and a
// claim says which hooks it left due deliveries behind for.
func TestClaimDeliveriesHookByHook(t *testing.T) {
	dbtest.EachBackend(t, testClaimDeliveriesHookByHook)
}

func testClaimDeliveriesHookByHook(t *testing.T) {
	s := dbtest.Open(t)
	g := dbtest.Group(t, s, "acme", nil, nil)
	p := dbtest.Project(t, s, "api", g)
	newHook := func() int64 {
		h := model.NewHook(model.ProjectHookKind)
		h.URL, h.ProjectID = "http://127.0.0.1:9/hook", &p.ID
		if err := s.CreateHook(ctx, &h); err != nil {
			t.Fatal(err)
		}
		return h.ID
	}
	publish := func(n int) {
		for i := 0; i < n; i++ {
			ev, err := model.ParseEvent([]byte(`{"object_kind":"push","ref":"refs/heads/main"}`))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Publish(ctx, db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: ev.Raw, FireHooks: true}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	slow := newHook()
	publish(50) // a long backlog for slow alone
	fast := newHook()
	publish(3) // then 3 deliveries for each hook
	now := s.Now()
	lease := now.Add(time.Minute)
	seen := map[int64]bool{}
	claim := func(limit int, room map[int64]int, want map[int64]int, wantWaiting []int64) {
		t.Helper()
		got, waiting, err := s.ClaimDeliveries(ctx, "engine", now, lease, db.ClaimLimits{Count: limit, Room: func(h int64) int { return room[h] }})
		if err != nil {
			t.Fatal(err)
		}
		per := map[int64]int{}
		var last int64
		for _, c := range got {
			if seen[c.ID] {
				t.Fatalf("delivery %d claimed twice", c.ID)
			}
			seen[c.ID] = true
			per[c.HookID]++
			if c.HookID == fast && c.ID < last {
				t.Errorf("fast hook's deliveries out of order: %d after %d", c.ID, last)
			}
			if c.HookID == fast {
				last = c.ID
			}
		}
		for h, n := range want {
			if per[h] != n {
				t.Errorf("hook %d: claimed %d, want %d", h, per[h], n)
			}
		}
		slices.Sort(waiting)
		if !slices.Equal(waiting, wantWaiting) {
			t.Errorf("waiting %v, want %v", waiting, wantWaiting)
		}
	}
	// The slow hook has no room: its 53 deliveries cost the fast hook nothing.
	claim(100, map[int64]int{slow: 0, fast: 2}, map[int64]int{slow: 0, fast: 2}, []int64{slow, fast})
	claim(100, map[int64]int{slow: 0, fast: 10}, map[int64]int{slow: 0, fast: 1}, []int64{slow})
	// The limit cuts the claim short; the longest waiting hook goes first.
	claim(5, map[int64]int{slow: 100, fast: 100}, map[int64]int{slow: 5}, []int64{slow})
	claim(100, map[int64]int{slow: 100}, map[int64]int{slow: 48}, nil)
	claim(100, map[int64]int{slow: 100, fast: 100}, map[int64]int{}, nil)
}

// A claim keeps the payloads it takes within its byte bound, except that
// it always takes one delivery, however large, so that nothing is stuck.
func TestClaimDeliveriesBoundsPayloadBytes(t *testing.T) {
	dbtest.EachBackend(t, testClaimDeliveriesBoundsPayloadBytes)
}

func testClaimDeliveriesBoundsPayloadBytes(t *testing.T) {
	s := dbtest.Open(t)
	g := dbtest.Group(t, s, "acme", nil, nil)
	p := dbtest.Project(t, s, "api", g)
	var hooks []int64
	for i := 0; i < 2; i++ {
		h := model.NewHook(model.ProjectHookKind)
		h.URL, h.ProjectID = "http://127.0.0.1:9/hook", &p.ID
		if err := s.CreateHook(ctx, &h); err != nil {
			t.Fatal(err)
		}
		hooks = append(hooks, h.ID)
	}
	// Events of 1,000 bytes and one of 5,000, each to both hooks.
	sizes := []int{1000, 1000, 1000, 5000}
	for _, size := range sizes {
		body := []byte(`{"object_kind":"push","ref":"refs/heads/main","pad":"` + strings.Repeat("x", size-55) + `"}`)
		if len(body) != size {
			t.Fatalf("body is %d bytes, want %d", len(body), size)
		}
		ev, err := model.ParseEvent(body)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Publish(ctx, db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: ev.Raw, FireHooks: true}}}); err != nil {
			t.Fatal(err)
		}
	}
	now := s.Now()
	lease := now.Add(time.Minute)
	claim := func(bytes int64) (n int, total int64, waiting []int64) {
		t.Helper()
		got, waiting, err := s.ClaimDeliveries(ctx, "engine", now, lease, db.ClaimLimits{Count: 100, Bytes: bytes, FirstAnySize: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got {
			total += c.PayloadSize
		}
		slices.Sort(waiting)
		return len(got), total, waiting
	}
	// 3,500 bytes: three deliveries of the first hook's small events.
	if n, total, waiting := claim(3500); n != 3 || total != 3000 || !slices.Equal(waiting, hooks) {
		t.Errorf("claimed %d (%d bytes), waiting %v; want 3 (3000 bytes), both hooks waiting", n, total, waiting)
	}
	// 4,000 bytes: the second hook's three small events; the 5,000-byte
	// event does not fit after them.
	if n, total, waiting := claim(4000); n != 3 || total != 3000 || !slices.Equal(waiting, hooks) {
		t.Errorf("claimed %d (%d bytes), waiting %v; want 3 (3000 bytes), both hooks waiting", n, total, waiting)
	}
	// 100 bytes: the first delivery is taken whatever its size.
	if n, total, _ := claim(100); n != 1 || total != 5000 {
		t.Errorf("claimed %d (%d bytes), want 1 (5000 bytes)", n, total)
	}
	// No bound: the rest.
	if n, total, waiting := claim(0); n != 1 || total != 5000 || len(waiting) != 0 {
		t.Errorf("claimed %d (%d bytes), waiting %v; want 1 (5000 bytes), none waiting", n, total, waiting)
	}
}
