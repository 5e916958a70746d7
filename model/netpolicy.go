package model

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Settings named in blocked-request messages.
const (
	SettingAllowLocalWebHooks    = "allow_local_requests_from_web_hooks_and_services"
	SettingAllowLocalSystemHooks = "allow_local_requests_from_system_hooks"
	SettingOutboundAllowlist     = "outbound_local_requests_allowlist"
)

// Why an address is local. The sentences are GitLab's
// (Gitlab::HTTP_V2::UrlBlocker); multicast is blocked by Hooklab only.
const (
	ReasonLocalhost     = "Requests to localhost are not allowed"
	ReasonLoopback      = "Requests to loopback addresses are not allowed"
	ReasonLocalNetwork  = "Requests to the local network are not allowed"
	ReasonLinkLocal     = "Requests to the link local network are not allowed"
	ReasonSharedAddress = "Requests to the shared address space are not allowed"
	ReasonBroadcast     = "Requests to the limited broadcast address are not allowed"
	ReasonMulticast     = "Requests to multicast addresses are not allowed"
	ReasonUnresolved    = "Host cannot be resolved or invalid"
)

// ErrBlocked marks a request refused by the outbound network policy.
var ErrBlocked = errors.New("blocked by the outbound network policy")

// BlockedError says which address a webhook may not reach and which setting
// would allow it. It matches both ErrBlocked and ErrInvalid (a hook URL that
// is blocked fails validation).
type BlockedError struct {
	Host    string     // the host as written in the URL
	Addr    netip.Addr // the address it resolved to (zero if it did not)
	Port    int
	Reason  string // GitLab's sentence, e.g. ReasonLocalNetwork
	Setting string // the setting that allows it
}

func (e *BlockedError) Error() string {
	target := e.Host
	if e.Addr.IsValid() {
		addr := e.Addr.String()
		if target == "" || strings.EqualFold(strings.Trim(target, "[]"), addr) {
			target = addr
		} else {
			target = fmt.Sprintf("%s (%s)", target, addr)
		}
	}
	return fmt.Sprintf("%s: %s — allow it with %s or %s", e.Reason, target, e.Setting, SettingOutboundAllowlist)
}

func (e *BlockedError) Unwrap() []error { return []error{ErrBlocked, ErrInvalid} }

var (
	v4ThisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	v4Loopback    = netip.MustParsePrefix("127.0.0.0/8")
	v4Private     = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
	}
	v4LinkLocal = netip.MustParsePrefix("169.254.0.0/16")
	v4Shared    = netip.MustParsePrefix("100.64.0.0/10")
	v4Multicast = netip.MustParsePrefix("224.0.0.0/4")
	v4Broadcast = netip.MustParseAddr("255.255.255.255")

	v6UniqueLocal = netip.MustParsePrefix("fc00::/7")
	v6SiteLocal   = netip.MustParsePrefix("fec0::/10") // deprecated, still routed locally
	v6LinkLocal   = netip.MustParsePrefix("fe80::/10")
	v6Multicast   = netip.MustParsePrefix("ff00::/8")
	v6Compatible  = netip.MustParsePrefix("::/96")           // IPv4-compatible ::a.b.c.d
	v6Translated  = netip.MustParsePrefix("::ffff:0:0:0/96") // SIIT IPv4-translated ::ffff:0:a.b.c.d (RFC 2765)
	v6NAT64       = netip.MustParsePrefix("64:ff9b::/96")    // RFC 6052 well-known prefix
	v6NAT64Local  = netip.MustParsePrefix("64:ff9b:1::/48")  // RFC 8215 local-use prefix
	v66to4        = netip.MustParsePrefix("2002::/16")
	v6Teredo      = netip.MustParsePrefix("2001::/32")
)

