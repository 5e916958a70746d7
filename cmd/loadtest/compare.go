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
	"syscall"
	"time"
)

// compare measures the end-to-end rate of two binaries on the same machine
// in one run, interleaved (baseline, current, baseline, current, …), so
// that whatever else the machine does weighs on both alike: each round is
// a fresh data directory and server, events published through the API
// until every log row is written. Both run with SQLite's synchronous=NORMAL
// (the baseline knows no other); the current binary then runs with FULL,
// its default, to show what durability against power loss costs.
func compare(o options, receiverURL string) error {
	fmt.Printf("\nLike for like, interleaved: %d rounds of %d events × %d hooks per binary\n", o.rounds, o.compareEvents, o.hooks)
	var base, cur, full []float64
	for i := 0; i < o.rounds; i++ {
		r, err := throughput(o, o.baseline, "normal", receiverURL)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		base = append(base, r)
		r, err = throughput(o, o.bin, "normal", receiverURL)
		if err != nil {
			return fmt.Errorf("current: %w", err)
		}
		cur = append(cur, r)
		r, err = throughput(o, o.bin, "full", receiverURL)
		if err != nil {
			return fmt.Errorf("current, synchronous=full: %w", err)
		}
		full = append(full, r)
		fmt.Printf("  round %d: baseline %.0f/s, current %.0f/s (normal), current %.0f/s (full)\n", i+1, base[i], cur[i], full[i])
	}
	mb, mc, mf := median(base), median(cur), median(full)
	fmt.Printf("end-to-end deliveries/s, medians: baseline %.0f, current %.0f — ratio %.2f (target ≥ 0.90)\n", mb, mc, mc/mb)
	fmt.Printf("synchronous=full (the default): %.0f deliveries/s, %.0f%% of normal\n", mf, 100*mf/mc)
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// throughput runs one round: a fresh server of bin with synchronous mode,
// compareEvents published through the API, until every log row is written.
func throughput(o options, bin, synchronous, receiverURL string) (float64, error) {
	dir, err := os.MkdirTemp("", "hooklab-compare-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	env := append(os.Environ(), "HOOKLAB_DATA="+dir, "HOOKLAB_SQLITE_SYNCHRONOUS="+synchronous)
	if out, err := command(env, bin, "user", "create", "--username", "bench", "--email", "bench@example.com", "--password", "bench-password", "--admin"); err != nil {
		return 0, fmt.Errorf("create user: %v: %s", err, out)
	}
	out, err := command(env, bin, "token", "create", "--user", "bench", "--name", "bench")
	if err != nil {
		return 0, fmt.Errorf("create token: %v: %s", err, out)
	}
	token := strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	srv := exec.Command(bin, "serve", "--addr", addr, "--external-url", base, "--log-level", "warn")
	srv.Env = append(env, "HOOKLAB_DELIVERY_WORKERS="+strconv.Itoa(o.concurrency))
	srv.Stdout, srv.Stderr = os.Stderr, os.Stderr
	if err := srv.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
	}()
	if err := waitReady(base); err != nil {
		return 0, err
	}
	api := &apiClient{base: base + "/api/v4", token: token, c: &http.Client{Transport: transport(o.publishers)}}
	projectID, err := setUp(api, receiverURL, o.hooks)
	if err != nil {
		return 0, err
	}
	sqlite, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "hooklab.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return 0, err
	}
	defer sqlite.Close()
	want := int64(o.compareEvents * o.hooks)
	start := time.Now()
	if err := publishAll(api, projectID, o.compareEvents, o.publishers, o.batch); err != nil {
		return 0, err
	}
	if err := waitFor(func() (bool, error) {
		n, err := logsWritten(sqlite)
		return n >= want, err
	}, 10*time.Minute); err != nil {
		return 0, fmt.Errorf("waiting for %d log rows: %w", want, err)
	}
	return float64(want) / time.Since(start).Seconds(), nil
}
