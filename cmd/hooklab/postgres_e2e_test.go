package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/db/dbtest"
)

// testSessionKeyFile writes a session key file for instances on one
// PostgreSQL database (they all need the same one).
func testSessionKeyFile(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "session.key")
	key := strings.Repeat("c2Vzc2lvbi1rZXktZm9yLXRlc3Rz", 5)[:128] // 96 bytes in base64
	if err := os.WriteFile(f, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// With a database URL the keys cannot be generated into one instance's
// data directory: a missing key stops serve with a message saying which
// and how to make one.
func TestBinaryPostgresNeedsTheKeysGiven(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: it builds and runs the binary (make test runs it)")
	}
	url := dbtest.PostgresURL(t)
	for _, c := range []struct {
		name string
		env  []string
		want []string
	}{
		{"no encryption key", nil, []string{"HOOKLAB_ENCRYPTION_KEY", "--encryption-key-file", "head -c 32 /dev/urandom | base64 -w0"}},
		{"no session key", testKeyEnv, []string{"HOOKLAB_SESSION_KEY", "--session-key-file", "head -c 96 /dev/urandom | base64 -w0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := t.TempDir()
			cmd := exec.Command(hooklabBinary(t), "serve", "--addr", "127.0.0.1:0", "--data", data, "--database-url", url)
			cmd.Env = append(withoutKeys(os.Environ()), c.env...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !asExitError(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("serve: %v, want a non-zero exit\n%s", err, out)
			}
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("serve said:\n%s\nwant it to name %q", out, w)
				}
			}
			if entries, _ := os.ReadDir(data); len(entries) != 0 {
				t.Errorf("the data directory got %d files; with a database URL nothing is generated there", len(entries))
			}
		})
	}
}

func withoutKeys(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "HOOKLAB_") {
			out = append(out, e)
		}
	}
	return out
}

// Two instances on one PostgreSQL database (and one data directory: no
// lock then) behind no load balancer but the test's alternation: events
// published alternately through both are each delivered once, with their
// own Idempotency-Key; when one instance is killed with deliveries on the
// wire and held, an instance still running sends them, with the keys they
// had, once their lease has run out (30 s), well within 60 s.
func TestBinaryTwoInstancesOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: it builds and runs the binary (make test runs it)")
	}
	url := dbtest.EmptyPostgresURL(t) // the instances migrate it, together
	data := t.TempDir()
	args := []string{"--database-url", url, "--session-key-file", testSessionKeyFile(t), "--delivery-per-hook", "2"}
	var a, b *proc
	var wg sync.WaitGroup
	wg.Go(func() { a = launchServe(t, data, args...) })
	wg.Go(func() { b = launchServe(t, data, args...) })
	wg.Wait()
	a.waitReady(30 * time.Second)
	b.waitReady(30 * time.Second)

	rcv := newKeyReceiver(t, false)
	glA := a.apiClientOn(t, data, url)
	glB := b.apiClientOn(t, data, url)
	// A setting changed on one instance reaches the others within a
	// second (their settings cache); changed through each, it holds at once.
	for _, gl := range []*gitlab.Client{glA, glB} {
		if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromWebHooksAndServices: gitlab.Ptr(true)}); err != nil {
			t.Fatal(err)
		}
	}
	p := projectWithHook(t, glA, "acme", rcv.URL) // a hook made on A is used by B at once
	const events = 2000
	start := time.Now()
	for i := range events {
		gl := glA
		if i%2 == 1 {
			gl = glB
		}
		publishPush(t, gl, itoa(p.ID))
	}
	waitForWithin(t, 60*time.Second, fmt.Sprintf("%d deliveries", events), func() bool { return len(rcv.requests()) >= events },
		func() string { return outboxState(t, url) + fmt.Sprintf("; %d requests arrived", len(rcv.requests())) })
	t.Logf("%d events published alternately through two instances and delivered in %v", events, time.Since(start).Round(time.Millisecond))
	seen := map[string]int{}
	for _, r := range rcv.requests() {
		seen[r.key]++
	}
	if len(seen) != events || len(rcv.requests()) != events {
		t.Fatalf("%d requests with %d distinct keys, want %d of each", len(rcv.requests()), len(seen), events)
	}

	// kill -9 of B with deliveries on the wire and held: A sends them.
	rcv2 := newKeyReceiver(t, true)
	p2 := projectWithHook(t, glB, "beta", rcv2.URL)
	const held = 6
	for range held {
		publishPush(t, glB, itoa(p2.ID))
	}
	waitFor(t, "requests on the wire", func() bool { return len(rcv2.requests()) >= 2 })
	b.kill()
	killed := time.Now()
	onTheWire := map[string]bool{}
	for _, r := range rcv2.requests() {
		onTheWire[r.key] = true
	}
	rcv2.setHanging(false)
	waitForWithin(t, 60*time.Second, "every delivery of the killed instance", func() bool {
		keys := map[string]int{}
		for _, r := range rcv2.requests() {
			keys[r.key]++
		}
		for k := range onTheWire {
			if keys[k] < 2 {
				return false
			}
		}
		return len(keys) >= held
	})
	t.Logf("the survivor sent the killed instance's deliveries within %v of the kill", time.Since(killed).Round(time.Millisecond))
}

