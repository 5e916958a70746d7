package main

import (
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"github.com/hooklab/hooklab/db/dbtest"
)

// backends measures the same load on each store: SQLite (one instance, as
// it must be), PostgreSQL with one instance, and PostgreSQL with two
// instances sharing the database, the publishers split between them as a
// load balancer would. PostgreSQL is a throwaway server started here with
// its durable defaults (fsync, synchronous commit), as an installation
// would run it. Each reports deliveries/s with every log row written and
// publish→receipt latency at a fixed rate.
func backends(o options, rcv *receiver, receiverURL string) error {
	pg, err := dbtest.StartPostgres(true)
	if err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	defer pg.Stop()
	type result struct {
		name     string
		rate     float64
		p50, p99 time.Duration
	}
	var results []result
	for _, b := range []struct {
		name      string
		postgres  bool
		instances int
	}{{"SQLite", false, 1}, {"PostgreSQL, one instance", true, 1}, {"PostgreSQL, two instances", true, 2}} {
		url := ""
		if b.postgres {
			if url, err = pg.CreateDatabase(fmt.Sprintf("bench%d", len(results))); err != nil {
				return err
			}
		}
		r, p50, p99, err := backendRun(o, rcv, receiverURL, url, b.instances)
		if err != nil {
			return fmt.Errorf("%s: %w", b.name, err)
		}
		results = append(results, result{b.name, r, p50, p99})
		fmt.Printf("  %s: %.0f deliveries/s; at %d events/s p50 %s, p99 %s\n", b.name, r, o.rate, p50, p99)
	}
	fmt.Printf("PostgreSQL with one instance: %.0f%% of SQLite's end-to-end rate (target ≥ 50%%)\n", 100*results[1].rate/results[0].rate)
	return nil
}

