package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/delivery"
	"github.com/hooklab/hooklab/handlers"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/web"
)

// testApp is the real router over a real SQLite store in t.TempDir().
type testApp struct {
	t     *testing.T
	store *db.Store
	srv   *web.Server
	mail  *mailbox
	logs  *logBuffer
	// dbPath is the SQLite file, for tests that look at the raw bytes.
	dbPath string
	// engine is the delivery engine behind publishing, Test and Resend;
	// it runs only when a test calls startEngine.
	engine *delivery.Engine
}

const externalURL = "http://hooklab.test"

func newTestApp(t *testing.T) *testApp {
	t.Helper()
	return newTestAppAt(t, nil)
}

// newTestAppAt is newTestApp with a clock for the store and the web layer
// (nil: the real time); configure may change the web layer's settings.
func newTestAppAt(t *testing.T, now func() time.Time, configure ...func(*web.Config)) *testApp {
	t.Helper()
	return newInstance(t, filepath.Join(t.TempDir(), "hooklab.db"), now, false, configure...)
}

// newInstance is one Hooklab instance over the database at dbPath, with
// a store handle of its own; shared keeps its limits in the database, as
// instances sharing one do.
func newInstance(t *testing.T, dbPath string, now func() time.Time, shared bool, configure ...func(*web.Config)) *testApp {
	t.Helper()
	store := dbtest.OpenAt(t, dbPath, now)
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := web.Config{
		ExternalURL:     externalURL,
		SessionHashKey:  []byte(strings.Repeat("h", 64)),
		SessionBlockKey: []byte(strings.Repeat("b", 32)),
		Logger:          log,
		APIPrefix:       handlers.APIPrefix,
		NoCSRF:          handlers.NoCSRFPrefixes,
		Auth:            handlers.Authenticator{Store: store, Now: now},
		Now:             now,
	}
	for _, f := range configure {
		f(&cfg)
	}
	srv := web.New(cfg)
	mb := &mailbox{}
	sender, err := delivery.New(delivery.Options{Version: "test", ExternalURL: externalURL, URLHashKey: []byte("test-url-hash-key")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sender.CloseIdleConnections)
	engine := delivery.NewEngine(store, sender, delivery.EngineOptions{Workers: 8, PerHook: 4, Poll: 10 * time.Millisecond,
		BatchWait: time.Millisecond, ExternalURL: externalURL, Logger: log, Now: now})
	var limiter web.Limiter
	if shared {
		limiter = web.NewSharedLimiter(store)
	}
	handlers.New(srv, handlers.Config{Version: "test", ExternalURL: externalURL},
		handlers.Deps{Store: store, Mailer: mb, Logger: log, Resolver: testResolver, Publisher: engine, Runner: engine, Limiter: limiter})
	return &testApp{t: t, store: store, srv: srv, mail: mb, logs: logs, dbPath: dbPath, engine: engine}
}

// serve runs one request through the router.
func (a *testApp) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	a.srv.ServeHTTP(rec, req)
	return rec
}

// api calls the JSON API with a token; body is JSON-encoded when not nil.
func (a *testApp) api(method, path, token string, body any) *httptest.ResponseRecorder {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		r = strings.NewReader(string(b))
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("PRIVATE-TOKEN", token)
	}
	return a.serve(req)
}

// token issues an api-scoped token for u.
func (a *testApp) token(u *model.User, scopes ...string) string {
	a.t.Helper()
	if len(scopes) == 0 {
		scopes = []string{model.ScopeAPI}
	}
	raw, _, err := a.store.IssueToken(context.Background(), u.ID, model.NewTokenInput{Name: "test", Scopes: scopes})
	if err != nil {
		a.t.Fatal(err)
	}
	return raw
}

// browser is a signed-in (or anonymous) session against the router, with
// cookies, that posts forms with their CSRF token.
type browser struct {
	a    *testApp
	jar  *cookiejar.Jar
	csrf string
	// remoteAddr, when set, is the client's address ("ip:port") instead
	// of httptest's 192.0.2.1.
	remoteAddr string
}

func (a *testApp) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{a: a, jar: jar}
}

// signedIn signs u in with the fixture password.
func (a *testApp) signedIn(u *model.User) *browser {
	a.t.Helper()
	b := a.browser()
	b.get("/users/sign_in")
	rec := b.postForm("/users/sign_in", url.Values{"login": {u.Username}, "password": {dbtest.Password}})
	if rec.Code != http.StatusSeeOther {
		a.t.Fatalf("sign in %s: got %d, want 303; body %s", u.Username, rec.Code, rec.Body)
	}
	// Signing in replaces the CSRF token: read the new one, as a browser
	// following the redirect would.
	b.get(rec.Header().Get("Location"))
	return b
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)"`)

func (b *browser) do(req *http.Request) *httptest.ResponseRecorder {
	u, _ := url.Parse(externalURL + req.URL.RequestURI())
	for _, c := range b.jar.Cookies(u) {
		req.AddCookie(c)
	}
	if b.remoteAddr != "" {
		req.RemoteAddr = b.remoteAddr
	}
	rec := b.a.serve(req)
	b.jar.SetCookies(u, rec.Result().Cookies())
	if m := csrfMeta.FindStringSubmatch(rec.Body.String()); m != nil {
		b.csrf = m[1]
	}
	return rec
}

func (b *browser) get(path string) *httptest.ResponseRecorder {
	return b.do(httptest.NewRequest(http.MethodGet, path, nil))
}

// getHTMX requests a fragment as htmx does.
func (b *browser) getHTMX(path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("HX-Request", "true")
	return b.do(req)
}

// postForm posts a form with the session's CSRF token.
func (b *browser) postForm(path string, form url.Values) *httptest.ResponseRecorder {
	if form == nil {
		form = url.Values{}
	}
	if form.Get("authenticity_token") == "" && b.csrf != "" {
		form.Set("authenticity_token", b.csrf)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// postHTMX posts a form the way htmx does (CSRF in a header).
func (b *browser) postHTMX(path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", b.csrf)
	return b.do(req)
}

// doc parses an HTML response for goquery assertions.
func doc(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// decode decodes a JSON response into v.
func decode(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
}

// mailbox records sent mail; with fail set it refuses every message, as
// an unreachable mail server would.
type mailbox struct {
	mu   sync.Mutex
	sent []model.Mail
	fail error
}

func (m *mailbox) Send(_ context.Context, msg model.Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.sent = append(m.sent, msg)
	return nil
}

// failWith makes every later Send fail with err (nil: succeed again).
func (m *mailbox) failWith(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

func (m *mailbox) all() []model.Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]model.Mail(nil), m.sent...)
}

// logBuffer collects log output so tests can assert no secret is logged.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testResolver answers the save-time URL check's DNS lookups without the
// network: a public name, names of local addresses, and nothing else.
var testResolver = fakeResolver{
	"public.example.com":   {netip.MustParseAddr("93.184.215.14")},
	"webhook.example.com":  {netip.MustParseAddr("93.184.215.15")},
	"localhost":            {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
	"internal.example.com": {netip.MustParseAddr("10.0.0.5")},
	"mixed.example.com":    {netip.MustParseAddr("10.0.0.6"), netip.MustParseAddr("93.184.215.16")},
}

type fakeResolver map[string][]netip.Addr

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[strings.ToLower(host)]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func newRequest(method, path, body string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return httptest.NewRequest(method, path, r)
}

// raw posts a raw JSON body to the API.
func (a *testApp) raw(method, path, token, body string) *httptest.ResponseRecorder {
	req := newRequest(method, path, body)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("PRIVATE-TOKEN", token)
	}
	return a.serve(req)
}