// apiClientOn is apiClient for an instance on a PostgreSQL database.
func (p *proc) apiClientOn(t *testing.T, dataDir, url string) *gitlab.Client {
	t.Helper()
	token := cli(t, dataDir, "token", "create", "--user", "root", "--name", fmt.Sprintf("e2e-%d", time.Now().UnixNano()), "--database-url", url)
	gl, err := gitlab.NewClient(token, gitlab.WithBaseURL(p.URL+"/api/v4"), gitlab.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	return gl
}

// projectWithHook makes a group and a project in it with a push hook to url.
func projectWithHook(t *testing.T, gl *gitlab.Client, group, url string) *gitlab.Project {
	t.Helper()
	g, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr(group), Path: gitlab.Ptr(group)})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := gl.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr("API"), Path: gitlab.Ptr("api"), NamespaceID: gitlab.Ptr(g.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gl.Projects.AddProjectHook(p.ID, &gitlab.AddProjectHookOptions{URL: gitlab.Ptr(url), PushEvents: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	return p
}

// outboxState describes what is left in the outbox, for a failure.
func outboxState(t *testing.T, url string) string {
	raw := dbtest.Raw(t, url)
	var rows []struct {
		Owner    *string   `db:"lease_owner"`
		N        int       `db:"n"`
		Due      time.Time `db:"due"`
		Attempts int       `db:"attempts"`
	}
	if err := raw.Select(&rows, `SELECT lease_owner, COUNT(*) AS n, MIN(available_at) AS due, MAX(attempts) AS attempts FROM deliveries GROUP BY lease_owner`); err != nil {
		return err.Error()
	}
	var instances []string
	_ = raw.Select(&instances, `SELECT id || ' ' || heartbeat_at::text FROM instances`)
	var logs []string
	_ = raw.Select(&logs, `SELECT response_status || ' ' || internal_error_message || ': ' || COUNT(*)::text FROM hook_logs GROUP BY response_status, internal_error_message`)
	var events int
	_ = raw.Get(&events, `SELECT COUNT(*) FROM events`)
	out := fmt.Sprintf("now %s; instances %v; %d events; logs %q; outbox:", time.Now().UTC().Format(time.RFC3339Nano), instances, events, logs)
	for _, r := range rows {
		owner := "(none)"
		if r.Owner != nil {
			owner = *r.Owner
		}
		out += fmt.Sprintf(" [%s: %d, due from %s, attempts up to %d]", owner, r.N, r.Due.Format(time.RFC3339Nano), r.Attempts)
	}
	return out
}

func waitForWithin(t *testing.T, limit time.Duration, what string, cond func() bool, diag ...func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			for _, d := range diag {
				t.Log(d())
			}
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An installation on SQLite moves to PostgreSQL with copy-to-postgres:
// its hooks (secrets included) and their logs come along, and an instance
// on PostgreSQL with the same keys goes on delivering.
func TestBinaryCopyToPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: it builds and runs the binary (make test runs it)")
	}
	data := t.TempDir()
	rcv := newKeyReceiver(t, false)
	old := startServe(t, data)
	gl := old.apiClient(t, data)
	p, h := acmeProject(t, gl, rcv.URL)
	for range 3 {
		publishPush(t, gl, itoa(p.ID))
	}
	waitFor(t, "three log rows", func() bool { return len(hookEventsOf(t, gl, p.ID, h.ID)) == 3 })
	old.kill()

	url := dbtest.EmptyPostgresURL(t)
	out := cli(t, data, "copy-to-postgres", "--database-url", url)
	if !strings.Contains(out, "hook_logs") || !strings.Contains(out, "copied;") {
		t.Fatalf("copy-to-postgres said:\n%s", out)
	}
	moved := startServe(t, t.TempDir(), "--database-url", url, "--session-key-file", testSessionKeyFile(t))
	gl2 := moved.apiClientOn(t, data, url)
	if logs := hookEventsOf(t, gl2, p.ID, h.ID); len(logs) != 3 {
		t.Fatalf("%d log rows after the move, want 3", len(logs))
	}
	publishPush(t, gl2, itoa(p.ID))
	waitFor(t, "the event published after the move, sent to the copied hook's URL", func() bool { return len(rcv.requests()) == 4 })
}

// What one instance decides holds on the other: a session cookie from A
// works on B, a token revoked on A is refused by B within 5 s, and the
// Test limit (5 a minute) counts the tests made through both.
func TestBinaryTwoInstancesShareSessionsTokensAndLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: it builds and runs the binary (make test runs it)")
	}
	url := dbtest.PostgresURL(t)
	data := t.TempDir()
	args := []string{"--database-url", url, "--session-key-file", testSessionKeyFile(t)}
	a := startServe(t, data, args...)
	b := startServe(t, data, args...)

	// Both instances are on 127.0.0.1: the jar sends A's cookie to B.
	browser := phoneSession(t, a.URL)
	res, err := browser.Get(b.URL + "/-/profile")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("A's session cookie on B: got %d, want 200", res.StatusCode)
	}

	token := cli(t, data, "token", "create", "--user", "root", "--name", "revoked-on-a", "--database-url", url)
	status := func(p *proc, method, path string) int {
		req, _ := http.NewRequest(method, p.URL+"/api/v4"+path, nil)
		req.Header.Set("PRIVATE-TOKEN", token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := status(b, http.MethodGet, "/user"); got != http.StatusOK { // B caches it
		t.Fatalf("the token on B: %d", got)
	}
	if got := status(a, http.MethodDelete, "/personal_access_tokens/self"); got != http.StatusNoContent {
		t.Fatalf("revoke on A: %d", got)
	}
	revoked := time.Now()
	waitForWithin(t, 5*time.Second, "B to refuse the token revoked on A", func() bool {
		return status(b, http.MethodGet, "/user") == http.StatusUnauthorized
	})
	t.Logf("B refused the revoked token %v after the revocation", time.Since(revoked).Round(time.Millisecond))

	glA := a.apiClientOn(t, data, url)
	glB := b.apiClientOn(t, data, url)
	for _, gl := range []*gitlab.Client{glA, glB} {
		if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromWebHooksAndServices: gitlab.Ptr(true)}); err != nil {
			t.Fatal(err)
		}
	}
	rcv := newKeyReceiver(t, false)
	p := projectWithHook(t, glA, "acme", rcv.URL)
	publishPush(t, glA, itoa(p.ID)) // the sample Test sends
	hooks, _, err := glA.Projects.ListProjectHooks(p.ID, nil)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("hooks: %v %v", hooks, err)
	}
	// The limit counts in windows aligned on the minute: six Tests that
	// straddle a minute's end are tried again in the next one.
	for attempt := 0; ; attempt++ {
		start := time.Now().Truncate(time.Minute)
		var last error
		for i := 1; i <= 6; i++ {
			gl := glA
			if i%2 == 0 {
				gl = glB
			}
			req, err := gl.NewRequest(http.MethodPost, fmt.Sprintf("projects/%d/hooks/%d/test/push_events", p.ID, hooks[0].ID), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, last = gl.Do(req, nil)
			if i <= 5 && last != nil && attempt == 0 {
				t.Fatalf("Test %d: %v", i, last)
			}
		}
		if !time.Now().Truncate(time.Minute).Equal(start) && attempt == 0 {
			continue // now in the next window: its count starts with these
		}
		if errStatus(last) != http.StatusTooManyRequests {
			t.Fatalf("the 6th Test in a minute across both instances: %v, want 429", last)
		}
		return
	}
}
