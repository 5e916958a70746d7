package model

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func mustHostAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, ok := HostAddr(s)
	if !ok {
		t.Fatalf("HostAddr(%q) failed", s)
	}
	return a
}

func TestLocalAddressReason(t *testing.T) {
	tests := []struct {
		ip, want string
	}{
		// GitLab url_blocker_spec: local_ips.
		{"192.168.1.2", ReasonLocalNetwork},
		{"[0:0:0:0:0:ffff:192.168.1.2]", ReasonLocalNetwork},
		{"[::ffff:c0a8:102]", ReasonLocalNetwork},
		{"10.0.0.2", ReasonLocalNetwork},
		{"[0:0:0:0:0:ffff:10.0.0.2]", ReasonLocalNetwork},
		{"[::ffff:a00:2]", ReasonLocalNetwork},
		{"172.16.0.2", ReasonLocalNetwork},
		{"[0:0:0:0:0:ffff:172.16.0.2]", ReasonLocalNetwork},
		{"[::ffff:ac10:20]", ReasonLocalNetwork},
		{"[feef::1]", ReasonLocalNetwork},
		{"[fee2::]", ReasonLocalNetwork},
		{"[fc00:bf8b:e62c:abcd:abcd:aaaa:aaaa:aaaa]", ReasonLocalNetwork},
		{"fd12:3456:789a::1", ReasonLocalNetwork},
		{"172.31.255.255", ReasonLocalNetwork},
		// shared_address_space_ips.
		{"100.64.0.0", ReasonSharedAddress},
		{"100.64.127.127", ReasonSharedAddress},
		{"100.64.255.255", ReasonSharedAddress},
		{"100.127.255.255", ReasonSharedAddress},
		// Link-local, IPv4 and IPv6 forms.
		{"169.254.169.254", ReasonLinkLocal},
		{"169.254.168.100", ReasonLinkLocal},
		{"[0:0:0:0:0:ffff:169.254.169.254]", ReasonLinkLocal},
		{"[::ffff:169.254.169.254]", ReasonLinkLocal},
		{"[::ffff:a9fe:a9fe]", ReasonLinkLocal},
		{"[::ffff:a9fe:a864]", ReasonLinkLocal},
		{"[fe80::c800:eff:fe74:8]", ReasonLinkLocal},
		{"fe80::1%eth0", ReasonLinkLocal},
		// Loopback, incl. GitLab's IPv6 spellings of 127.0.0.x.
		{"127.0.0.1", ReasonLoopback},
		{"127.0.0.2", ReasonLoopback},
		{"127.255.255.254", ReasonLoopback},
		{"::1", ReasonLoopback},
		{"[0:0:0:0:0:ffff:127.0.0.1]", ReasonLoopback},
		{"[::ffff:7f00:1]", ReasonLoopback},
		{"[::ffff:127.0.0.2]", ReasonLoopback},
		// Unspecified.
		{"0.0.0.0", ReasonLocalhost},
		{"0.1.2.3", ReasonLocalhost},
		{"::", ReasonLocalhost},
		{"::ffff:0.0.0.0", ReasonLocalhost},
		// Limited broadcast, GitLab's variants.
		{"255.255.255.255", ReasonBroadcast},
		{"0377.0377.0377.0377", ReasonBroadcast},
		{"0377.00000000377.00377.0000377", ReasonBroadcast},
		{"0xff.0xff.0xff.0xff", ReasonBroadcast},
		{"0xffffffff", ReasonBroadcast},
		{"4294967295", ReasonBroadcast},
		{"[::ffff:ffff:ffff]", ReasonBroadcast},
		{"[0000:0000:0000:0000:0000:ffff:ffff:ffff]", ReasonBroadcast},
		// Multicast (Hooklab).
		{"224.0.0.1", ReasonMulticast},
		{"239.255.255.250", ReasonMulticast},
		{"ff02::1", ReasonMulticast},
		// IPv4 carried in IPv6 transition forms.
		{"::127.0.0.1", ReasonLoopback},
		{"::10.1.2.3", ReasonLocalNetwork},
		{"64:ff9b::7f00:1", ReasonLoopback},
		{"::ffff:0:7f00:1", ReasonLoopback}, // SIIT IPv4-translated
		{"::ffff:0:c0a8:101", ReasonLocalNetwork},
		{"64:ff9b::a9fe:a9fe", ReasonLinkLocal},
		{"64:ff9b:1::8.8.8.8", ReasonLocalNetwork},
		{"2002:7f00:1::", ReasonLoopback},
		{"2002:c0a8:0101::1", ReasonLocalNetwork},
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", ReasonLoopback}, // Teredo client ^0x80fffffe = 127.0.0.1
		{"2001:0:a00:1::", ReasonLocalNetwork},                   // Teredo server 10.0.0.1
		// Inet_aton spellings of loopback.
		{"2130706433", ReasonLoopback},
		{"0x7f000001", ReasonLoopback},
		{"0177.0.0.1", ReasonLoopback},
		{"127.1", ReasonLoopback},
		{"127.0.1", ReasonLoopback},
		// Public.
		{"8.8.8.8", ""},
		{"93.184.216.34", ""},
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		{"172.32.0.1", ""},
		{"192.169.0.1", ""},
		{"2606:4700:4700::1111", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""},
		{"::ffff:0:808:808", ""},
		{"2002:808:808::1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			if got := LocalAddressReason(mustHostAddr(t, tt.ip)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := LocalAddressReason(netip.Addr{}); got != ReasonUnresolved {
		t.Errorf("zero Addr: got %q, want %q", got, ReasonUnresolved)
	}
}

func TestHostAddr(t *testing.T) {
	tests := []struct {
		host string
		want string // "" = not an address
	}{
		{"127.0.0.1", "127.0.0.1"},
		{"[::1]", "::1"},
		{"::1", "::1"},
		{"1", "0.0.0.1"},
		{"10.1", "10.0.0.1"},
		{"10.1.2", "10.1.0.2"},
		{"0x0a.0.0.1", "10.0.0.1"},
		{"010.0.0.1", "8.0.0.1"},
		{"example.com", ""},
		{"8.8.8.8.8", ""},
		{"256.0.0.1", ""},
		{"1.2.65536", ""},
		{"09.0.0.1", ""},
		{"0xBaaaaaaaaaaaaaaaaffffffff", ""},
		{"1..2", ""},
		{"", ""},
		{"[example.com]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			got, ok := HostAddr(tt.host)
			if tt.want == "" {
				if ok {
					t.Errorf("got %v, want not an address", got)
				}
				return
			}
			if !ok || got.String() != tt.want {
				t.Errorf("got %v, %v; want %s", got, ok, tt.want)
			}
		})
	}
}