// LocalAddressReason returns why ip is a local address that webhooks may
// not reach by default, or "" for a public address: unspecified ("this
// host", 0.0.0.0/8 and ::), loopback, private (RFC 1918, RFC 4193 and
// site-local), link-local (incl. 169.254.169.254), shared CGNAT space
// 100.64.0.0/10, the limited broadcast address, and multicast. An IPv6
// address that carries an IPv4 address — IPv4-mapped, IPv4-compatible,
// SIIT IPv4-translated (::ffff:0:0:0/96), NAT64 (64:ff9b::/96), 6to4
// (2002::/16) or Teredo — is judged by the IPv4
// address it carries, so ::ffff:127.0.0.1 is loopback.
func LocalAddressReason(ip netip.Addr) string {
	ip = ip.WithZone("")
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if ip.Is4() {
		return v4Reason(ip)
	}
	if !ip.Is6() {
		return ReasonUnresolved
	}
	switch {
	case ip.IsUnspecified():
		return ReasonLocalhost
	case ip.IsLoopback():
		return ReasonLoopback
	case v6UniqueLocal.Contains(ip), v6SiteLocal.Contains(ip), v6NAT64Local.Contains(ip):
		return ReasonLocalNetwork
	case v6LinkLocal.Contains(ip):
		return ReasonLinkLocal
	case v6Multicast.Contains(ip):
		return ReasonMulticast
	}
	b := ip.As16()
	switch {
	case v6Compatible.Contains(ip), v6Translated.Contains(ip), v6NAT64.Contains(ip):
		return v4Reason(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	case v66to4.Contains(ip):
		return v4Reason(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	case v6Teredo.Contains(ip):
		// Teredo carries the server's address and the client's, obfuscated.
		if r := v4Reason(netip.AddrFrom4([4]byte{b[4], b[5], b[6], b[7]})); r != "" {
			return r
		}
		return v4Reason(netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}))
	}
	return ""
}

func v4Reason(ip netip.Addr) string {
	switch {
	case v4ThisNetwork.Contains(ip):
		return ReasonLocalhost
	case v4Loopback.Contains(ip):
		return ReasonLoopback
	case v4Private[0].Contains(ip), v4Private[1].Contains(ip), v4Private[2].Contains(ip):
		return ReasonLocalNetwork
	case v4LinkLocal.Contains(ip):
		return ReasonLinkLocal
	case v4Shared.Contains(ip):
		return ReasonSharedAddress
	case ip == v4Broadcast:
		return ReasonBroadcast
	case v4Multicast.Contains(ip):
		return ReasonMulticast
	}
	return ""
}

// OutboundPolicy decides whether a webhook may connect to an address.
// Callers resolve DNS and call Check for the address they are
// about to dial, so a rebinding answer cannot slip past.
type OutboundPolicy struct {
	// AllowLocal is allow_local_requests_from_web_hooks_and_services (or,
	// for system hooks, allow_local_requests_from_system_hooks).
	AllowLocal bool
	// Setting names the setting that allows local requests, for messages.
	// Empty means SettingAllowLocalWebHooks.
	Setting string
	// Allowlist is the parsed outbound_local_requests_allowlist.
	Allowlist Allowlist
	// LocalAddrs are this machine's own addresses; like GitLab, requests
	// to them count as requests to localhost.
	LocalAddrs []netip.Addr
}

// Check returns nil when a request to host, resolved to ip, on port may be
// made, and a *BlockedError otherwise. As in GitLab, an allowlisted host
// name wins over everything, then an allowlisted address, then the allow
// local setting; only then is the address judged.
func (p OutboundPolicy) Check(host string, ip netip.Addr, port int) error {
	setting := p.Setting
	if setting == "" {
		setting = SettingAllowLocalWebHooks
	}
	if p.Allowlist.AllowsHost(host, port) {
		return nil
	}
	if !ip.IsValid() {
		return &BlockedError{Host: host, Port: port, Reason: ReasonUnresolved, Setting: setting}
	}
	if p.Allowlist.AllowsIP(ip, port) || p.AllowLocal {
		return nil
	}
	reason := LocalAddressReason(ip)
	if reason == "" {
		plain := ip.WithZone("").Unmap()
		for _, a := range p.LocalAddrs {
			if a.WithZone("").Unmap() == plain {
				reason = ReasonLocalhost
				break
			}
		}
	}
	if reason == "" {
		return nil
	}
	return &BlockedError{Host: host, Addr: ip, Port: port, Reason: reason, Setting: setting}
}

