package web

import (
	"net"

	"github.com/labstack/echo/v4"
)

// ipExtractor decides what c.RealIP() — the address the sign-in throttle
// counts and the request log records — is. Without trusted proxies it is
// the connection's peer, whatever X-Forwarded-For says: a client could
// otherwise claim a new address with every request. With them, the
// header is read from the right, skipping only the trusted proxies' own
// addresses, so the first untrusted hop is the client. Unlike echo's
// defaults, loopback and private networks are not trusted unless listed.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
