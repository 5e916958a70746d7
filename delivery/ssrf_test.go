package delivery

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/model"
)

func TestSendBlocksLocalAddressesByDefault(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	port := strconv.Itoa(rcv.port())
	const web = " — allow it with " + model.SettingAllowLocalWebHooks + " or " + model.SettingOutboundAllowlist
	tests := []struct {
		name string
		host string
		want string
	}{
		{"loopback literal", "127.0.0.1", model.ReasonLoopback + ": 127.0.0.1" + web},
		{"localhost", "localhost", model.ReasonLoopback + ": localhost ("},
		{"name resolving to 127.0.0.1 (rebinding)", "rebind.example", model.ReasonLoopback + ": rebind.example (127.0.0.1)" + web},
		{"cloud metadata", "169.254.169.254", model.ReasonLinkLocal + ": 169.254.169.254" + web},
		{"name resolving to metadata", "metadata.internal", model.ReasonLinkLocal + ": metadata.internal (169.254.169.254)" + web},
		{"IPv4-mapped IPv6", "::ffff:127.0.0.1", model.ReasonLoopback + ": ::ffff:127.0.0.1" + web},
		{"decimal IPv4", "2130706433", model.ReasonLoopback + ": 2130706433 (127.0.0.1)" + web},
		{"private", "10.1.2.3", model.ReasonLocalNetwork + ": 10.1.2.3" + web},
		{"unspecified", "0.0.0.0", model.ReasonLocalhost + ": 0.0.0.0" + web},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := projectHook(rcv.hookURL(tt.host, "/hook"))
			a := s.Send(context.Background(), Request{
				Hook: h, Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"),
				Settings: model.DefaultSettings(),
			})
			var blocked *model.BlockedError
			if !errors.As(a.Err, &blocked) || !errors.Is(a.Err, model.ErrBlocked) {
				t.Fatalf("err %v, want a *model.BlockedError", a.Err)
			}
			if a.ResponseStatus() != InternalError || a.Success() {
				t.Errorf("status %q success %v, want internal error", a.ResponseStatus(), a.Success())
			}
			if !strings.HasPrefix(a.InternalErrorMessage, tt.want) || !strings.HasSuffix(a.InternalErrorMessage, web) {
				t.Errorf("message\n got %q\nwant %q…%q", a.InternalErrorMessage, tt.want, web)
			}
			if blocked.Port != rcv.port() {
				t.Errorf("blocked port %d, want %s", blocked.Port, port)
			}
			if n := rcv.conns.Load(); n != 0 {
				t.Errorf("receiver saw %d connections, want none", n)
			}
			if len(a.RequestData) == 0 {
				t.Errorf("blocked attempt logged no request data")
			}
		})
	}
}

func TestSendSystemHookLocalSetting(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	h := projectHook(rcv.URL)
	h.Kind = model.SystemHookKind
	h.ProjectID = nil

	// allow_local_requests_from_system_hooks defaults to true; the web
	// hooks setting does not apply to system hooks.
	settings := model.DefaultSettings()
	a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: settings})
	if a.StatusCode != 200 {
		t.Fatalf("system hook with default settings: status %d err %v, want 200", a.StatusCode, a.Err)
	}

	settings.AllowLocalRequestsFromSystemHooks = false
	settings.AllowLocalRequestsFromWebHooksAndServices = true
	a = s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: settings})
	want := model.ReasonLoopback + ": 127.0.0.1 — allow it with " + model.SettingAllowLocalSystemHooks + " or " + model.SettingOutboundAllowlist
	if a.InternalErrorMessage != want {
		t.Errorf("message %q, want %q", a.InternalErrorMessage, want)
	}
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("receiver got %d requests, want only the first", n)
	}
}

// A connection admitted under a lenient policy must not be reused by a
// request that the current policy forbids.
func TestSendPoolsDoNotCrossPolicies(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	h := projectHook(rcv.URL)
	p := samplePayload(t, s, "push_hooks")
	if a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: p, Settings: localSettings()}); a.StatusCode != 200 {
		t.Fatalf("allowed attempt: status %d err %v", a.StatusCode, a.Err)
	}
	allowlisted := model.DefaultSettings()
	allowlisted.OutboundLocalRequestsAllowlist = []string{"127.0.0.1"}
	if a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: p, Settings: allowlisted}); a.StatusCode != 200 {
		t.Fatalf("allowlisted attempt: status %d err %v", a.StatusCode, a.Err)
	}
	for _, settings := range []model.Settings{model.DefaultSettings(), localSettings()} {
		settings.AllowLocalRequestsFromWebHooksAndServices = false
		a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: p, Settings: settings})
		if !errors.Is(a.Err, model.ErrBlocked) {
			t.Errorf("after the policy tightened: status %d err %v, want blocked", a.StatusCode, a.Err)
		}
	}
	if n := len(rcv.requests()); n != 2 {
		t.Errorf("receiver got %d requests, want 2", n)
	}
}

