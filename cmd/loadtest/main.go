// Command loadtest measures Hooklab's delivery engine end to end: it starts
// the real hooklab binary with a fresh data directory, a receiver on
// 127.0.0.1 that answers 200 at once, a project with several hooks pointing
// at it, and publishes events through the API. It reports deliveries per
// second with every log row persisted, Hooklab's sender posting the same
// bodies straight to the receiver with no store (the machine's physical
// limit) and a plain net/http client doing the same, the ratio,
// publish→receipt latency at a fixed rate, peak RSS of the server, and
// database bytes per log row. `make bench` runs it.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/delivery"
	"github.com/hooklab/hooklab/model"
)

type options struct {
	bin         string
	events      int
	hooks       int
	publishers  int
	concurrency int
	rate        int
	rateSeconds int
	pprof       string
	backlog     int
	cpuprofile  string
	batch       int
	// baseline, when set, is an earlier binary to compare with (see compare).
	baseline      string
	rounds        int
	compareEvents int
	compareOnly   bool
	backends      bool
}

func main() {
	var o options
	flag.StringVar(&o.bin, "hooklab", "bin/hooklab", "the hooklab binary to measure")
	flag.IntVar(&o.events, "events", 20000, "events to publish in the throughput run")
	flag.IntVar(&o.hooks, "hooks", 5, "hooks on the project, all pointing at the receiver")
	flag.IntVar(&o.publishers, "publishers", 64, "concurrent API clients publishing events")
	flag.IntVar(&o.concurrency, "concurrency", 64, "delivery concurrency: the engine's workers and the raw client's")
	flag.IntVar(&o.rate, "rate", 500, "events per second in the latency run")
	flag.IntVar(&o.rateSeconds, "rate-seconds", 20, "length of the latency run in seconds")
	flag.StringVar(&o.pprof, "pprof", "", "serve the server's profiler on this address while measuring")
	flag.IntVar(&o.backlog, "backlog", 20000, "events stored straight into the outbox for the engine-alone run (0: skip)")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write the load generator's own CPU profile of the throughput run to this file")
	flag.IntVar(&o.batch, "batch", 1, `events per publish request in the throughput run ({"events":[...]} when above 1; push_event_hooks_limit is 3)`)
	flag.StringVar(&o.baseline, "baseline", "", "an earlier hooklab binary: compare end-to-end rates, interleaved, like for like")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of the comparison with -baseline")
	flag.IntVar(&o.compareEvents, "compare-events", 10000, "events per round of the comparison")
	flag.BoolVar(&o.compareOnly, "compare-only", false, "skip the main run: only the comparison (-baseline) and the stores (-backends)")
	flag.BoolVar(&o.backends, "backends", false, "also measure SQLite, PostgreSQL with one instance and with two (starts a throwaway PostgreSQL)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// receiver answers 200 at once and notes when each event's delivery
// arrived (by the "bench_seq" the publisher put in the payload).
type receiver struct {
	count atomic.Int64
	mu    sync.Mutex
	sent  []atomic.Int64 // publish time (UnixNano) of each tracked event
	lat   []time.Duration
	track atomic.Bool
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	now := time.Now()
	r.count.Add(1)
	if r.track.Load() {
		if i := bytes.Index(body, []byte(`"bench_seq":`)); i >= 0 {
			rest := body[i+len(`"bench_seq":`):]
			end := bytes.IndexAny(rest, ",}")
			if n, err := strconv.Atoi(string(bytes.TrimSpace(rest[:end]))); err == nil && n >= 0 && n < len(r.sent) {
				if at := r.sent[n].Load(); at != 0 {
					r.mu.Lock()
					r.lat = append(r.lat, now.Sub(time.Unix(0, at)))
					r.mu.Unlock()
				}
			}
		}
	}
	w.WriteHeader(http.StatusOK)
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "hooklab-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	rcv := &receiver{}
	rln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(rln, rcv) //nolint:errcheck // ends with the process
	receiverURL := "http://" + rln.Addr().String() + "/hook"
	if o.compareOnly {
		return comparisons(o, rcv, receiverURL)
	}

	// An admin and a token, created with the CLI before the server starts.
	env := append(os.Environ(), "HOOKLAB_DATA="+dir)
	if out, err := command(env, o.bin, "user", "create", "--username", "bench", "--email", "bench@example.com", "--password", "bench-password", "--admin"); err != nil {
		return fmt.Errorf("create user: %v: %s", err, out)
	}
	out, err := command(env, o.bin, "token", "create", "--user", "bench", "--name", "bench")
	if err != nil {
		return fmt.Errorf("create token: %v: %s", err, out)
	}
	token := strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])

	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := sln.Addr().String()
	sln.Close()
	base := "http://" + addr
	srv := exec.Command(o.bin, "serve", "--addr", addr, "--external-url", base, "--log-level", "warn")
	srv.Env = append(env, "HOOKLAB_DELIVERY_WORKERS="+strconv.Itoa(o.concurrency), "HOOKLAB_PPROF_ADDR="+o.pprof)
	srv.Stdout, srv.Stderr = os.Stderr, os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Process.Kill() //nolint:errcheck
	api := &apiClient{base: base + "/api/v4", token: token, c: &http.Client{Transport: transport(o.publishers)}}
	if err := waitReady(base); err != nil {
		return err
	}
	projectID, err := setUp(api, receiverURL, o.hooks)
	if err != nil {
		return err
	}
	dbPath := filepath.Join(dir, "hooklab.db")
	sqlite, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return err
	}
	defer sqlite.Close()

	fmt.Printf("Hooklab delivery load test: %d events × %d hooks, %d publishers (%d events per request), delivery concurrency %d\n\n",
		o.events, o.hooks, o.publishers, o.batch, o.concurrency)

	// 1. Throughput with every log row persisted.
	want := int64(o.events * o.hooks)
	srvCPU0, selfCPU0 := cpuTime(srv.Process.Pid), selfCPU()
	stopProfile, err := startCPUProfile(o.cpuprofile)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := publishAll(api, projectID, o.events, o.publishers, o.batch); err != nil {
		return err
	}
	publishDone := time.Since(start)
	if err := waitFor(func() (bool, error) {
		n, err := logsWritten(sqlite)
		return n >= want, err
	}, 10*time.Minute); err != nil {
		return fmt.Errorf("waiting for %d log rows: %w", want, err)
	}
	elapsed := time.Since(start)
	stopProfile()
	engineRate := float64(want) / elapsed.Seconds()
	fmt.Printf("published %d events in %s (%.0f events/s)\n", o.events, publishDone.Round(time.Millisecond), float64(o.events)/publishDone.Seconds())
	fmt.Printf("end-to-end deliveries/s, every log row persisted: %.0f (%d in %s)\n", engineRate, want, elapsed.Round(time.Millisecond))
	srvCPU, selfCPU := cpuTime(srv.Process.Pid)-srvCPU0, selfCPU()-selfCPU0
	fmt.Printf("CPU used meanwhile: hooklab %.1fs (%.0fµs per delivery), publishers and receiver %.1fs (%.0fµs per delivery)\n",
		srvCPU.Seconds(), float64(srvCPU.Microseconds())/float64(want), selfCPU.Seconds(), float64(selfCPU.Microseconds())/float64(want))

	// 2. The physical limit: the same bodies straight to the receiver with
	// no store, from Hooklab's own sender (the same client, headers and
	// response capture as a delivery) and, for reference, from a plain
	// net/http client sending two headers.
	body := pushBody(projectID, 1)
	directRate, err := senderPost(receiverURL, base, body, int(want), o.concurrency, o.hooks)
	if err != nil {
		return err
	}
	plainRate := rawPost(receiverURL, body, int(want), o.concurrency)
	fmt.Printf("Hooklab's sender straight to the receiver, no store: %.0f requests/s\n", directRate)
	fmt.Printf("plain net/http client straight to the receiver:     %.0f requests/s (ratio %.2f)\n", plainRate, engineRate/plainRate)
	fmt.Printf("ratio: %.2f (target ≥ 0.5)\n", engineRate/directRate)

	// 3. Latency at a fixed rate.
	n := o.rate * o.rateSeconds
	rcv.sent = make([]atomic.Int64, n)
	rcv.track.Store(true)
	before, _ := logsWritten(sqlite)
	if err := publishPaced(api, projectID, n, o.rate, rcv.sent); err != nil {
		return err
	}
	if err := waitFor(func() (bool, error) {
		c, err := logsWritten(sqlite)
		return c >= before+int64(n*o.hooks), err
	}, 5*time.Minute); err != nil {
		return err
	}
	rcv.mu.Lock()
	lat := append([]time.Duration(nil), rcv.lat...)
	rcv.mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) == 0 {
		return fmt.Errorf("no latency samples")
	}
	fmt.Printf("publish→receipt latency at %d events/s for %ds: p50 %s, p99 %s, max %s (%d deliveries; target p99 ≤ 50ms)\n",
		o.rate, o.rateSeconds, pct(lat, 50), pct(lat, 99), lat[len(lat)-1].Round(time.Microsecond), len(lat))

	// 4. Peak RSS of the server.
	rss := peakRSS(srv.Process.Pid)
	_ = srv.Process.Signal(syscall.SIGTERM)
	_ = srv.Wait()

	// 5. The engine alone: a backlog published straight into the store
	// while the server is down, delivered from the outbox after a start.
	if o.backlog > 0 {
		if err := publishBacklog(dir, projectID, o.backlog); err != nil {
			return fmt.Errorf("backlog: %w", err)
		}
		before, _ := logsWritten(sqlite)
		srv2 := exec.Command(o.bin, "serve", "--addr", addr, "--external-url", base, "--log-level", "warn")
		srv2.Env = srv.Env
		srv2.Stdout, srv2.Stderr = os.Stderr, os.Stderr
		start := time.Now()
		if err := srv2.Start(); err != nil {
			return err
		}
		if err := waitReady(base); err != nil {
			_ = srv2.Process.Kill()
			return err
		}
		fmt.Printf("start to ready (/-/readiness 200) with %d log rows and %d deliveries waiting: %s (target ≤ 5s)\n",
			before, o.backlog*o.hooks, time.Since(start).Round(time.Millisecond))
		want := before + int64(o.backlog*o.hooks)
		if err := waitFor(func() (bool, error) {
			n, err := logsWritten(sqlite)
			return n >= want, err
		}, 10*time.Minute); err != nil {
			_ = srv2.Process.Kill()
			return err
		}
		took := time.Since(start)
		rss = max(rss, peakRSS(srv2.Process.Pid))
		_ = srv2.Process.Signal(syscall.SIGTERM)
		_ = srv2.Wait()
		fmt.Printf("engine alone, a stored backlog of %d deliveries from start-up: %.0f deliveries/s (ratio %.2f to the sender alone)\n",
			o.backlog*o.hooks, float64(o.backlog*o.hooks)/took.Seconds(), float64(o.backlog*o.hooks)/took.Seconds()/directRate)
	}

	// 6. Database bytes per log row.
	logs, err := checkLogCount(sqlite)
	if err != nil {
		return err
	}
	size, err := dbSize(dbPath)
	if err != nil {
		return err
	}
	fmt.Printf("peak RSS of hooklab serve: %.1f MiB (target ≤ 256 MiB)\n", float64(rss)/(1<<20))
	fmt.Printf("database: %.1f MiB for %d log rows = %.0f bytes per log row\n", float64(size)/(1<<20), logs, float64(size)/float64(logs))
	return comparisons(o, rcv, receiverURL)
}