// HookOutboundPolicy is the policy for hooks of kind k under the settings:
// system hooks follow allow_local_requests_from_system_hooks, project and
// group hooks allow_local_requests_from_web_hooks_and_services; both use
// the allowlist. The caller adds LocalAddrs (they need I/O).
func (s Settings) HookOutboundPolicy(k HookKind) OutboundPolicy {
	p := OutboundPolicy{
		AllowLocal: s.AllowLocalRequestsFromWebHooksAndServices,
		Setting:    SettingAllowLocalWebHooks,
		Allowlist:  ParseAllowlist(s.OutboundLocalRequestsAllowlist),
	}
	if k == SystemHookKind {
		p.AllowLocal, p.Setting = s.AllowLocalRequestsFromSystemHooks, SettingAllowLocalSystemHooks
	}
	return p
}

// CheckOutbound is OutboundPolicy.Check for a project or group hook.
func CheckOutbound(host string, ip netip.Addr, port int, allowLocal bool, allowlist Allowlist) error {
	return OutboundPolicy{AllowLocal: allowLocal, Allowlist: allowlist}.Check(host, ip, port)
}

// HostAddr returns the address a URL host names literally, or false for a
// name that needs DNS. Besides plain and bracketed IPv6 literals it accepts
// the numeric forms the C library's resolver accepts (inet_aton: 1 to 4
// parts, each decimal, 0-octal or 0x-hex — "2130706433", "0x7f.1",
// "0177.0.0.1"), so a hook URL cannot hide 127.0.0.1 from the save-time
// check behind a resolver that would decode it.
func HostAddr(host string) (netip.Addr, bool) {
	h := host
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip, true
	}
	return parseInetAton(h)
}

