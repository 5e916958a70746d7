package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/hooklab/hooklab/model"
)

// Options configure a Sender. Version, ExternalURL and URLHashKey are
// required.
type Options struct {
	// Version is Hooklab's version, sent as User-Agent: GitLab/<Version>.
	Version string
	// ExternalURL is the instance's external URL: X-Gitlab-Instance, and
	// the base of rewritten image URLs.
	ExternalURL string
	// URLHashKey is the secret that salts the hash of a hook's interpolated
	// URL kept in each log row (see URLHash).
	URLHashKey []byte

	// ClientCertFile, when set, is a PEM file with the certificate (and any
	// intermediates) and private key presented for mutual TLS;
	// ClientCertPassword decrypts an encrypted key (see
	// loadClientCertificate for the formats).
	ClientCertFile     string
	ClientCertPassword string

	// RootCAs verifies receivers' certificates; nil means the system roots.
	RootCAs *x509.CertPool
	// Resolver resolves receivers' host names; nil means net.DefaultResolver.
	Resolver Resolver
	// MaxIdleConnsPerHost is how many idle keep-alive connections are kept
	// per receiver; 0 means 256. It should be at least the engine's
	// per-hook concurrency.
	MaxIdleConnsPerHost int
	// LocalAddrs are this machine's addresses, which count as localhost for
	// the outbound policy; nil means the addresses of its interfaces.
	LocalAddrs []netip.Addr
}

// Sender sends single webhook delivery attempts exactly as GitLab does
// and returns their redacted log records (§5). One Sender
// is shared by the engine, Test and Resend: it holds the keep-alive
// connection pools. It is safe for concurrent use.
type Sender struct {
	userAgent   string
	externalURL string
	hashKey     []byte
	urlHashes   urlHashCache
	transports  transports
}

// New builds a Sender. It fails when a required option is missing or the
// client certificate cannot be loaded.
func New(opts Options) (*Sender, error) {
	switch {
	case opts.Version == "":
		return nil, errors.New("delivery: Options.Version is required")
	case opts.ExternalURL == "":
		return nil, errors.New("delivery: Options.ExternalURL is required")
	case len(opts.URLHashKey) == 0:
		return nil, errors.New("delivery: Options.URLHashKey is required")
	}
	base := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: opts.RootCAs}
	if opts.ClientCertFile != "" {
		cert, err := loadClientCertificate(opts.ClientCertFile, opts.ClientCertPassword)
		if err != nil {
			return nil, fmt.Errorf("delivery: %w", err)
		}
		base.Certificates = []tls.Certificate{cert}
	}
	resolver := opts.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	maxIdle := opts.MaxIdleConnsPerHost
	if maxIdle <= 0 {
		maxIdle = 256
	}
	localAddrs := opts.LocalAddrs
	if localAddrs == nil {
		localAddrs = interfaceAddrs()
	}
	s := &Sender{
		userAgent:   "GitLab/" + opts.Version,
		externalURL: strings.TrimRight(opts.ExternalURL, "/"),
		hashKey:     slices.Clone(opts.URLHashKey),
	}
	s.transports.newTransport = func(p model.OutboundPolicy, insecure bool) *http.Transport {
		p.LocalAddrs = localAddrs
		return newHTTPTransport(p, insecure, base, resolver, maxIdle)
	}
	return s, nil
}

func interfaceAddrs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return []netip.Addr{}
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out
}

// CloseIdleConnections closes the idle keep-alive connections (on
// shutdown, after the engine has stopped sending).
func (s *Sender) CloseIdleConnections() {
	s.transports.closeIdle()
}

// HookURLHash is URLHash of the hook's current interpolated URL with the
// Sender's key.
func (s *Sender) HookURLHash(h model.Hook) (string, error) {
	u, err := h.InterpolatedURL()
	if err != nil {
		return "", err
	}
	return s.urlHashes.get(s.hashKey, u), nil
}

// Payload is one event's body prepared for sending. Build it once per event
// and share it by every hook the event fans out to: it is read-only and
// safe for concurrent use, and the encoding and e-mail redaction it caches
// are done once, not once per hook.
type Payload struct {
	obj      *model.JSONObject // image URLs rewritten; never modified
	verbatim bool
	stored   bool // body and logBody given; obj decoded on first use

	objOnce sync.Once
	objErr  error

	once    sync.Once
	body    []byte // POSTed when the hook has no template
	logBody []byte // body with e-mail addresses redacted
	err     error
}