// comparisons runs what -baseline and -backends ask for.
func comparisons(o options, rcv *receiver, receiverURL string) error {
	if o.baseline != "" {
		if err := compare(o, receiverURL); err != nil {
			return err
		}
	}
	if o.backends {
		fmt.Printf("\nStores: %d events × %d hooks, then %d events/s for %ds, on each\n", o.compareEvents, o.hooks, o.rate, o.rateSeconds)
		return backends(o, rcv, receiverURL)
	}
	return nil
}

// startCPUProfile profiles this process (publishers and receiver) into
// path until the returned function is called; an empty path does nothing.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func pct(l []time.Duration, p int) time.Duration {
	i := (len(l)*p + 99) / 100
	if i >= len(l) {
		i = len(l) - 1
	}
	return l[i].Round(time.Microsecond)
}

func command(env []string, bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String() + stderr.String(), err
}

func transport(conns int) *http.Transport {
	return &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute}
}

func waitReady(base string) error {
	return waitFor(func() (bool, error) {
		resp, err := http.Get(base + "/-/readiness")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == 200, nil
	}, 30*time.Second)
}

func waitFor(cond func() (bool, error), limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("timed out after %s", limit)
}

type apiClient struct {
	base, token string
	c           *http.Client
}

func (a *apiClient) do(method, path string, body any, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	return a.raw(method, path, r, out)
}