// backendRun starts instances of the server on a fresh store (SQLite in a
// data directory when databaseURL is empty), publishes o.compareEvents
// events through them until every log row is written, then measures
// latency at o.rate events/s for o.rateSeconds.
func backendRun(o options, rcv *receiver, receiverURL, databaseURL string, instances int) (float64, time.Duration, time.Duration, error) {
	dir, err := os.MkdirTemp("", "hooklab-backend-")
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.RemoveAll(dir)
	env := append(os.Environ(), "HOOKLAB_DATA="+dir,
		"HOOKLAB_ENCRYPTION_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"HOOKLAB_SESSION_KEY="+strings.Repeat("QUFB", 32))
	if databaseURL != "" {
		env = append(env, "HOOKLAB_DATABASE_URL="+databaseURL)
	}
	if out, err := command(env, o.bin, "user", "create", "--username", "bench", "--email", "bench@example.com", "--password", "bench-password", "--admin"); err != nil {
		return 0, 0, 0, fmt.Errorf("create user: %v: %s", err, out)
	}
	out, err := command(env, o.bin, "token", "create", "--user", "bench", "--name", "bench")
	if err != nil {
		return 0, 0, 0, fmt.Errorf("create token: %v: %s", err, out)
	}
	token := strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])
	var apis []*apiClient
	for i := 0; i < instances; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, 0, err
		}
		addr := ln.Addr().String()
		ln.Close()
		base := "http://" + addr
		srv := exec.Command(o.bin, "serve", "--addr", addr, "--external-url", base, "--log-level", "warn")
		srv.Env = append(env, "HOOKLAB_DELIVERY_WORKERS="+strconv.Itoa(o.concurrency))
		if databaseURL != "" {
			// A working folder each; the database is shared.
			srv.Env = append(srv.Env, fmt.Sprintf("HOOKLAB_DATA=%s/%d", dir, i))
		}
		srv.Stdout, srv.Stderr = os.Stderr, os.Stderr
		if err := srv.Start(); err != nil {
			return 0, 0, 0, err
		}
		defer func() {
			_ = srv.Process.Signal(syscall.SIGTERM)
			_ = srv.Wait()
		}()
		if err := waitReady(base); err != nil {
			return 0, 0, 0, err
		}
		apis = append(apis, &apiClient{base: base + "/api/v4", token: token, c: &http.Client{Transport: transport(o.publishers)}})
	}
	projectID, err := setUp(apis[0], receiverURL, o.hooks)
	if err != nil {
		return 0, 0, 0, err
	}
	// The settings reach another instance within a second (its cache);
	// set them through each, so none sends before it allows the loopback
	// receiver.
	for _, api := range apis[1:] {
		if err := api.do("PUT", "/application/settings", map[string]any{"allow_local_requests_from_web_hooks_and_services": true}, nil); err != nil {
			return 0, 0, 0, err
		}
	}
	logs, closeLogs, err := logCounter(dir, databaseURL)
	if err != nil {
		return 0, 0, 0, err
	}
	defer closeLogs()

	// Throughput: the publishers split between the instances.
	want := int64(o.compareEvents * o.hooks)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(apis))
	for i, api := range apis {
		wg.Go(func() {
			n := o.compareEvents / len(apis)
			if i == 0 {
				n += o.compareEvents % len(apis)
			}
			errs[i] = publishAll(api, projectID, n, o.publishers/len(apis), o.batch)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, 0, 0, err
		}
	}
	if err := waitFor(func() (bool, error) {
		n, err := logs()
		return n >= want, err
	}, 10*time.Minute); err != nil {
		return 0, 0, 0, fmt.Errorf("waiting for %d log rows: %w", want, err)
	}
	rate := float64(want) / time.Since(start).Seconds()

	// Latency at a fixed rate, the events alternating between instances.
	n := o.rate * o.rateSeconds
	rcv.mu.Lock()
	rcv.sent, rcv.lat = make([]atomic.Int64, n), nil
	rcv.mu.Unlock()
	rcv.track.Store(true)
	defer rcv.track.Store(false)
	before, err := logs()
	if err != nil {
		return 0, 0, 0, err
	}
	if err := publishPacedAcross(apis, projectID, n, o.rate, rcv.sent); err != nil {
		return 0, 0, 0, err
	}
	if err := waitFor(func() (bool, error) {
		c, err := logs()
		return c >= before+int64(n*o.hooks), err
	}, 5*time.Minute); err != nil {
		return 0, 0, 0, err
	}
	rcv.mu.Lock()
	lat := append([]time.Duration(nil), rcv.lat...)
	rcv.mu.Unlock()
	if len(lat) == 0 {
		return 0, 0, 0, fmt.Errorf("no latency samples")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return rate, pct(lat, 50), pct(lat, 99), nil
}

// publishPacedAcross is publishPaced with the events sent to the
// instances in turn.
func publishPacedAcross(apis []*apiClient, projectID int64, n, rate int, sent []atomic.Int64) error {
	if len(apis) == 1 {
		return publishPaced(apis[0], projectID, n, rate, sent)
	}
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for i := 0; i < n; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			sent[i].Store(time.Now().UnixNano())
			api := apis[i%len(apis)]
			if err := api.raw("POST", fmt.Sprintf("/projects/%d/hook_events", projectID), strings.NewReader(string(pushBody(projectID, i))), nil); err != nil {
				firstErr.CompareAndSwap(nil, err)
			}
		})
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return err
	}
	return nil
}

// logCounter counts the log rows written, in the SQLite file of dir or in
// the PostgreSQL database.
func logCounter(dir, databaseURL string) (func() (int64, error), func(), error) {
	driver, dsn := "sqlite3", "file:"+filepath.Join(dir, "hooklab.db")+"?mode=ro&_busy_timeout=5000"
	if databaseURL != "" {
		driver, dsn = "pgx", databaseURL
	}
	c, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, err
	}
	return func() (int64, error) { return countLogs(c) }, func() { c.Close() }, nil
}