// NewPayload prepares an event payload: a copy of it with relative Markdown
// image URLs made absolute under the instance's external URL.
// event itself is not modified. Hooks with a custom template render it
// against this copy.
func (s *Sender) NewPayload(event *model.JSONObject) *Payload {
	c, _ := model.CloneJSON(event).(*model.JSONObject)
	if c == nil {
		c = model.NewJSONObject()
	}
	model.RewriteImageURLs(c, s.externalURL)
	return &Payload{obj: c}
}

// NewVerbatimPayload prepares a body that is sent exactly as given, with no
// image rewriting and no custom template: Resend's stored request body.
// It must be JSON.
func NewVerbatimPayload(body []byte) (*Payload, error) {
	if !json.Valid(body) {
		return nil, model.BadRequest("request body is not valid JSON")
	}
	return &Payload{verbatim: true, body: slices.Clone(body)}, nil
}

// NewStoredPayload prepares a published event as the store keeps it: body
// is POSTed as is to hooks without a custom template (image URLs were made
// absolute when it was published) and logBody is its redacted form, or nil:
// a log row of such a send refers to the stored event, whose payload is
// redacted when the row is read, so nothing needs redacting on the way
// out (see LogRow). The body is decoded only if a hook's template needs it.
func NewStoredPayload(body, logBody []byte) *Payload {
	return &Payload{stored: true, body: body, logBody: logBody}
}

// object returns the decoded payload for template rendering.
func (p *Payload) object() (*model.JSONObject, error) {
	p.objOnce.Do(func() {
		if p.obj != nil {
			return
		}
		p.obj, p.objErr = model.ParsePayload(p.body)
	})
	return p.obj, p.objErr
}

func (p *Payload) prepare() {
	p.once.Do(func() {
		if p.stored {
			return // logBody as given
		}
		if !p.verbatim {
			if p.body, p.err = model.EncodeJSON(p.obj); p.err != nil {
				return
			}
		}
		if len(p.body) > MaxRequestBody {
			return // never logged; no need to redact
		}
		p.logBody, p.err = model.RedactEmailsJSON(p.body)
	})
}

// render returns the body to send to h and its redacted form for the log.
// stored says the body is a stored event's payload as is, whose logBody
// may be nil (see NewStoredPayload).
func (p *Payload) render(h *model.Hook) (body, logBody []byte, stored bool, err error) {
	if p.verbatim || !model.TemplatePresent(h.CustomWebhookTemplate) {
		p.prepare()
		return p.body, p.logBody, p.stored, p.err
	}
	obj, err := p.object()
	if err != nil {
		return nil, nil, false, err
	}
	// The limit stops a template that pastes a large field many times
	// before its output is built.
	body, err = model.RenderTemplate(h.CustomWebhookTemplate, obj, MaxRequestBody)
	if err != nil {
		return nil, nil, false, err
	}
	if len(body) > MaxRequestBody {
		return body, nil, false, nil
	}
	logBody, err = model.RedactEmailsJSON(body)
	return body, logBody, false, err
}

// Request is one delivery attempt to make.
type Request struct {
	// Hook is the hook to deliver to, with its secrets decrypted (URL
	// variables, token, custom headers).
	Hook model.Hook
	// Trigger is the trigger the event fires: its scope is the log row's
	// trigger and its EventHeader the X-Gitlab-Event (system hooks send
	// "System Hook").
	Trigger model.Trigger
	// Payload is the event's prepared body.
	Payload *Payload
	// EventUUID is the published event's UUID (X-Gitlab-Event-UUID); a
	// fresh one is made when empty.
	EventUUID string
	// IdempotencyKey is fixed per delivery of the event to the hook, the
	// same on every retry and resend; a fresh one is made when empty.
	IdempotencyKey string
	// Settings are the application settings in force: the outbound policy
	// and webhook_timeout.
	Settings model.Settings
}

