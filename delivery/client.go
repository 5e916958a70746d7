package delivery

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hooklab/hooklab/model"
)

// Resolver looks up the addresses of a host name. *net.Resolver is one;
// tests inject their own to make a name resolve to 127.0.0.1.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// guardedDialer connects only to addresses the outbound policy allows.
// It resolves the host itself, judges every address, dials
// the allowed ones by IP, and judges the socket's address again in the
// dialer's Control hook right before connect(2). So what is checked is what
// is connected to: a DNS answer that changes between save time and send
// time (rebinding), a name that resolves to 127.0.0.1, a numeric host like
// 2130706433 or an IPv4-mapped IPv6 literal cannot slip through.
type guardedDialer struct {
	policy   model.OutboundPolicy
	resolver Resolver
	dialer   net.Dialer
}

// DialContext is http.Transport's DialContext.
func (d *guardedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("invalid port %q", portText)
	}
	addrs, err := d.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var blocked, dialErr error
	for _, ip := range addrs {
		if err := d.policy.Check(host, ip, port); err != nil {
			if blocked == nil {
				blocked = err
			}
			continue
		}
		conn, err := d.dial(ctx, network, host, netip.AddrPortFrom(ip, uint16(port)))
		if err == nil {
			return conn, nil
		}
		dialErr = err
		if ctx.Err() != nil {
			break
		}
	}
	if dialErr != nil {
		return nil, dialErr
	}
	return nil, blocked
}

// resolve returns the addresses to try for host: the address a literal
// names (including the inet_aton forms model.HostAddr decodes, which a C
// resolver would accept too), else what DNS answers.
func (d *guardedDialer) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, ok := model.HostAddr(host); ok {
		return []netip.Addr{ip}, nil
	}
	addrs, err := d.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		reason := "no address"
		if dnsErr, ok := err.(*net.DNSError); ok {
			reason = dnsErr.Err
		} else if err != nil {
			reason = err.Error()
		}
		return nil, &unresolvedError{host: host, reason: reason}
	}
	return addrs, nil
}

func (d *guardedDialer) dial(ctx context.Context, network, host string, addr netip.AddrPort) (net.Conn, error) {
	nd := d.dialer
	nd.ControlContext = func(_ context.Context, _, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("unexpected socket address %q", address)
		}
		return d.policy.Check(host, ap.Addr(), int(ap.Port()))
	}
	return nd.DialContext(ctx, network, addr.String())
}

// unresolvedError is a host name without addresses. GitLab words it as its
// URL blocker does.
type unresolvedError struct {
	host, reason string
}

func (e *unresolvedError) Error() string {
	return fmt.Sprintf("%s: %s (%s)", model.ReasonUnresolved, e.host, e.reason)
}

// transportKey says what a pooled connection was admitted under. A
// connection is reused only by requests with the same key: one dialed while
// local requests were allowed (a system hook, or before an admin changed
// the setting) must never carry a request that the current policy forbids,
// and certificate verification is a property of the connection too.
type transportKey struct {
	insecure   bool
	allowLocal bool
	setting    string
}

type transportEntry struct {
	key       transportKey
	allowlist []string
	transport *http.Transport
}

// maxTransports bounds the pools kept; there are normally four (web hooks
// and system hooks, with and without certificate verification), more only
// briefly after the settings change.
const maxTransports = 8

// transports hands out one shared, keep-alive http.Transport per policy.
type transports struct {
	newTransport func(model.OutboundPolicy, bool) *http.Transport

	mu      sync.RWMutex
	entries []*transportEntry // newest last
}

// get returns the transport for a policy, creating it on first use.
func (ts *transports) get(key transportKey, allowlist []string) *http.Transport {
	ts.mu.RLock()
	t := ts.find(key, allowlist)
	ts.mu.RUnlock()
	if t != nil {
		return t
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t := ts.find(key, allowlist); t != nil {
		return t
	}
	raw := slices.Clone(allowlist)
	policy := model.OutboundPolicy{
		AllowLocal: key.allowLocal,
		Setting:    key.setting,
		Allowlist:  model.ParseAllowlist(raw),
	}
	e := &transportEntry{key: key, allowlist: raw, transport: ts.newTransport(policy, key.insecure)}
	if len(ts.entries) >= maxTransports {
		// In-flight requests on the evicted pool finish normally; its idle
		// connections close now and the rest when they become idle.
		ts.entries[0].transport.CloseIdleConnections()
		ts.entries = slices.Delete(ts.entries, 0, 1)
	}
	ts.entries = append(ts.entries, e)
	return e.transport
}

func (ts *transports) find(key transportKey, allowlist []string) *http.Transport {
	for i := len(ts.entries) - 1; i >= 0; i-- {
		e := ts.entries[i]
		if e.key == key && slices.Equal(e.allowlist, allowlist) {
			return e.transport
		}
	}
	return nil
}

func (ts *transports) closeIdle() {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	for _, e := range ts.entries {
		e.transport.CloseIdleConnections()
	}
}

// newHTTPTransport builds the transport for one policy. Requests are
// HTTP/1.1 as GitLab's are; connections are kept alive and reused, because
// the engine sends thousands of requests a second to the same receivers.
// No proxy is used: a proxy would make the connect-time check judge the
// proxy, not the receiver.
func newHTTPTransport(policy model.OutboundPolicy, insecure bool, base *tls.Config, resolver Resolver, maxIdlePerHost int) *http.Transport {
	d := &guardedDialer{
		policy:   policy,
		resolver: resolver,
		dialer:   net.Dialer{KeepAlive: 30 * time.Second},
	}
	tlsConfig := base.Clone()
	tlsConfig.InsecureSkipVerify = insecure //nolint:gosec // per hook: enable_ssl_verification
	tlsConfig.ClientSessionCache = tls.NewLRUClientSessionCache(0)
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		TLSClientConfig:        tlsConfig,
		Protocols:              &protocols,
		MaxIdleConns:           0, // no overall cap; per host below
		MaxIdleConnsPerHost:    maxIdlePerHost,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 1 << 20,
	}
}