func TestParseAllowlistEntry(t *testing.T) {
	tests := []struct {
		in     string
		prefix string
		domain string
		port   int
	}{
		{"127.0.0.1", "127.0.0.1/32", "", 0},
		{"127.0.0.1:8080", "127.0.0.1/32", "", 8080},
		{"127.0.0.0/8", "127.0.0.0/8", "", 0},
		{"192.168.1.7/24", "192.168.1.0/24", "", 0},
		{"10.0.0.0/255.0.0.0", "10.0.0.0/8", "", 0},
		{"::1", "::1/128", "", 0},
		{"1:0:0:0:0:0:0:1", "1::1/128", "", 0},
		{"[::1]", "::1/128", "", 0},
		{"[1:0:0:0:0:0:0:1]:8080", "1::1/128", "", 8080},
		{"1:0:0:0:0:0:0:0/124", "1::/124", "", 0},
		{"fe80::c800:eff:fe74:8", "fe80::c800:eff:fe74:8/128", "", 0},
		{"::ffff:169.254.168.100", "169.254.168.100/32", "", 0},
		{"::ffff:a9fe:a9fe", "169.254.169.254/32", "", 0},
		{"example.com", "", "example.com", 0},
		{"example.com:8080", "", "example.com", 8080},
		{"xn--itlab-j1a.com", "", "xn--itlab-j1a.com", 0},
		{"45645632345", "", "45645632345", 0},
		{"garbage456:more345gar:bage", "", "garbage456:more345gar:bage", 0},
		{"example.com:99999", "", "example.com", -1},
		{"10.0.0.0/33", "", "10.0.0.0/33", 0},
		{"10.0.0.0/255.0.255.0", "", "10.0.0.0/255.0.255.0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e := ParseAllowlistEntry(tt.in)
			gotPrefix := ""
			if e.Prefix.IsValid() {
				gotPrefix = e.Prefix.String()
			}
			if gotPrefix != tt.prefix || e.Domain != tt.domain || e.Port != tt.port {
				t.Errorf("got prefix %q domain %q port %d; want %q %q %d", gotPrefix, e.Domain, e.Port, tt.prefix, tt.domain, tt.port)
			}
		})
	}
}

