package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// keyReceiver records the Idempotency-Key of every request and when it
// came. While hanging, it holds each request until the client goes away.
type keyReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	hanging bool
	got     []keyed
}

type keyed struct {
	key string
	at  time.Time
}

func newKeyReceiver(t *testing.T, hanging bool) *keyReceiver {
	t.Helper()
	r := &keyReceiver{hanging: hanging}
	gone := make(chan struct{})
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// Read the body first: only then does the server notice the client
		// going away (and cancel the request's context).
		_, _ = io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		r.got = append(r.got, keyed{req.Header.Get("Idempotency-Key"), time.Now()})
		hang := r.hanging
		r.mu.Unlock()
		if hang {
			select {
			case <-req.Context().Done():
			case <-gone:
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.Close)
	t.Cleanup(func() { close(gone) }) // runs first: no handler outlives the test
	return r
}

func (r *keyReceiver) setHanging(v bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hanging = v
}

func (r *keyReceiver) requests() []keyed {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]keyed(nil), r.got...)
}

// acmeProject creates the group acme, its project api and a push hook to
// url, with local requests allowed.
func acmeProject(t *testing.T, gl *gitlab.Client, url string) (*gitlab.Project, *gitlab.ProjectHook) {
	t.Helper()
	if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromWebHooksAndServices: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	g, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := gl.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr("API"), Path: gitlab.Ptr("api"), NamespaceID: gitlab.Ptr(g.ID)})
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := gl.Projects.AddProjectHook(p.ID, &gitlab.AddProjectHookOptions{URL: gitlab.Ptr(url), PushEvents: gitlab.Ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	return p, h
}

// A crash (SIGKILL) while deliveries are held and while some are on the
// wire loses nothing: after a restart on the same data directory every
// delivery arrives at once — the ones that were on the wire with the
// Idempotency-Key they had — well within 15 s (held) and 30 s (on the
// wire), and each is logged once.
func TestBinaryKillNineRecoversHeldAndInFlightDeliveries(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: it builds and runs the binary (make test runs it)")
	}
	data := t.TempDir()
	rcv := newKeyReceiver(t, true)
	first := startServe(t, data, "--delivery-per-hook", "2")
	gl := first.apiClient(t, data)
	p, h := acmeProject(t, gl, rcv.URL)
	const events = 10
	for i := 0; i < events; i++ {
		publishPush(t, gl, itoa(p.ID))
	}
	waitFor(t, "two requests on the wire", func() bool { return len(rcv.requests()) == 2 })
	onTheWire := rcv.requests()
	first.kill()

	rcv.setHanging(false)
	restart := time.Now()
	second := startServe(t, data, "--delivery-per-hook", "2")
	deadline := restart.Add(30 * time.Second)
	arrived := map[string]time.Time{}
	for len(arrived) < events {
		for _, r := range rcv.requests()[len(onTheWire):] {
			if _, ok := arrived[r.key]; !ok {
				arrived[r.key] = r.at
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries arrived within 30 s of the restart", len(arrived), events)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, r := range onTheWire {
		at, ok := arrived[r.key]
		if !ok {
			t.Fatalf("the delivery on the wire with Idempotency-Key %s was not sent again with it", r.key)
		}
		if d := at.Sub(restart); d > 30*time.Second {
			t.Errorf("an in-flight delivery arrived %v after the restart, want within 30 s", d)
		}
	}
	for key, at := range arrived {
		if d := at.Sub(restart); d > 15*time.Second {
			t.Errorf("delivery %s arrived %v after the restart, want within 15 s", key, d)
		}
	}
	// Each is logged once, under its key.
	gl2 := second.apiClient(t, data)
	waitFor(t, "ten log rows", func() bool {
		logs := hookEventsOf(t, gl2, p.ID, h.ID)
		return len(logs) == events
	})
	keys := map[string]bool{}
	for _, l := range hookEventsOf(t, gl2, p.ID, h.ID) {
		keys[l.RequestHeaders["Idempotency-Key"]] = true
	}
	if len(keys) != events {
		t.Fatalf("log rows carry %d distinct keys, want %d", len(keys), events)
	}
}

// hookEventsOf lists a project hook's recent events (at most 20).
func hookEventsOf(t *testing.T, gl *gitlab.Client, projectID, hookID int64) []hookEvent {
	t.Helper()
	events, _, err := listHookEvents(t, gl, "projects/"+itoa(projectID)+"/hooks/"+itoa(hookID)+"/events", "")
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// A second `hooklab serve` on a data directory in use exits at once with
// a message naming the directory and the running server's pid; the admin
// commands keep working beside the running server, and what `hooklab
// publish` writes is sent by it.
func TestBinarySecondServeOnTheSameDataDirectoryRefuses(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: it builds and runs the binary (make test runs it)")
	}
	data := t.TempDir()
	rcv := newKeyReceiver(t, false)
	running := startServe(t, data)
	gl := running.apiClient(t, data)
	acmeProject(t, gl, rcv.URL)

	second := launchServe(t, data)
	err := second.exitErr(10 * time.Second)
	var exit *exec.ExitError
	if !asExitError(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("second serve: %v, want a non-zero exit", err)
	}
	want := fmt.Sprintf("data directory %s is in use by another hooklab serve (pid %d)", data, running.cmd.Process.Pid)
	if !strings.Contains(second.logs.String(), want) {
		t.Fatalf("second serve said:\n%s\nwant it to say %q", second.logs.String(), want)
	}

	cli(t, data, "user", "create", "--username", "alice", "--email", "alice@example.com", "--password", "a long password for alice")
	tr, _ := model.TriggerByScope("push_hooks")
	body, _ := model.SampleJSON(tr)
	file := filepath.Join(t.TempDir(), "push.json")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	cli(t, data, "publish", "--project", "acme/api", "--file", file)
	waitFor(t, "the event hooklab publish wrote, sent by the running server", func() bool { return len(rcv.requests()) == 1 })
}

func asExitError(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

// A server with 100,000 log rows is ready within 5 s of its start.
func TestBinaryReadyWithinFiveSecondsWithManyLogRows(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: it builds and runs the binary (make test runs it)")
	}
	data := t.TempDir()
	seedLogRows(t, filepath.Join(data, "hooklab.db"), 100_000)
	hooklabBinary(t) // built before the clock starts
	start := time.Now()
	p := launchServe(t, data)
	p.waitReady(5 * time.Second)
	took := time.Since(start)
	t.Logf("ready %v after the start with 100,000 log rows", took.Round(time.Millisecond))
	if took > 5*time.Second {
		t.Fatalf("ready %v after the start, want within 5 s", took)
	}
}

// seedLogRows writes n log rows for one hook into a new store at path.
func seedLogRows(t *testing.T, path string, n int) {
	t.Helper()
	s, err := db.Open(context.Background(), path, db.Options{EncryptionKey: dbtest.Key, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g := dbtest.Group(t, s, "acme", nil, nil)
	p := dbtest.Project(t, s, "api", g)
	h := model.NewHook(model.ProjectHookKind)
	h.URL, h.ProjectID = "http://127.0.0.1:9/hook", &p.ID
	if err := s.CreateHook(context.Background(), &h); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"object_kind":"push","ref":"refs/heads/main","commits":[]}`)
	const batch = 1000
	for done := 0; done < n; done += batch {
		outs := make([]db.Outcome, batch)
		for i := range outs {
			outs[i] = db.Outcome{Success: true, Log: &model.HookLog{HookID: h.ID, Trigger: "push_hooks",
				URL: "http://127.0.0.1:9/hook", RequestData: body, ResponseStatus: "200", ResponseBody: []byte(`{"ok":true}`),
				IdempotencyKey: strconv.Itoa(done + i)}}
		}
		if _, err := s.RecordOutcomes(context.Background(), "", outs); err != nil {
			t.Fatal(err)
		}
	}
}
