package model

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidCustomHeader reports whether one custom header obeys the rules, for
// the API's PUT .../custom_headers/:key ("Illegal key or value" when not).
func ValidCustomHeader(key, value string) bool {
	return ValidHookEntryName(key) && !ConnectionHeader(key) && valueLengthProblem(key, value) == "" && headerValueProblem(key, value) == ""
}

// CustomHeadersProblems explains, one sentence per problem, why headers
// breaks the rules. The model error says only GitLab's "must be a valid
// json schema"; forms can show these instead. Nil means headers is valid.
func CustomHeadersProblems(headers map[string]string) []string {
	var out []string
	if len(headers) > MaxHookEntries {
		out = append(out, fmt.Sprintf("There are %d custom headers; the maximum is %d.", len(headers), MaxHookEntries))
	}
	for _, k := range sortedHookKeys(headers) {
		if !ValidHookEntryName(k) {
			out = append(out, invalidNameSentence(k))
		} else if ConnectionHeader(k) {
			out = append(out, fmt.Sprintf("%q cannot be a custom header: Host, Content-Length and the headers that steer the connection (Connection, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade) are set by the connection.", k))
		}
		if p := valueLengthProblem(k, headers[k]); p != "" {
			out = append(out, p)
		} else if p := headerValueProblem(k, headers[k]); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// headerValueProblem guards against header injection. GitLab's current
// specs refuse values with surrounding whitespace, line breaks, and the
// escaped forms `\r`, `\n`, %0A and %0D that a receiver might decode into
// one. Other control characters are refused too, because Go would refuse to
// send them and every delivery would fail.
func headerValueProblem(key, value string) string {
	r, _ := utf8.DecodeRuneInString(value)
	last, _ := utf8.DecodeLastRuneInString(value)
	if unicode.IsSpace(r) || unicode.IsSpace(last) {
		return fmt.Sprintf("The value of %q must not start or end with whitespace.", key)
	}
	upper := strings.ToUpper(value)
	if strings.Contains(value, `\r`) || strings.Contains(value, `\n`) ||
		strings.Contains(upper, "%0A") || strings.Contains(upper, "%0D") {
		return fmt.Sprintf("The value of %q must not contain line breaks or encoded line breaks.", key)
	}
	for _, c := range value {
		if c == '\r' || c == '\n' {
			return fmt.Sprintf("The value of %q must not contain line breaks or encoded line breaks.", key)
		}
		if c != '\t' && (c < 0x20 || c == 0x7f) {
			return fmt.Sprintf("The value of %q must not contain control characters.", key)
		}
	}
	return ""
}

// connectionHeaders are the headers that belong to the connection rather
// than the request: Host picks the virtual host (a custom one would send
// the token and secret headers to another site on the same address),
// Content-Length and Transfer-Encoding frame the body, and the hop-by-hop
// headers (RFC 9110 section 7.6.1) steer the connection or a proxy.
// Content-Type is not among them: the delivery's own replaces a custom one.
var connectionHeaders = []string{"Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive",
	"Proxy-Connection", "TE", "Trailer", "Upgrade"}

// ConnectionHeader reports whether name (any case) is a header a custom
// header may not set: Host, Content-Length, a hop-by-hop header or any
// Proxy-* header.
func ConnectionHeader(name string) bool {
	if len(name) >= len("Proxy-") && strings.EqualFold(name[:len("Proxy-")], "Proxy-") {
		return true
	}
	for _, h := range connectionHeaders {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

func sortedHookKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
