package model

import (
	"regexp"
	"strings"
)

// hostNameRE is a DNS host name: dot-separated labels of letters, digits,
// hyphens and underscores (not starting or ending with a hyphen), with an
// optional trailing dot. GitLab's allowlist has no wildcards.
var hostNameRE = regexp.MustCompile(`\A([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?\z`)

// numericHostRE catches an address or range that did not parse (e.g.
// 10.0.0.0/33, 300.1.1.1): such an entry is a mistake, not a host name.
var numericHostRE = regexp.MustCompile(`\A[0-9.:/\[\]]+\z`)

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// MalformedAllowlistEntries returns the entries that are neither an IP
// address or CIDR range nor a host name, each with an optional port. The
// admin form refuses them by name; the API, like GitLab, stores any entry
// that passes ValidateAllowlist and treats it as a host name.
func MalformedAllowlistEntries(entries []string) []string {
	var bad []string
	for _, s := range entries {
		e := ParseAllowlistEntry(s)
		switch {
		case e.Port < 0, !isASCII(s), strings.ContainsAny(s, `<>&"'`):
			// ValidateAllowlist reports these with GitLab's messages.
		case e.Prefix.IsValid():
		case numericHostRE.MatchString(e.Domain), !hostNameRE.MatchString(e.Domain):
			bad = append(bad, s)
		}
	}
	return bad
}