func TestOutboundPolicyCheck(t *testing.T) {
	// GitLab url_blocker_spec: "with IPs in allowlist" and "with domains in allowlist".
	ipAllowlist := ParseAllowlist([]string{
		"0.0.0.0", "127.0.0.1", "127.0.0.2", "192.168.1.1", "192.168.1.2", "0:0:0:0:0:ffff:10.0.0.2",
		"0:0:0:0:0:ffff:169.254.169.254", "::ffff:a9fe:a9fe", "::ffff:169.254.168.100", "::ffff:a9fe:a864",
		"fe80::c800:eff:fe74:8", "255.255.255.255", "45645632345", "garbage456:more345gar:bage",
	})
	domainAllowlist := ParseAllowlist([]string{"www.example.com", "example.com", "xn--itlab-j1a.com", "garbage$^$%#$^&$"})
	portAllowlist := ParseAllowlist([]string{"127.0.0.1:2000", "internal.example.com:8443", "[::1]:9000", "10.0.0.0/8"})

	tests := []struct {
		name       string
		policy     OutboundPolicy
		host, ip   string
		port       int
		wantReason string // "" = allowed
	}{
		{"public address", OutboundPolicy{}, "example.org", "93.184.216.34", 443, ""},
		{"private address blocked", OutboundPolicy{}, "intranet", "192.168.1.2", 80, ReasonLocalNetwork},
		{"loopback blocked", OutboundPolicy{}, "localhost", "127.0.0.1", 80, ReasonLoopback},
		{"metadata endpoint blocked", OutboundPolicy{}, "169.254.169.254", "169.254.169.254", 80, ReasonLinkLocal},
		{"allow local allows everything", OutboundPolicy{AllowLocal: true}, "localhost", "127.0.0.1", 80, ""},
		{"allow local allows broadcast", OutboundPolicy{AllowLocal: true}, "x", "255.255.255.255", 80, ""},
		{"own interface address is localhost", OutboundPolicy{LocalAddrs: []netip.Addr{netip.MustParseAddr("203.0.113.7")}}, "me", "203.0.113.7", 80, ReasonLocalhost},
		{"own address via mapped form", OutboundPolicy{LocalAddrs: []netip.Addr{netip.MustParseAddr("203.0.113.7")}}, "me", "::ffff:203.0.113.7", 80, ReasonLocalhost},

		{"ip allowlist: 0.0.0.0", OutboundPolicy{Allowlist: ipAllowlist}, "0.0.0.0", "0.0.0.0", 80, ""},
		{"ip allowlist: 127.0.0.2", OutboundPolicy{Allowlist: ipAllowlist}, "127.0.0.2", "127.0.0.2", 80, ""},
		{"ip allowlist: 127.0.0.3 not listed", OutboundPolicy{Allowlist: ipAllowlist}, "127.0.0.3", "127.0.0.3", 80, ReasonLoopback},
		{"ip allowlist: resolved 192.168.1.2", OutboundPolicy{Allowlist: ipAllowlist}, "example.com", "192.168.1.2", 80, ""},
		{"ip allowlist: resolved 192.168.1.3", OutboundPolicy{Allowlist: ipAllowlist}, "example.com", "192.168.1.3", 80, ReasonLocalNetwork},
		{"ip allowlist: mapped entry allows IPv4", OutboundPolicy{Allowlist: ipAllowlist}, "10.0.0.2", "10.0.0.2", 80, ""},
		{"ip allowlist: mapped address", OutboundPolicy{Allowlist: ipAllowlist}, "x", "::ffff:169.254.169.254", 80, ""},
		{"ip allowlist: link-local v6", OutboundPolicy{Allowlist: ipAllowlist}, "x", "fe80::c800:eff:fe74:8", 80, ""},
		{"ip allowlist: broadcast", OutboundPolicy{Allowlist: ipAllowlist}, "255.255.255.255", "255.255.255.255", 80, ""},

		{"domain allowlist: exact", OutboundPolicy{Allowlist: domainAllowlist}, "example.com", "192.168.1.1", 80, ""},
		{"domain allowlist: subdomain listed", OutboundPolicy{Allowlist: domainAllowlist}, "www.example.com", "192.168.1.1", 80, ""},
		{"domain allowlist: other subdomain blocked", OutboundPolicy{Allowlist: domainAllowlist}, "subdomain.example.com", "192.168.1.1", 80, ReasonLocalNetwork},
		{"domain allowlist: idna", OutboundPolicy{Allowlist: domainAllowlist}, "xn--itlab-j1a.com", "192.168.1.1", 80, ""},
		{"domain allowlist: case and trailing dot", OutboundPolicy{Allowlist: domainAllowlist}, "Example.COM.", "127.0.0.1", 80, ""},
		{"domain allowlist: unresolved host still allowed", OutboundPolicy{Allowlist: domainAllowlist}, "example.com", "", 80, ""},
		{"domain allowlist does not allow its IP for other names", OutboundPolicy{Allowlist: domainAllowlist}, "evil.test", "192.168.1.1", 80, ReasonLocalNetwork},

		{"port: matching IP and port", OutboundPolicy{Allowlist: portAllowlist}, "www.resolve-domain.com", "127.0.0.1", 2000, ""},
		{"port: other port blocked", OutboundPolicy{Allowlist: portAllowlist}, "www.resolve-domain.com", "127.0.0.1", 2001, ReasonLoopback},
		{"port: domain with port", OutboundPolicy{Allowlist: portAllowlist}, "internal.example.com", "10.1.1.1", 8443, ""},
		{"port: domain other port falls to range", OutboundPolicy{Allowlist: portAllowlist}, "internal.example.com", "192.168.0.1", 443, ReasonLocalNetwork},
		{"port: bracketed IPv6 with port", OutboundPolicy{Allowlist: portAllowlist}, "[::1]", "::1", 9000, ""},
		{"port: CIDR allows any port", OutboundPolicy{Allowlist: portAllowlist}, "x", "10.9.8.7", 1234, ""},

		{"unresolved host blocked", OutboundPolicy{}, "nowhere.invalid", "", 80, ReasonUnresolved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ip netip.Addr
			if tt.ip != "" {
				ip = netip.MustParseAddr(tt.ip)
			}
			err := tt.policy.Check(tt.host, ip, tt.port)
			if tt.wantReason == "" {
				if err != nil {
					t.Errorf("got %v, want allowed", err)
				}
				return
			}
			var be *BlockedError
			if !errors.As(err, &be) {
				t.Fatalf("got %v, want a *BlockedError", err)
			}
			if be.Reason != tt.wantReason {
				t.Errorf("reason: got %q, want %q", be.Reason, tt.wantReason)
			}
		})
	}
}