func TestSendAllowlistOpensExactlyWhatItNames(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	port := strconv.Itoa(rcv.port())
	otherPort := strconv.Itoa(rcv.port() + 1)
	if rcv.port() == 65535 {
		otherPort = "1"
	}
	tests := []struct {
		name    string
		entries []string
		host    string
		allowed bool
	}{
		{"IP", []string{"127.0.0.1"}, "127.0.0.1", true},
		{"other IP", []string{"127.0.0.2"}, "127.0.0.1", false},
		{"CIDR", []string{"127.0.0.0/8"}, "127.0.0.1", true},
		{"other CIDR", []string{"10.0.0.0/8", "192.168.0.0/16"}, "127.0.0.1", false},
		{"IP and port", []string{"127.0.0.1:" + port}, "127.0.0.1", true},
		{"IP and other port", []string{"127.0.0.1:" + otherPort}, "127.0.0.1", false},
		{"IP covers a name resolving to it", []string{"127.0.0.1"}, "hooks.internal", true},
		{"IPv4 entry covers the IPv4-mapped form", []string{"127.0.0.1"}, "::ffff:127.0.0.1", true},
		{"host", []string{"hooks.internal"}, "hooks.internal", true},
		{"host, case and trailing dot", []string{"HOOKS.internal."}, "hooks.internal", true},
		{"host and port", []string{"hooks.internal:" + port}, "hooks.internal", true},
		{"host and other port", []string{"hooks.internal:" + otherPort}, "hooks.internal", false},
		{"other host with the same address", []string{"hooks.internal"}, "other.internal", false},
		{"host does not open its address", []string{"hooks.internal"}, "127.0.0.1", false},
		{"empty", nil, "127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := model.ValidateAllowlist(tt.entries); err != nil {
				t.Fatalf("test allowlist is invalid: %v", err)
			}
			settings := model.DefaultSettings()
			settings.OutboundLocalRequestsAllowlist = tt.entries
			before := len(rcv.requests())
			a := s.Send(context.Background(), Request{
				Hook: projectHook(rcv.hookURL(tt.host, "/")), Trigger: trigger(t, "push_hooks"),
				Payload: samplePayload(t, s, "push_hooks"), Settings: settings,
			})
			reached := len(rcv.requests()) > before
			if tt.allowed {
				if a.StatusCode != 200 || !reached {
					t.Errorf("status %d err %v reached %v, want allowed", a.StatusCode, a.Err, reached)
				}
				return
			}
			if !errors.Is(a.Err, model.ErrBlocked) || reached {
				t.Errorf("status %d err %v reached %v, want blocked", a.StatusCode, a.Err, reached)
			}
		})
	}
}

// The dialer's Control hook judges the socket address right before
// connect(2), independently of the check on the resolved addresses.
func TestDialerControlChecksTheSocketAddress(t *testing.T) {
	rcv := newReceiver(t, nil)
	ap := netip.MustParseAddrPort(strings.TrimPrefix(rcv.URL, "http://"))
	d := &guardedDialer{policy: model.OutboundPolicy{}, resolver: testResolver}
	conn, err := d.dial(context.Background(), "tcp", "innocent.example", ap)
	if err == nil {
		conn.Close()
		t.Fatal("dial to 127.0.0.1 succeeded under the default policy")
	}
	var blocked *model.BlockedError
	if !errors.As(err, &blocked) || blocked.Host != "innocent.example" || blocked.Addr != ap.Addr() {
		t.Errorf("err %v, want a *model.BlockedError for innocent.example (127.0.0.1)", err)
	}
	if n := rcv.conns.Load(); n != 0 {
		t.Errorf("receiver saw %d connections, want none", n)
	}

	d.policy.AllowLocal = true
	conn, err = d.dial(context.Background(), "tcp", "innocent.example", ap)
	if err != nil {
		t.Fatalf("dial with local requests allowed: %v", err)
	}
	conn.Close()
}
