package delivery

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// clock is a settable clock shared by the store and the engine.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// engineEnv is a real store of the test's backend (dbtest.EachBackend), a real sender and an engine,
// with a group tree and a project to publish for.
type engineEnv struct {
	t       *testing.T
	path    string
	clock   *clock
	store   *db.Store
	sender  *Sender
	engine  *Engine
	opt     EngineOptions
	root    *model.Group // acme
	sub     *model.Group // acme/platform
	project *model.Project
	stop    func()
}

func newEngineEnv(t *testing.T, mutate ...func(*EngineOptions)) *engineEnv {
	t.Helper()
	c := newClock()
	path := dbtest.NewDB(t)
	store := dbtest.OpenAt(t, path, c.Now)
	st, err := store.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st.AllowLocalRequestsFromWebHooksAndServices = true
	st.WebhookTimeout = 2
	if err := store.UpdateSettings(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	e := &engineEnv{t: t, path: path, clock: c, store: store, sender: newTestSender(t)}
	e.opt = EngineOptions{Workers: 8, PerHook: 4, Poll: 10 * time.Millisecond, BatchWait: time.Millisecond,
		ExternalURL: testExternalURL, Now: c.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, m := range mutate {
		m(&e.opt)
	}
	e.engine = NewEngine(store, e.sender, e.opt)
	e.root = dbtest.Group(t, store, "acme", nil, nil)
	e.sub = dbtest.Group(t, store, "platform", e.root, nil)
	e.project = dbtest.Project(t, store, "api", e.sub)
	return e
}

// start runs the engine until the test ends (or stop is called).
func (e *engineEnv) start() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.engine.Run(ctx) }()
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				e.t.Errorf("engine: %v", err)
			}
		})
	}
	e.t.Cleanup(e.stop)
}

// claimRounds waits until the engine's claimer has run n more claims.
func (e *engineEnv) claimRounds(n int64) {
	e.t.Helper()
	target := e.engine.claims.Load() + n
	deadline := time.Now().Add(10 * time.Second)
	for e.engine.claims.Load() < target {
		if time.Now().After(deadline) {
			e.t.Fatalf("the claimer ran %d claims in 10 s, want %d", e.engine.claims.Load()-target+n, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// settings changes the application settings.
func (e *engineEnv) settings(fn func(*model.Settings)) {
	e.t.Helper()
	st, err := e.store.Settings(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	fn(&st)
	if err := e.store.UpdateSettings(context.Background(), st); err != nil {
		e.t.Fatal(err)
	}
}

// hook creates a hook of kind on the project (ProjectHook), a group
// (GroupHook) or the instance (SystemHook) with the given triggers.
func (e *engineEnv) hook(kind model.HookKind, group *model.Group, url string, triggers ...string) *model.Hook {
	e.t.Helper()
	h := model.NewHook(kind)
	h.URL = url
	switch kind {
	case model.ProjectHookKind:
		h.ProjectID = &e.project.ID
	case model.GroupHookKind:
		h.GroupID = &group.ID
	}
	if len(triggers) > 0 {
		h.Events = model.NewTriggerSet(triggers...)
	}
	if err := e.store.CreateHook(context.Background(), &h); err != nil {
		e.t.Fatalf("create hook: %v", err)
	}
	return &h
}

// publish publishes payloads (JSON) for the project.
func (e *engineEnv) publish(payloads ...string) db.PublishResult {
	e.t.Helper()
	return e.publishAs("", payloads...)
}

func (e *engineEnv) publishAs(uuid string, payloads ...string) db.PublishResult {
	e.t.Helper()
	var events []*model.Event
	for _, p := range payloads {
		ev, err := model.ParseEvent([]byte(p))
		if err != nil {
			e.t.Fatalf("parse event: %v", err)
		}
		events = append(events, ev)
	}
	res, err := e.engine.PublishEvents(context.Background(), e.project.ID, 0, events, uuid)
	if err != nil {
		e.t.Fatalf("publish: %v", err)
	}
	return res
}

// logs waits until hook has at least n log rows and returns them, newest first.
func (e *engineEnv) logs(hookID int64, n int) []model.HookLog {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		logs, total, err := e.store.HookLogs(context.Background(), hookID, db.HookLogFilter{Page: db.Page{Page: 1, PerPage: 1000}})
		if err != nil {
			e.t.Fatal(err)
		}
		if total >= n {
			return logs
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("hook %d: got %d log rows, want %d", hookID, total, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// idle waits until no delivery is pending.
func (e *engineEnv) idle() {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := e.store.PendingDeliveries(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d deliveries still pending", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// push is a push event payload for ref on the project.
func (e *engineEnv) push(ref string) string {
	return pushPayload(e.project.ID, ref, "95790bf891e76fee5e1747ab589903a6a1f80f22", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7")
}

func pushPayload(projectID int64, ref, before, after string) string {
	return `{"object_kind":"push","event_name":"push","before":"` + before + `","after":"` + after + `","ref":"` + ref +
		`","user_email":"jsmith@example.com","project_id":` + itoa(projectID) + `,"project":{"id":` + itoa(projectID) +
		`,"name":"API"},"commits":[],"total_commits_count":0}`
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// newBenchEnv is newEngineEnv for benchmarks, with the production pool size.
func newBenchEnv(b *testing.B) *engineEnv {
	c := newClock()
	store := dbtest.OpenAt(b, dbtest.NewDB(b), time.Now)
	st, err := store.Settings(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	st.AllowLocalRequestsFromWebHooksAndServices = true
	if err := store.UpdateSettings(context.Background(), st); err != nil {
		b.Fatal(err)
	}
	e := &engineEnv{clock: c, store: store, sender: newTestSender(b)}
	e.opt = EngineOptions{Workers: 64, PerHook: 16, ExternalURL: testExternalURL, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e.engine = NewEngine(store, e.sender, e.opt)
	e.root = dbtest.Group(b, store, "acme", nil, nil)
	e.sub = dbtest.Group(b, store, "platform", e.root, nil)
	e.project = dbtest.Project(b, store, "api", e.sub)
	return e
}

func (e *engineEnv) hookB(b *testing.B, url string) *model.Hook {
	h := model.NewHook(model.ProjectHookKind)
	h.URL, h.ProjectID = url, &e.project.ID
	if err := e.store.CreateHook(context.Background(), &h); err != nil {
		b.Fatal(err)
	}
	return &h
}

// metricCount reads a counter's value.
func metricCount(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
