package handlers

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/hooklab/hooklab/model"
)

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// saveResolveTimeout bounds the DNS lookup of the save-time URL check.
const saveResolveTimeout = 5 * time.Second

// hookOutboundPolicy is the settings' policy for hooks of kind k, with this
// machine's own addresses, which count as localhost.
func hookOutboundPolicy(k model.HookKind, st model.Settings) model.OutboundPolicy {
	p := st.HookOutboundPolicy(k)
	p.LocalAddrs = localAddrs()
	return p
}

// localAddrs are this machine's own addresses, which count as localhost.
func localAddrs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out
}

// checkHookURL is the save-time public-URL check: the hook's
// destination — the interpolated URL when it has URL variables — must not
// be a blocked literal address, nor a name that resolves only to blocked
// addresses, unless the settings allow it. It returns a validation error on
// the field model.Hook.PublicURLField names with "is blocked: <reason>".
// When the URL has variables the message leaves the host out: it may be one
// of their secret values. Run it after model validation passed.
func checkHookURL(ctx context.Context, r Resolver, h model.Hook, policy model.OutboundPolicy) error {
	target, err := h.Target()
	if err != nil {
		return nil // model validation reports a URL that does not interpolate or parse
	}
	u, err := url.Parse(target.URL)
	if err != nil {
		return nil
	}
	host := u.Hostname()
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		port = 80
		if u.Scheme == "https" {
			port = 443
		}
	}
	var addrs []netip.Addr
	if ip, ok := model.HostAddr(host); ok {
		addrs = []netip.Addr{ip}
	} else if !policy.Allowlist.AllowsHost(host, port) {
		lctx, cancel := context.WithTimeout(ctx, saveResolveTimeout)
		addrs, _ = r.LookupNetIP(lctx, "ip", host)
		cancel()
	}
	if len(addrs) == 0 {
		return blockedHookURL(h, policy.Check(host, netip.Addr{}, port))
	}
	var first error
	for _, a := range addrs {
		err := policy.Check(host, a, port)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return blockedHookURL(h, first)
}

func blockedHookURL(h model.Hook, err error) error {
	if err == nil {
		return nil
	}
	var be *model.BlockedError
	if !errors.As(err, &be) {
		return err
	}
	msg := be.Error()
	if len(h.URLVariables) > 0 {
		msg = be.Reason + " — allow it with " + be.Setting + " or " + model.SettingOutboundAllowlist
	}
	v := &model.ValidationError{}
	v.Add(h.PublicURLField(), "is blocked: "+msg)
	return v
}