// Send makes one attempt: it POSTs the payload (or the hook's rendered
// template) to the hook's interpolated URL and records the outcome. It
// never returns without a record: every failure is an internal error in
// the Attempt (see Attempt.Err). When ctx ends first, the attempt is
// Aborted and should not be recorded.
func (s *Sender) Send(ctx context.Context, r Request) Attempt {
	start := time.Now()
	h := &r.Hook
	a := Attempt{
		Trigger:         r.Trigger.Scope,
		URL:             maskedURL(h.URL),
		ResponseHeaders: map[string]string{},
	}
	fail := func(e *attemptError) Attempt {
		e.msg = maskSecrets(e.msg, h.URLVariables)
		a.Err = e
		a.InternalErrorMessage = e.msg
		a.ExecutionDuration = time.Since(start)
		return a
	}

	header, logHeaders := s.headers(&r)
	a.RequestHeaders = logHeaders

	interpolated, urlErr := h.InterpolatedURL()
	if urlErr == nil {
		a.URLHash = s.urlHashes.get(s.hashKey, interpolated)
	}

	if r.Payload == nil {
		a.RequestData = []byte("{}")
		return fail(&attemptError{"no payload to send", ErrRequest})
	}
	body, logBody, stored, err := r.Payload.render(h)
	if errors.Is(err, model.ErrTemplateTooLarge) {
		a.RequestData = []byte(`{"oversize":true}`)
		return fail(&attemptError{err.Error(), ErrTooLarge})
	}
	if err != nil {
		// A template error sends nothing and logs empty request data.
		a.RequestData = []byte("{}")
		return fail(&attemptError{err.Error(), err})
	}
	if len(body) > MaxRequestBody {
		a.RequestData = []byte(`{"oversize":true}`)
		return fail(&attemptError{fmt.Sprintf("Request body is too large: %d bytes (the limit is 25 MiB)", len(body)), ErrTooLarge})
	}
	a.RequestData, a.sentStored = logBody, stored

	if urlErr != nil {
		return fail(&attemptError{urlErr.Error(), urlErr})
	}
	target, err := model.SplitBasicAuth(interpolated)
	if err != nil {
		return fail(&attemptError{err.Error(), err})
	}
	if h.SigningToken != "" {
		if e := sign(header, a.RequestHeaders, h.SigningToken, time.Now(), body); e != nil {
			return fail(e)
		}
	}

	timeout := time.Duration(r.Settings.WebhookTimeout) * time.Second
	if timeout <= 0 {
		timeout = time.Duration(model.DefaultSettings().WebhookTimeout) * time.Second
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(actx, http.MethodPost, target.URL, bytes.NewReader(body))
	if err != nil {
		return fail(&attemptError{"URI is invalid", ErrRequest})
	}
	req.Header = header
	if target.BasicAuth {
		req.SetBasicAuth(target.Username, target.Password)
	}

	// RoundTrip, not an http.Client: no redirect is followed (a 3xx is
	// recorded as it is), no cookie jar. Because the request carries an
	// Idempotency-Key, Go treats it as replayable and re-sends it on a fresh
	// connection when a kept-alive one turns out to be closed by the
	// receiver; receivers deduplicate by that key.
	transport := s.transport(h, &r.Settings)
	resp, err := transport.RoundTrip(req)
	if err != nil {
		return fail(describe(ctx, actx, err, timeout))
	}
	respBody, err := readResponseBody(resp.Body)
	if err != nil {
		return fail(describe(ctx, actx, err, timeout))
	}
	a.StatusCode = resp.StatusCode
	a.ResponseHeaders = logResponseHeaders(resp.Header, h.URLVariables)
	a.ResponseBody = truncateBytes(validUTF8(respBody), MaxResponseBody)
	a.ExecutionDuration = time.Since(start)
	return a
}

// maskedURL is the log form of a stored URL: its userinfo masked as
// GitLab's UrlSanitizer.sanitize_masked_url does. Most URLs have none, and
// the regexp is skipped for them.
func maskedURL(stored string) string {
	if !strings.Contains(stored, "@") {
		return stored
	}
	return model.MaskURLUserinfo(stored)
}

// headers builds the request headers and their log form.
// Custom headers go first and the delivery headers are set over them, so a
// custom header never replaces a delivery header, whatever its case
// (http.Header keys are canonical).
func (s *Sender) headers(r *Request) (http.Header, map[string]string) {
	h := &r.Hook
	event := r.Trigger.EventHeader
	if h.Kind == model.SystemHookKind {
		event = model.SystemHookEvent
	}
	eventUUID := r.EventUUID
	if eventUUID == "" {
		eventUUID = uuid.NewString()
	}
	key := r.IdempotencyKey
	if key == "" {
		key = uuid.NewString()
	}
	builtins := model.DeliveryHeaders(model.DeliveryHeaderValues{UserAgent: s.userAgent, IdempotencyKey: key,
		Event: event, WebhookUUID: uuid.NewString(), Instance: s.externalURL, Token: removeLineBreaks(h.Token),
		EventUUID: eventUUID})

	header := make(http.Header, len(builtins)+len(h.CustomHeaders))
	logged := make(map[string]string, len(builtins)+len(h.CustomHeaders))
	var customNames []string
	if len(h.CustomHeaders) > 0 {
		customNames = make([]string, 0, len(h.CustomHeaders))
		for name := range h.CustomHeaders {
			customNames = append(customNames, name)
		}
		slices.Sort(customNames)
		for _, name := range customNames {
			// A connection-level header (Host, hop-by-hop) is refused on
			// save; one stored before that is not sent either.
			if overridden(name, builtins[:], h.Token != "") || model.ConnectionHeader(name) {
				continue
			}
			header.Set(name, h.CustomHeaders[name])
			logged[name] = h.CustomHeaders[name]
		}
	}
	for _, b := range builtins {
		if b[1] == "" && b[0] == model.TokenHeader {
			continue
		}
		header.Set(b[0], b[1])
		logged[b[0]] = b[1]
	}
	return header, model.RedactRequestHeaders(logged, customNames)
}

// overridden reports whether a delivery header replaces the custom header
// name. X-Gitlab-Token is a delivery header only when the hook has a token,
// as in GitLab.
func overridden(name string, builtins [][2]string, hasToken bool) bool {
	for _, b := range builtins {
		if strings.EqualFold(b[0], name) {
			return b[0] != model.TokenHeader || hasToken
		}
	}
	return false
}

// removeLineBreaks is GitLab's Utils.remove_line_breaks for the token; a
// lone CR goes too, since Go refuses to send one.
func removeLineBreaks(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}

// transport picks the connection pool for the hook's policy: system hooks
// follow allow_local_requests_from_system_hooks, other hooks
// allow_local_requests_from_web_hooks_and_services; both honour the
// allowlist.
func (s *Sender) transport(h *model.Hook, st *model.Settings) *http.Transport {
	key := transportKey{
		insecure:   !h.EnableSSLVerification,
		allowLocal: st.AllowLocalRequestsFromWebHooksAndServices,
		setting:    model.SettingAllowLocalWebHooks,
	}
	if h.Kind == model.SystemHookKind {
		key.allowLocal = st.AllowLocalRequestsFromSystemHooks
		key.setting = model.SettingAllowLocalSystemHooks
	}
	return s.transports.get(key, st.OutboundLocalRequestsAllowlist)
}

// describe turns a transport error into the attempt's error: a log message
// that never quotes the request URL, and a kind.
func describe(parent, actx context.Context, err error, timeout time.Duration) *attemptError {
	var blocked *model.BlockedError
	var opErr *net.OpError
	var unresolved *unresolvedError
	switch {
	case errors.As(err, &blocked):
		return &attemptError{blocked.Error(), blocked}
	case parent.Err() != nil:
		return &attemptError{"Request aborted: " + parent.Err().Error(), parent.Err()}
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		return &attemptError{fmt.Sprintf("Request timed out after %s (webhook_timeout)", timeout), ErrTimeout}
	case errors.As(err, &unresolved):
		return &attemptError{unresolved.Error(), ErrRequest}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return &attemptError{fmt.Sprintf("Failed to open TCP connection to %s (%v)", opErr.Addr, opErr.Err), ErrRequest}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &attemptError{"The receiver closed the connection without a complete response (" + err.Error() + ")", ErrRequest}
	}
	return &attemptError{err.Error(), ErrRequest}
}

// drainLimit is how much of an unread response body is read and discarded
// so the connection can be reused; past it the connection is closed.
const drainLimit = 64 << 10

var bodyBuffers = sync.Pool{New: func() any {
	b := make([]byte, MaxResponseBody+1)
	return &b
}}

// readResponseBody reads what the log keeps of the body (one byte more
// than MaxResponseBody, so truncation shows), drains a little more so the
// keep-alive connection survives, and closes it.
func readResponseBody(body io.ReadCloser) (string, error) {
	defer body.Close()
	bp := bodyBuffers.Get().(*[]byte)
	defer bodyBuffers.Put(bp)
	buf := *bp
	n := 0
	for n < len(buf) {
		m, err := body.Read(buf[n:])
		n += m
		if err == io.EOF {
			return string(buf[:n]), nil
		}
		if err != nil {
			return "", err
		}
	}
	_, _ = io.CopyN(io.Discard, body, drainLimit)
	return string(buf[:n]), nil
}
