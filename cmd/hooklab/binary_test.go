package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
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

// The real binary, built once for the tests that need a process of their
// own: killed with SIGKILL, started twice on one data directory.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := dbtest.Main(m) // stops the throwaway PostgreSQL, if a test started it
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// hooklabBinary builds ./cmd/hooklab once per test run.
func hooklabBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "hooklab-bin-")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "hooklab")
		out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// proc is `hooklab serve` running as a process of its own.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	URL  string
	logs *syncBuffer
	done chan error
}

// testKeyEnv gives every process of a test the same keys, so that a test
// can also open the store itself.
var testKeyEnv = []string{
	"HOOKLAB_ENCRYPTION_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	"HOOKLAB_ROOT_PASSWORD=" + rootPassword,
}

// startServe starts `hooklab serve` on a free loopback port over dataDir
// and waits until it is ready; it is killed when the test ends.
func startServe(t *testing.T, dataDir string, args ...string) *proc {
	t.Helper()
	p := launchServe(t, dataDir, args...)
	p.waitReady(30 * time.Second)
	return p
}

// launchServe starts `hooklab serve` without waiting.
func launchServe(t *testing.T, dataDir string, args ...string) *proc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &proc{t: t, URL: "http://" + addr, logs: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(hooklabBinary(t), append([]string{"serve", "--addr", addr, "--data", dataDir,
		"--external-url", p.URL}, args...)...)
	p.cmd.Env = append(os.Environ(), testKeyEnv...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("hooklab serve (%s) log:\n%s", addr, p.logs.String())
		}
	})
	return p
}

// waitReady polls /-/readiness until it answers 200.
func (p *proc) waitReady(limit time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		select {
		case err := <-p.done:
			p.done <- err
			p.t.Fatalf("hooklab serve exited before it was ready: %v\n%s", err, p.logs.String())
		default:
		}
		resp, err := http.Get(p.URL + "/-/readiness")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("hooklab serve not ready after %v\n%s", limit, p.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
	}
	err := <-p.done
	p.done <- err
}

// cli runs a hooklab admin command over dataDir and returns its output.
func cli(t *testing.T, dataDir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, hooklabBinary(t), append(args, "--data", dataDir)...)
	cmd.Env = append(os.Environ(), testKeyEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hooklab %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// apiClient is client-go for root on the process, with a token made by
// `hooklab token create` beside the running server.
func (p *proc) apiClient(t *testing.T, dataDir string) *gitlab.Client {
	t.Helper()
	token := cli(t, dataDir, "token", "create", "--user", "root", "--name", fmt.Sprintf("e2e-%d", time.Now().UnixNano()))
	gl, err := gitlab.NewClient(token, gitlab.WithBaseURL(p.URL+"/api/v4"), gitlab.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	return gl
}

// exitErr waits for the process to exit by itself within limit.
func (p *proc) exitErr(limit time.Duration) error {
	p.t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		if err == nil {
			return errors.New("exit status 0")
		}
		return err
	case <-time.After(limit):
		p.t.Fatalf("hooklab serve still running after %v", limit)
		return nil
	}
}
