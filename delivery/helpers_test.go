package delivery

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hooklab/hooklab/model"
)

const (
	testVersion     = "1.2.3-test"
	testExternalURL = "https://hooklab.example.com"
)

var testHashKey = []byte("test-url-hash-key")

// fakeResolver answers for the names it knows and asks the system for the
// rest (localhost).
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if addrs, ok := f[host]; ok {
		return addrs, nil
	}
	if len(f) > 0 && host != "localhost" {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

var testResolver = fakeResolver{
	"hooks.internal":    {netip.MustParseAddr("127.0.0.1")},
	"other.internal":    {netip.MustParseAddr("127.0.0.1")},
	"rebind.example":    {netip.MustParseAddr("127.0.0.1")},
	"metadata.internal": {netip.MustParseAddr("169.254.169.254")},
}

func newTestSender(t testing.TB, mutate ...func(*Options)) *Sender {
	t.Helper()
	opts := Options{
		Version:     testVersion,
		ExternalURL: testExternalURL,
		URLHashKey:  testHashKey,
		Resolver:    testResolver,
	}
	for _, m := range mutate {
		m(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.CloseIdleConnections)
	return s
}

// localSettings are the defaults with local requests allowed, so hooks can
// reach receivers on 127.0.0.1.
func localSettings() model.Settings {
	s := model.DefaultSettings()
	s.AllowLocalRequestsFromWebHooksAndServices = true
	return s
}

func projectHook(rawURL string) model.Hook {
	h := model.NewHook(model.ProjectHookKind)
	pid := int64(7)
	h.ID = 1
	h.ProjectID = &pid
	h.URL = rawURL
	return h
}

func trigger(t testing.TB, scope string) model.Trigger {
	t.Helper()
	tr, ok := model.TriggerByScope(scope)
	if !ok {
		t.Fatalf("no trigger %q", scope)
	}
	return tr
}

func samplePayload(t testing.TB, s *Sender, scope string) *Payload {
	t.Helper()
	p, ok := model.SamplePayload(trigger(t, scope))
	if !ok {
		t.Fatalf("no sample for %q", scope)
	}
	return s.NewPayload(p)
}

type received struct {
	Method, Path, RawQuery, Host string
	Header                       http.Header
	Body                         []byte
	User, Password               string
	BasicAuth                    bool
	ClientCN                     string
}

// receiver is an httptest webhook receiver on 127.0.0.1 that records what
// it gets and counts the TCP connections made to it.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []received
	conns atomic.Int64
}

func newReceiver(t testing.TB, respond http.HandlerFunc) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewUnstartedServer(r.handler(respond))
	r.Config.ConnState = r.connState
	r.Start()
	t.Cleanup(r.Close)
	return r
}

func newTLSReceiver(t testing.TB, respond http.HandlerFunc, configure func(*httptest.Server)) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewUnstartedServer(r.handler(respond))
	r.Config.ConnState = r.connState
	if configure != nil {
		configure(r.Server)
	}
	r.StartTLS()
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) connState(_ net.Conn, s http.ConnState) {
	if s == http.StateNew {
		r.conns.Add(1)
	}
}

func (r *receiver) handler(respond http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		got := received{
			Method: req.Method, Path: req.URL.Path, RawQuery: req.URL.RawQuery, Host: req.Host,
			Header: req.Header.Clone(), Body: body,
		}
		got.User, got.Password, got.BasicAuth = req.BasicAuth()
		if req.TLS != nil && len(req.TLS.PeerCertificates) > 0 {
			got.ClientCN = req.TLS.PeerCertificates[0].Subject.CommonName
		}
		r.mu.Lock()
		r.reqs = append(r.reqs, got)
		r.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(body)) // for respond to read again
		if respond != nil {
			respond(w, req)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.reqs...)
}

func (r *receiver) port() int {
	u, _ := url.Parse(r.URL)
	p, _ := strconv.Atoi(u.Port())
	return p
}

// hookURL is the receiver's URL with another host: "http://<host>:<port><path>".
func (r *receiver) hookURL(host, path string) string {
	u, _ := url.Parse(r.URL)
	return u.Scheme + "://" + net.JoinHostPort(host, u.Port()) + path
}