func (a *apiClient) raw(method, path string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(context.Background(), method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("PRIVATE-TOKEN", a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func setUp(api *apiClient, receiverURL string, hooks int) (int64, error) {
	if err := api.do("PUT", "/application/settings", map[string]any{"allow_local_requests_from_web_hooks_and_services": true}, nil); err != nil {
		return 0, err
	}
	var g, p struct{ ID int64 }
	if err := api.do("POST", "/groups", map[string]any{"name": "Bench", "path": "bench"}, &g); err != nil {
		return 0, err
	}
	if err := api.do("POST", "/projects", map[string]any{"name": "API", "path": "api", "namespace_id": g.ID}, &p); err != nil {
		return 0, err
	}
	for i := 0; i < hooks; i++ {
		if err := api.do("POST", fmt.Sprintf("/projects/%d/hooks", p.ID), map[string]any{
			"url": fmt.Sprintf("%s?hook=%d", receiverURL, i), "push_events": true, "token": "bench-secret",
		}, nil); err != nil {
			return 0, err
		}
	}
	return p.ID, nil
}

// pushBody is a realistic push event (about 2.5 KB) tagged with seq.
func pushBody(projectID int64, seq int) []byte {
	return []byte(fmt.Sprintf(`{"object_kind":"push","event_name":"push","before":"95790bf891e76fee5e1747ab589903a6a1f80f22","after":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7","ref":"refs/heads/main","ref_protected":true,"checkout_sha":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7","user_id":4,"user_name":"John Smith","user_username":"jsmith","user_email":"john@example.com","user_avatar":"","project_id":%d,"project":{"id":%d,"name":"API","description":"","web_url":"http://example.com/bench/api","avatar_url":null,"git_ssh_url":"git@example.com:bench/api.git","git_http_url":"http://example.com/bench/api.git","namespace":"Bench","visibility_level":0,"path_with_namespace":"bench/api","default_branch":"main","homepage":"http://example.com/bench/api","url":"git@example.com:bench/api.git","ssh_url":"git@example.com:bench/api.git","http_url":"http://example.com/bench/api.git"},"repository":{"name":"API","url":"git@example.com:bench/api.git","description":"","homepage":"http://example.com/bench/api","git_http_url":"http://example.com/bench/api.git","git_ssh_url":"git@example.com:bench/api.git","visibility_level":0},"commits":[{"id":"b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327","message":"Update Catalan translation to e38cb41.\n\nSee https://gitlab.com/gitlab-org/gitlab for more information","title":"Update Catalan translation to e38cb41.","timestamp":"2011-12-12T14:27:31+02:00","url":"http://example.com/bench/api/commit/b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327","author":{"name":"Jordi Mallach","email":"jordi@softcatala.org"},"added":["CHANGELOG"],"modified":["app/controller/application.rb"],"removed":[]},{"id":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7","message":"fixed readme","title":"fixed readme","timestamp":"2012-01-03T23:36:29+02:00","url":"http://example.com/bench/api/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7","author":{"name":"GitLab dev user","email":"gitlabdev@dv6700.(none)"},"added":["CHANGELOG"],"modified":["app/controller/application.rb"],"removed":[]}],"total_commits_count":2,"bench_seq":%d}`, projectID, projectID, seq))
}

// publishAll publishes n events from workers concurrent clients, batch
// events per request.
func publishAll(api *apiClient, projectID int64, n, workers, batch int) error {
	batch = max(batch, 1)
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	path := fmt.Sprintf("/projects/%d/hook_events", projectID)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				first := int(next.Add(int64(batch))) - batch
				if first >= n {
					return
				}
				var body []byte
				if batch == 1 {
					body = pushBody(projectID, -1-first)
				} else {
					body = append(body, `{"events":[`...)
					for i := first; i < min(first+batch, n); i++ {
						if i > first {
							body = append(body, ',')
						}
						body = append(body, pushBody(projectID, -1-i)...)
					}
					body = append(body, "]}"...)
				}
				if err := api.raw("POST", path, bytes.NewReader(body), nil); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

func publishPaced(api *apiClient, projectID int64, n, rate int, sent []atomic.Int64) error {
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sent[i].Store(time.Now().UnixNano())
			if err := api.raw("POST", fmt.Sprintf("/projects/%d/hook_events", projectID), bytes.NewReader(pushBody(projectID, i)), nil); err != nil {
				firstErr.CompareAndSwap(nil, err)
			}
		}(i)
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return err
	}
	return nil
}

// rawPost posts body n times from a plain net/http client with two headers
// and the given concurrency, and returns the rate: a reference for what
// the sender's own work costs.
func rawPost(url string, body []byte, n, concurrency int) float64 {
	c := &http.Client{Transport: transport(concurrency), Timeout: 10 * time.Second}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Gitlab-Event", "Push Hook")
				resp, err := c.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body) //nolint:errcheck
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

// senderPost sends body n times with Hooklab's own delivery client — the
// same headers, connection pools and response capture as a delivery, to
// the same hooks' URLs — with the given concurrency and no store.
func senderPost(receiverURL, instance string, body []byte, n, concurrency, hooks int) (float64, error) {
	s, err := delivery.New(delivery.Options{Version: "loadtest", ExternalURL: instance, URLHashKey: []byte("loadtest")})
	if err != nil {
		return 0, err
	}
	defer s.CloseIdleConnections()
	tr, _ := model.TriggerByScope("push_hooks")
	st := model.DefaultSettings()
	st.AllowLocalRequestsFromWebHooksAndServices = true
	reqs := make([]delivery.Request, hooks)
	for i := range reqs {
		h := model.NewHook(model.ProjectHookKind)
		h.ID = int64(i + 1)
		h.URL = fmt.Sprintf("%s?hook=%d", receiverURL, i)
		h.Token = "bench-secret"
		reqs[i] = delivery.Request{Hook: h, Trigger: tr, Payload: delivery.NewStoredPayload(body, nil), Settings: st}
	}
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if a := s.Send(context.Background(), reqs[int(i)%hooks]); a.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return 0, fmt.Errorf("the sender failed %d of %d requests", f, n)
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// logsWritten is how many log rows are stored, for polling while the
// server works: the highest row ID, which costs a b-tree descent where
// COUNT(*) would scan every row and take CPU from the server being
// measured. No row is deleted during a run (pruning only removes rows past
// the retention period), so the two agree; checkLogCount verifies that at
// the end.
func logsWritten(db *sql.DB) (int64, error) {
	var n sql.NullInt64
	err := db.QueryRow(`SELECT MAX(id) FROM hook_logs`).Scan(&n)
	return n.Int64, err
}

func countLogs(db *sql.DB) (int64, error) {
	var n int64
	err := db.QueryRow(`SELECT COUNT(*) FROM hook_logs`).Scan(&n)
	return n, err
}

// checkLogCount fails the run when the rows counted differ from the
// highest ID polled, so a gap can never make a rate look better.
func checkLogCount(db *sql.DB) (int64, error) {
	n, err := countLogs(db)
	if err != nil {
		return 0, err
	}
	top, err := logsWritten(db)
	if err != nil {
		return 0, err
	}
	if n != top {
		return 0, fmt.Errorf("%d log rows stored but the highest ID is %d", n, top)
	}
	return n, nil
}

// cpuTime is the user+system CPU time a process has used so far.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start at ") ".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // clock ticks (USER_HZ = 100)
}

// selfCPU is the CPU time this process (publishers and receiver) has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// dbSize checkpoints the WAL into the database file and returns its size.
func dbSize(path string) (int64, error) {
	rw, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		return 0, err
	}
	defer rw.Close()
	if _, err := rw.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return 0, err
	}
	var total int64
	for _, suffix := range []string{"", "-wal"} {
		if st, err := os.Stat(path + suffix); err == nil {
			total += st.Size()
		}
	}
	return total, nil
}

// publishBacklog stores events for the project directly, as if published
// while the server was down.
func publishBacklog(dir string, projectID int64, n int) error {
	raw, err := os.ReadFile(filepath.Join(dir, "encryption.key"))
	if err != nil {
		return err
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		return err
	}
	store, err := db.Open(context.Background(), filepath.Join(dir, "hooklab.db"), db.Options{EncryptionKey: key})
	if err != nil {
		return err
	}
	defer store.Close()
	for done := 0; done < n; {
		batch := make([]db.Publication, 0, 100)
		for ; done < n && len(batch) < 100; done++ {
			body := pushBody(projectID, -1-done)
			ev, err := model.ParseEvent(body)
			if err != nil {
				return err
			}
			batch = append(batch, db.Publication{ProjectID: projectID, Events: []db.PublishEvent{{Event: ev, Payload: body, FireHooks: true}}})
		}
		if _, _, _, err := store.PublishBatch(context.Background(), batch, db.PublishOptions{}); err != nil {
			return err
		}
	}
	return nil
}
