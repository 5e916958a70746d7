package model

import (
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// urlBlockedReason gives the reason GitLab's URL blocker states for a URL it
// refuses on sight, without resolving anything, or "" when the URL passes
// this far. The messages are GitLab's (Gitlab::HTTP_V2::UrlBlocker); the
// validation message is "is blocked: " + reason.
//
// Parsing is Go's: a URL that Go cannot parse cannot be delivered, so it is
// "URI is invalid" even where Ruby's lenient Addressable would accept it.
// The scheme is compared without case (GitLab compares it as typed).
func urlBlockedReason(raw string) string {
	if strings.ContainsAny(raw, "\r\n") {
		return "URI is invalid"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "URI is invalid"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "Only allowed schemes are http, https"
	}
	host := u.Hostname()
	if host == "" {
		// GitLab lets this through at save time and fails at delivery with
		// the same words; refusing early is kinder.
		return "Host cannot be resolved or invalid"
	}
	if _, err := netip.ParseAddr(host); err != nil {
		r, _ := utf8.DecodeRuneInString(host)
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return "Hostname or IP address invalid"
		}
	}
	return ""
}

// HookTarget is where one delivery goes: the interpolated URL without its
// userinfo, and the userinfo as HTTP basic auth credentials.
type HookTarget struct {
	URL       string
	BasicAuth bool
	Username  string
	Password  string
}

// SplitBasicAuth splits the userinfo off an interpolated URL the way
// GitLab's WebHookService does: "user:pass@" is cut from the URL and both
// parts are unescaped like Ruby's CGI.unescape (so "+" becomes a space). An
// empty userinfo ("https://@host") means no basic auth. Parse errors do not
// quote the URL, which holds secrets.
func SplitBasicAuth(interpolated string) (HookTarget, error) {
	u, err := url.Parse(interpolated)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return HookTarget{}, Unprocessable("URI is invalid")
	}
	start, end, ok := userinfoSpan(interpolated)
	if !ok || start == end {
		return HookTarget{URL: interpolated}, nil
	}
	userinfo := interpolated[start:end]
	user, pass, _ := strings.Cut(userinfo, ":")
	return HookTarget{
		URL:       interpolated[:start] + interpolated[end+1:],
		BasicAuth: true,
		Username:  cgiUnescape(user),
		Password:  cgiUnescape(pass),
	}, nil
}

// Target is the hook's delivery target: InterpolatedURL split by
// SplitBasicAuth.
func (h Hook) Target() (HookTarget, error) {
	u, err := h.InterpolatedURL()
	if err != nil {
		return HookTarget{}, err
	}
	return SplitBasicAuth(u)
}

// MaskURLCredentials hides the userinfo of a URL for logs and recent events:
// user and password each become "*****", as GitLab's SafeUrl does. It works
// on the text, so placeholders elsewhere in a stored URL survive.
func MaskURLCredentials(raw string) string {
	start, end, ok := userinfoSpan(raw)
	if !ok {
		return raw
	}
	masked := "*****"
	if strings.Contains(raw[start:end], ":") {
		masked += ":*****"
	}
	return raw[:start] + masked + raw[end:]
}

// URLPasswordMask stands for a userinfo password where a hook's URL is
// shown for editing (the form, the API): "https://user:*****@host/".
const URLPasswordMask = "*****"

// MaskURLPassword shows the userinfo password of a URL as URLPasswordMask
// and keeps the rest, the user included. A password that is a URL
// variable's {placeholder} is no secret (its value is stored apart) and
// stays.
func MaskURLPassword(raw string) string {
	start, end, ok := userinfoSpan(raw)
	if !ok {
		return raw
	}
	user, pass, found := strings.Cut(raw[start:end], ":")
	if !found || pass == "" || isPlaceholder(pass) {
		return raw
	}
	return raw[:start] + user + ":" + URLPasswordMask + raw[end:]
}

// URLPasswordMasked reports whether a URL's userinfo password is
// URLPasswordMask: the URL was posted as shown.
func URLPasswordMasked(raw string) bool {
	start, end, ok := userinfoSpan(raw)
	if !ok {
		return false
	}
	_, pass, _ := strings.Cut(raw[start:end], ":")
	return pass == URLPasswordMask
}

// KeepURLPassword returns the stored URL when posted is the stored URL as
// MaskURLPassword shows it (saved unchanged, password masked), so that
// saving a form or an API read back as shown keeps the password.
func KeepURLPassword(posted, stored string) string {
	if URLPasswordMasked(posted) && posted == MaskURLPassword(stored) {
		return stored
	}
	return posted
}

func isPlaceholder(s string) bool {
	return len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' && !strings.ContainsAny(s[1:len(s)-1], "{}")
}

// userinfoSpan finds the userinfo of raw the way url.Parse does: after
// "scheme://", up to the last "@" of the authority, which ends at the first
// "/", "?" or "#". end is the index of that "@".
func userinfoSpan(raw string) (start, end int, ok bool) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return 0, 0, false
	}
	start = i + len("://")
	authority := raw[start:]
	if j := strings.IndexAny(authority, "/?#"); j >= 0 {
		authority = authority[:j]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return 0, 0, false
	}
	return start, start + at, true
}

// cgiUnescape is Ruby's CGI.unescape: "+" is a space and a malformed escape
// is kept as written.
func cgiUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}
