package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// rootPassword is the administrator's password in every test instance.
const rootPassword = "root-password-for-tests"

// instance is a whole Hooklab (store, web server, engine) on 127.0.0.1.
type instance struct {
	URL  string
	app  *app
	logs *syncBuffer
	stop func()

	mailMu sync.Mutex
	mail   []model.Mail
}

// startInstance starts Hooklab on a free loopback port with a fresh data
// directory; it stops when the test ends. configure may change the
// configuration first.
func startInstance(t *testing.T, configure ...func(*config)) *instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	cfg := config{
		Addr: ln.Addr().String(), DataDir: t.TempDir(), ExternalURL: url,
		RootPassword: rootPassword, MailFrom: "hooklab@example.com", LogLevel: "debug",
		MonitoringAllowlist: defaultMonitoringAllowlist(),
	}
	for _, f := range configure {
		f(&cfg)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	inst := &instance{URL: url, logs: logs}
	cfg.onMail = inst.recordMail
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	inst.app = a
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, ln) }()
	var once sync.Once
	inst.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
			a.close()
		})
	}
	t.Cleanup(func() {
		inst.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return inst
}

func (i *instance) recordMail(m model.Mail) {
	i.mailMu.Lock()
	defer i.mailMu.Unlock()
	i.mail = append(i.mail, m)
}

// mails returns the messages the instance has sent so far.
func (i *instance) mails() []model.Mail {
	i.mailMu.Lock()
	defer i.mailMu.Unlock()
	return append([]model.Mail(nil), i.mail...)
}

// store is the instance's store, for arranging fixtures and checking state.
func (i *instance) store() *db.Store { return i.app.store }

// token issues a personal access token for username with the api scope.
func (i *instance) token(t *testing.T, username string) string {
	t.Helper()
	u, err := i.store().UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := i.store().IssueToken(context.Background(), u.ID, model.NewTokenInput{Name: "e2e", Scopes: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// client is a GitLab API client (the real client-go) for username.
func (i *instance) client(t *testing.T, username string) *gitlab.Client {
	t.Helper()
	c, err := gitlab.NewClient(i.token(t, username), gitlab.WithBaseURL(i.URL+"/api/v4"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// chromiumPath finds the browser the Makefile installs.
func chromiumPath() string {
	if p := os.Getenv("HOOKLAB_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium for one test. Browser tests are
// part of `make test`, which installs Chromium; `go test -short` leaves
// them out.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserWindow(t, 1280, 900)
}

// newBrowserWindow is newBrowser with a desktop-mode window of the given
// size (no mobile emulation), e.g. 375 px wide for the small-screen tests.
func newBrowserWindow(t *testing.T, width, height int) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: skipped with -short (make test runs it)")
	}
	path := chromiumPath()
	if path == "" {
		t.Fatal("no Chromium found: run `make test` (it installs Debian's chromium) or set HOOKLAB_CHROMIUM")
	}
	// Not t.TempDir: Chromium's helper processes may still write to the
	// profile for a moment after the browser is gone, which would fail the
	// test in TempDir's cleanup.
	profile, err := os.MkdirTemp("", "hooklab-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	// Close the browser gracefully first (cancelCtx), then the rest.
	t.Cleanup(func() {
		cancelCtx()
		cancelTimeout()
		cancelAlloc()
		removeEventually(profile)
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

// signIn signs a user in through the sign-in page.
func signIn(base, login, password string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(base + "/users/sign_in"),
		chromedp.WaitVisible(`#user_login`, chromedp.ByQuery),
		chromedp.SendKeys(`#user_login`, login, chromedp.ByQuery),
		chromedp.SendKeys(`#user_password`, password, chromedp.ByQuery),
		chromedp.Click(`[data-testid=signin-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=current-user]`, chromedp.ByQuery),
	}
}

// browse executes browser actions, failing the test with the page's text when
// one fails.
func browse(t *testing.T, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var body, loc string
		_ = chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Text("body", &body, chromedp.ByQuery))
		t.Fatalf("browser: %v\nat %s\npage text:\n%s", err, loc, strings.TrimSpace(body))
	}
}

// syncBuffer is a goroutine-safe log sink.
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

var _ io.Writer = (*syncBuffer)(nil)

// removeEventually removes a directory, retrying while a process that is
// exiting still writes to it.
func removeEventually(dir string) {
	deadline := time.Now().Add(5 * time.Second)
	for os.RemoveAll(dir) != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
}

// htmxReady waits until the page has loaded and htmx is wired up, so that
// clicks on hx-* buttons are htmx requests and not plain form posts.
func htmxReady() chromedp.Action {
	return chromedp.Poll(`document.readyState === "complete" && typeof window.htmx !== "undefined"`, nil)
}

// htmxSettled waits until htmx has finished a swap and processed what it
// swapped in. A button that appeared in a swap is wired to htmx only then;
// clicked earlier, it would submit its form the plain way.
func htmxSettled() chromedp.Action {
	return chromedp.Poll(`document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added") === null`, nil)
}