func TestBlockedErrorMessage(t *testing.T) {
	tests := []struct {
		name     string
		policy   OutboundPolicy
		host, ip string
		want     string
	}{
		{
			"host resolved to a private address",
			OutboundPolicy{}, "intranet.example.com", "192.168.1.2",
			"Requests to the local network are not allowed: intranet.example.com (192.168.1.2) — allow it with allow_local_requests_from_web_hooks_and_services or outbound_local_requests_allowlist",
		},
		{
			"literal address",
			OutboundPolicy{}, "127.0.0.1", "127.0.0.1",
			"Requests to loopback addresses are not allowed: 127.0.0.1 — allow it with allow_local_requests_from_web_hooks_and_services or outbound_local_requests_allowlist",
		},
		{
			"bracketed IPv6 literal",
			OutboundPolicy{}, "[::1]", "::1",
			"Requests to loopback addresses are not allowed: ::1 — allow it with allow_local_requests_from_web_hooks_and_services or outbound_local_requests_allowlist",
		},
		{
			"system hook setting",
			OutboundPolicy{Setting: SettingAllowLocalSystemHooks}, "localhost", "127.0.0.1",
			"Requests to loopback addresses are not allowed: localhost (127.0.0.1) — allow it with allow_local_requests_from_system_hooks or outbound_local_requests_allowlist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(tt.host, netip.MustParseAddr(tt.ip), 80)
			if err == nil {
				t.Fatal("not blocked")
			}
			if err.Error() != tt.want {
				t.Errorf("got  %q\nwant %q", err.Error(), tt.want)
			}
			if !errors.Is(err, ErrBlocked) || !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not match ErrBlocked and ErrInvalid")
			}
		})
	}
	err := CheckOutbound("x", netip.MustParseAddr("10.0.0.1"), 80, false, nil)
	if err == nil || !strings.Contains(err.Error(), SettingAllowLocalWebHooks) {
		t.Errorf("CheckOutbound: got %v", err)
	}
	if err := CheckOutbound("x", netip.MustParseAddr("10.0.0.1"), 80, true, nil); err != nil {
		t.Errorf("CheckOutbound with allowLocal: got %v", err)
	}
}