func parseInetAton(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, part := range parts {
		var (
			n   uint64
			err error
		)
		switch {
		case part == "":
			return netip.Addr{}, false
		case strings.HasPrefix(part, "0x") || strings.HasPrefix(part, "0X"):
			if len(part) == 2 {
				n = 0 // glibc accepts a bare "0x" as zero
			} else {
				n, err = strconv.ParseUint(part[2:], 16, 32)
			}
		case len(part) > 1 && part[0] == '0':
			n, err = strconv.ParseUint(part[1:], 8, 32)
		default:
			n, err = strconv.ParseUint(part, 10, 32)
		}
		if err != nil {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	// The last part fills the remaining bytes: a, a.b (8+24), a.b.c (8+8+16).
	var v uint64
	last := len(nums) - 1
	for i := 0; i < last; i++ {
		if nums[i] > 0xff {
			return netip.Addr{}, false
		}
		v |= nums[i] << (24 - 8*i)
	}
	if nums[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	v |= nums[last]
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// AllowlistEntry is one entry of outbound_local_requests_allowlist: an IP
// address or CIDR range, or else a host name, each with an optional port.
type AllowlistEntry struct {
	Raw    string
	Prefix netip.Prefix // valid for an address or range
	Domain string       // set when the entry is not an address
	Port   int          // 0 = any port; -1 = a port that can never match
}

// Allowlist is the parsed outbound_local_requests_allowlist.
type Allowlist []AllowlistEntry

var (
	bracketedWithPort = regexp.MustCompile(`\A\[(.*)\]:(\d+)\z`)
	hostWithPort      = regexp.MustCompile(`\A([^:]+):(\d+)\z`)
)

// ParseAllowlistEntry parses an entry the way GitLab's
// ApplicationSetting#parse_addr_and_port does: "[::1]:80" and
// "127.0.0.1:80" carry a port; anything else is all address. The address
// is an IP range if Ruby's IPAddr would parse it (an address, a CIDR, an
// address/netmask, IPv6 with or without brackets), else a host name.
func ParseAllowlistEntry(s string) AllowlistEntry {
	e := AllowlistEntry{Raw: s}
	addr := s
	if m := bracketedWithPort.FindStringSubmatch(s); m != nil {
		addr, e.Port = m[1], parseAllowlistPort(m[2])
	} else if m := hostWithPort.FindStringSubmatch(s); m != nil {
		addr, e.Port = m[1], parseAllowlistPort(m[2])
	}
	if p, ok := parseIPRange(addr); ok {
		e.Prefix = p
	} else {
		e.Domain = addr
	}
	return e
}

func parseAllowlistPort(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return -1
	}
	return n
}

// parseIPRange parses an address or range as Ruby's IPAddr.new does, into
// a masked prefix; an IPv4-mapped range becomes the IPv4 range.
func parseIPRange(s string) (netip.Prefix, bool) {
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	addrPart, maskPart, hasMask := strings.Cut(s, "/")
	ip, err := netip.ParseAddr(addrPart)
	if err != nil {
		return netip.Prefix{}, false
	}
	ip = ip.WithZone("")
	bits := ip.BitLen()
	if hasMask {
		if n, err := strconv.Atoi(maskPart); err == nil && maskPart != "" && maskPart[0] != '+' {
			bits = n
		} else if m, err := netip.ParseAddr(maskPart); err == nil && m.Is4() && ip.Is4() {
			n, contiguous := netmaskBits(m)
			if !contiguous {
				return netip.Prefix{}, false
			}
			bits = n
		} else {
			return netip.Prefix{}, false
		}
	}
	if ip.Is4In6() && bits >= 96 {
		ip, bits = ip.Unmap(), bits-96
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return netip.Prefix{}, false
	}
	return p, true
}

// netmaskBits turns a netmask like 255.255.255.0 into a prefix length.
func netmaskBits(m netip.Addr) (int, bool) {
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	return n, v == 0
}

// ParseAllowlist parses every entry. Like GitLab it never fails: what is
// not an address is a host name. Use ValidateAllowlist on save.
func ParseAllowlist(entries []string) Allowlist {
	a := make(Allowlist, 0, len(entries))
	for _, s := range entries {
		a = append(a, ParseAllowlistEntry(s))
	}
	return a
}

// AllowsHost reports whether a host name entry matches host (compared
// case-insensitively, trailing dot ignored) and port.
func (a Allowlist) AllowsHost(host string, port int) bool {
	host = strings.TrimSuffix(host, ".")
	if host == "" {
		return false
	}
	for _, e := range a {
		if e.Domain != "" && strings.EqualFold(strings.TrimSuffix(e.Domain, "."), host) && e.portMatches(port) {
			return true
		}
	}
	return false
}

// AllowsIP reports whether an address entry contains ip and matches port.
// IPv4-mapped IPv6 addresses match IPv4 entries.
func (a Allowlist) AllowsIP(ip netip.Addr, port int) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.WithZone("").Unmap()
	for _, e := range a {
		if e.Prefix.IsValid() && e.Prefix.Contains(ip) && e.portMatches(port) {
			return true
		}
	}
	return false
}

func (e AllowlistEntry) portMatches(port int) bool {
	return e.Port == 0 || e.Port == port
}

// SplitAllowlist splits the text form of the allowlist (the admin form's
// textarea) the way GitLab's strings_to_array does: on commas, semicolons
// and whitespace, dropping empty entries and duplicates.
func SplitAllowlist(raw string) []string {
	fields := strings.FieldsFunc(raw, func(r rune) bool {
		switch r {
		case ',', ';', ' ', '\t', '\n', '\r', '\f', '\v':
			return true
		}
		return false
	})
	seen := make(map[string]bool, len(fields))
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// Allowlist limits (GitLab's ApplicationSetting validations).
const (
	MaxAllowlistEntries     = 1000
	MaxAllowlistEntryLength = 255
)

// ValidateAllowlist checks outbound_local_requests_allowlist entries with
// GitLab's rules and messages (QualifiedDomainArrayValidator and the
// 1000-entry limit); each failed rule is reported once. Hooklab also
// rejects a port outside 1–65535, which GitLab stores but never matches.
func ValidateAllowlist(entries []string) error {
	v := &ValidationError{}
	const field = SettingOutboundAllowlist
	if len(entries) > MaxAllowlistEntries {
		v.Add(field, "is too long (maximum is 1000 entries)")
	}
	var tooLong, unicode, html, badPort bool
	for _, s := range entries {
		tooLong = tooLong || len(s) > MaxAllowlistEntryLength
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				unicode = true
			}
		}
		// Rails' FullSanitizer strips tags and escapes & < > " ', so any of
		// them changes the entry.
		html = html || strings.ContainsAny(s, `<>&"'`)
		badPort = badPort || ParseAllowlistEntry(s).Port < 0
	}
	if tooLong {
		v.Add(field, "entries cannot be larger than 255 characters")
	}
	if unicode {
		v.Add(field, "unicode domains should use IDNA encoding")
	}
	if html {
		v.Add(field, "entries cannot contain HTML tags")
	}
	if badPort {
		v.Add(field, "entries cannot have a port outside 1-65535")
	}
	return v.Err()
}
