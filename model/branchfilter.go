package model

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxWildcardFilterLength is GitLab's cap on a wildcard branch filter, in
// characters. Regex filters have none.
const maxWildcardFilterLength = 4000

// branchFilterProblems returns GitLab's messages for a filter under a
// strategy; all_branches never fails (its filter is dropped).
func branchFilterProblems(s BranchFilterStrategy, filter *string) []string {
	if filter == nil {
		return nil
	}
	switch s {
	case BranchFilterRegex:
		if _, err := regexp.Compile(*filter); err != nil {
			return []string{"not valid RE2 syntax: " + re2ErrorText(err)}
		}
	case BranchFilterWildcard:
		f := railsSquish(*filter)
		if f == "" {
			return nil
		}
		var out []string
		// GitLab checks the filter as a branch name with each * read as x,
		// so "feature/*" passes and "*" alone is the branch "x".
		if !ValidBranchName(strings.ReplaceAll(f, "*", "x")) {
			out = append(out, "is not a valid branch name")
		}
		if utf8.RuneCountInString(f) > maxWildcardFilterLength {
			out = append(out, "is longer than the allowed length of 4000 characters.")
		}
		return out
	}
	return nil
}

// re2CodeText maps Go's regexp/syntax error codes to the texts RE2 uses,
// because GitLab's message quotes RE2: "not valid RE2 syntax: missing ):
// bad_branch_name(". Go's parser is a port of RE2's, so the codes and the
// quoted fragment correspond one to one.
var re2CodeText = map[syntax.ErrorCode]string{
	syntax.ErrInternalError:         "unexpected error",
	syntax.ErrInvalidCharClass:      "invalid character class",
	syntax.ErrInvalidCharRange:      "invalid character class range",
	syntax.ErrInvalidEscape:         "invalid escape sequence",
	syntax.ErrInvalidNamedCapture:   "invalid named capture group",
	syntax.ErrInvalidPerlOp:         "invalid perl operator",
	syntax.ErrInvalidRepeatOp:       "bad repetition operator",
	syntax.ErrInvalidRepeatSize:     "invalid repetition size",
	syntax.ErrInvalidUTF8:           "invalid UTF-8",
	syntax.ErrMissingBracket:        "missing ]",
	syntax.ErrMissingParen:          "missing )",
	syntax.ErrMissingRepeatArgument: "no argument for repetition operator",
	syntax.ErrTrailingBackslash:     `trailing \`,
	syntax.ErrUnexpectedParen:       "unexpected )",
	syntax.ErrNestingDepth:          "pattern too large - compile failed",
	syntax.ErrLarge:                 "pattern too large - compile failed",
}

func re2ErrorText(err error) string {
	var se *syntax.Error
	if !errors.As(err, &se) {
		return err.Error()
	}
	text, ok := re2CodeText[se.Code]
	if !ok {
		text = string(se.Code)
	}
	if se.Expr == "" {
		return text
	}
	return text + ": " + se.Expr
}

// ValidBranchName reports whether name is a valid git branch name by
// GitLab's rules (Gitlab::GitRefValidator over libgit2): not empty, not
// "HEAD", not starting with "-", "refs/heads/" or "refs/remotes/"; no
// space, control character, ~ ^ : ? * [ \, "..", or "@{"; no component
// that is empty, starts with "." or ends with ".lock"; not ending with "."
// or "/".
func ValidBranchName(name string) bool {
	if name == "" || name == "HEAD" || !utf8.ValidString(name) {
		return false
	}
	for _, p := range []string{"-", "refs/heads/", "refs/remotes/"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	if strings.HasSuffix(name, ".") || strings.Contains(name, "..") || strings.Contains(name, "@{") {
		return false
	}
	for _, c := range name {
		// libgit2 lets DEL through; git itself does not, and neither do we.
		if c <= ' ' || c == 0x7f || strings.ContainsRune(`~^:?*[\`, c) {
			return false
		}
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return false
		}
	}
	return true
}

// railsSquish is Rails' String#squish, which GitLab applies to a wildcard filter
// before checking and storing it: runs of whitespace become one space, and
// the ends are trimmed.
func railsSquish(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// BranchFromRef returns the branch a push's ref names ("refs/heads/main"
// → "main"), or false when the ref is not a branch (a tag, say).
func BranchFromRef(ref string) (string, bool) {
	return strings.CutPrefix(ref, "refs/heads/")
}

// PushAllowed reports whether the hook's branch filter lets a push to
// branch through (SPEC §2.4). A blank filter and all_branches let every
// branch through; wildcard is an exact match or, when the filter has a *,
// an anchored match where * is any run of characters, "/" included; regex
// is an unanchored RE2 match, and a filter that does not compile matches
// nothing. The filter is compiled on every call: RE2 compiles in
// microseconds and a hook holds no cache.
func (h Hook) PushAllowed(branch string) bool {
	f := h.PushEventsBranchFilter
	if f == nil || railsBlank(*f) {
		return true
	}
	switch h.BranchFilterStrategy {
	case BranchFilterAllBranches:
		return true
	case BranchFilterWildcard, "":
		return wildcardMatch(*f, branch)
	case BranchFilterRegex:
		re, err := regexp.Compile(*f)
		return err == nil && re.MatchString(branch)
	}
	return false
}

// AllowsEvent reports whether the branch filter lets an event through. Only
// push events (scope "push_hooks") are filtered; their ref must name a
// branch, else only a blank or all_branches filter lets them through, as in
// GitLab.
func (h Hook) AllowsEvent(scope, ref string) bool {
	if scope != "push_hooks" {
		return true
	}
	branch, ok := BranchFromRef(ref)
	if !ok {
		f := h.PushEventsBranchFilter
		return f == nil || railsBlank(*f) || h.BranchFilterStrategy == BranchFilterAllBranches
	}
	return h.PushAllowed(branch)
}

// wildcardMatch is GitLab's RefMatcher: pattern == name, or, when pattern
// has a *, name matches pattern anchored at both ends with each * standing
// for any run of characters.
func wildcardMatch(pattern, name string) bool {
	if pattern == name {
		return true
	}
	if !strings.Contains(pattern, "*") {
		return false
	}
	parts := strings.Split(pattern, "*")
	first, last := parts[0], parts[len(parts)-1]
	rest, ok := strings.CutPrefix(name, first)
	if !ok {
		return false
	}
	// Taking each middle part at its leftmost place leaves the most room
	// for the rest, so this never misses a match.
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return strings.HasSuffix(rest, last)
}