func TestSplitAllowlist(t *testing.T) {
	// GitLab's docs example for the admin textarea.
	raw := "example.com;gitlab.example.com\n127.0.0.1,1:0:0:0:0:0:0:1\n127.0.0.0/8 1:0:0:0:0:0:0:0/124\n[1:0:0:0:0:0:0:1]:8080\n127.0.0.1:8080 , example.com:8080\n\nexample.com"
	got := strings.Join(SplitAllowlist(raw), "|")
	want := "example.com|gitlab.example.com|127.0.0.1|1:0:0:0:0:0:0:1|127.0.0.0/8|1:0:0:0:0:0:0:0/124|[1:0:0:0:0:0:0:1]:8080|127.0.0.1:8080|example.com:8080"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := SplitAllowlist("  \n ,; "); len(got) != 0 {
		t.Errorf("blank: got %q", got)
	}
}

func TestValidateAllowlist(t *testing.T) {
	many := make([]string, MaxAllowlistEntries+1)
	for i := range many {
		many[i] = "example.com"
	}
	tests := []struct {
		name    string
		entries []string
		want    []string
	}{
		{"valid", []string{"example.com", "127.0.0.1:8080", "[::1]:80", "10.0.0.0/8", "garbage456:more345gar:bage"}, nil},
		{"empty", nil, nil},
		{"exactly 1000", many[:MaxAllowlistEntries], nil},
		{"too many", many, []string{"is too long (maximum is 1000 entries)"}},
		{"too long", []string{strings.Repeat("a", 256)}, []string{"entries cannot be larger than 255 characters"}},
		{"255 is fine", []string{strings.Repeat("a", 255)}, nil},
		{"unicode", []string{"ğitlab.com"}, []string{"unicode domains should use IDNA encoding"}},
		{"html", []string{"<script>alert(1)</script>.com"}, []string{"entries cannot contain HTML tags"}},
		{"ampersand", []string{"a&b.com"}, []string{"entries cannot contain HTML tags"}},
		{"bad port", []string{"example.com:70000"}, []string{"entries cannot have a port outside 1-65535"}},
		{"port zero", []string{"127.0.0.1:0"}, []string{"entries cannot have a port outside 1-65535"}},
		{"each rule once", []string{"ğ.com", "ş.com", strings.Repeat("b", 300)}, []string{"entries cannot be larger than 255 characters", "unicode domains should use IDNA encoding"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateAllowlist(tt.entries)
			if tt.want == nil {
				if err != nil {
					t.Errorf("got %v, want valid", err)
				}
				return
			}
			v, ok := AsValidation(err)
			if !ok {
				t.Fatalf("got %v, want a validation error", err)
			}
			got := v.For(SettingOutboundAllowlist)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSettingsHookOutboundPolicy(t *testing.T) {
	st := DefaultSettings()
	st.OutboundLocalRequestsAllowlist = []string{"10.0.0.0/8"}
	loopback := netip.MustParseAddr("127.0.0.1")
	for _, tc := range []struct {
		kind        HookKind
		allowWeb    bool
		allowSys    bool
		wantOK      bool
		wantSetting string
	}{
		{ProjectHookKind, false, true, false, SettingAllowLocalWebHooks},
		{GroupHookKind, true, false, true, SettingAllowLocalWebHooks},
		{SystemHookKind, false, true, true, SettingAllowLocalSystemHooks},
		{SystemHookKind, true, false, false, SettingAllowLocalSystemHooks},
	} {
		st.AllowLocalRequestsFromWebHooksAndServices, st.AllowLocalRequestsFromSystemHooks = tc.allowWeb, tc.allowSys
		p := st.HookOutboundPolicy(tc.kind)
		err := p.Check("127.0.0.1", loopback, 80)
		if (err == nil) != tc.wantOK || p.Setting != tc.wantSetting {
			t.Errorf("%s web=%v sys=%v: got %v, setting %s", tc.kind, tc.allowWeb, tc.allowSys, err, p.Setting)
		}
		if err := p.Check("10.1.1.1", netip.MustParseAddr("10.1.1.1"), 80); err != nil {
			t.Errorf("%s: the allowlist was not applied: %v", tc.kind, err)
		}
	}
}
