package model

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// maxWildcardFilterLength is GitLab's cap on a wildcard branch filter, in
// characters.
const maxWildcardFilterLength = 4000

// MaxRegexFilterLength caps a regex branch filter, in characters. GitLab has
// no cap; Hooklab has one because every push is matched against the
// filters of the project's, its groups' and the system hooks, and a
// pattern's size is what compiling and matching cost.
const MaxRegexFilterLength = 4096

// regexFilterTooLong is the form's message for a longer regex filter.
const regexFilterTooLong = "The regular expression is longer than the allowed 4096 characters."

// maxRegexFilterProgram caps the size of a regex filter's compiled program
// (about its instructions): within 4096 characters, counted repetitions
// like ".{1,999}" repeated compile to over a million instructions (40 MB
// in Go). RE2, which GitLab uses, refuses programs over its memory budget
// with "pattern too large - compile failed"; Hooklab's budget is smaller,
// because every compiled filter is kept (see branchRegex). A real branch
// filter needs a few hundred.
const maxRegexFilterProgram = 10_000

// regexFilterTooLarge is RE2's message for a pattern over its budget.
const regexFilterTooLarge = "not valid RE2 syntax: pattern too large - compile failed"

// branchFilterProblems returns GitLab's messages for a filter under a
// strategy; all_branches never fails (its filter is dropped).
func branchFilterProblems(s BranchFilterStrategy, filter *string) []string {
	if filter == nil {
		return nil
	}
	switch s {
	case BranchFilterRegex:
		if utf8.RuneCountInString(*filter) > MaxRegexFilterLength {
			return []string{regexFilterTooLong} // not compiled: its size is the cost
		}
		re, err := syntax.Parse(*filter, syntax.Perl)
		if err != nil {
			return []string{"not valid RE2 syntax: " + re2ErrorText(err)}
		}
		if programSize(re, maxRegexFilterProgram) > maxRegexFilterProgram {
			return []string{regexFilterTooLarge}
		}
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
// branch through. A blank filter and all_branches let every
// branch through; wildcard is an exact match or, when the filter has a *,
// an anchored match where * is any run of characters, "/" included; regex
// is an unanchored RE2 match, and a filter that does not compile — or is
// longer than MaxRegexFilterLength, as one saved before the cap may be —
// matches nothing. Regex filters are compiled once per pattern (see
// branchRegex).
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
		re := branchRegex(*f)
		return re != nil && re.MatchString(branch)
	}
	return false
}

// branchRegexCacheBudget bounds the compiled filters kept, in program
// size (programSize; about 40 bytes an instruction once compiled): a few
// hundred typical filters, or a hundred of the largest allowed.
const branchRegexCacheBudget = 100 * maxRegexFilterProgram

type cachedRegex struct {
	re   *regexp.Regexp // nil: the pattern does not compile or is too large
	size int
}

var branchRegexes = struct {
	sync.Mutex
	compiled map[string]cachedRegex
	size     int
	compiles atomic.Int64
}{compiled: map[string]cachedRegex{}}

// branchRegex returns a regex filter compiled, from a cache keyed by the
// pattern, so a hook's filter is compiled once, not on every push. A
// pattern that is invalid, or over MaxRegexFilterLength or the program
// budget (one saved before those caps), gives nil and is never compiled.
// When the cache is over its budget arbitrary entries make room.
func branchRegex(pattern string) *regexp.Regexp {
	if len(pattern) > MaxRegexFilterLength*utf8.UTFMax || utf8.RuneCountInString(pattern) > MaxRegexFilterLength {
		return nil
	}
	c := &branchRegexes
	c.Lock()
	e, ok := c.compiled[pattern]
	c.Unlock()
	if ok {
		return e.re
	}
	// Outside the lock: others keep matching.
	e = cachedRegex{size: 1}
	if parsed, err := syntax.Parse(pattern, syntax.Perl); err == nil {
		if n := programSize(parsed, maxRegexFilterProgram); n <= maxRegexFilterProgram {
			c.compiles.Add(1)
			if re, err := regexp.Compile(pattern); err == nil {
				e.re, e.size = re, n+1
			}
		}
	}
	c.Lock()
	defer c.Unlock()
	for k, old := range c.compiled {
		if c.size+e.size <= branchRegexCacheBudget {
			break
		}
		delete(c.compiled, k)
		c.size -= old.size
	}
	if old, ok := c.compiled[pattern]; ok {
		c.size -= old.size
	}
	c.compiled[pattern] = e
	c.size += e.size
	return e.re
}

// programSize estimates the instructions a parsed pattern compiles to —
// counted repetitions multiply their operand, as Simplify expands them —
// without compiling it; past limit it stops counting and returns more.
func programSize(re *syntax.Regexp, limit int) int {
	sum := func(subs []*syntax.Regexp, n int) int {
		for _, s := range subs {
			if n > limit {
				break
			}
			n += programSize(s, limit)
		}
		return n
	}
	switch re.Op {
	case syntax.OpLiteral:
		return max(len(re.Rune), 1)
	case syntax.OpCapture, syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		return sum(re.Sub, 2)
	case syntax.OpConcat:
		return sum(re.Sub, 0)
	case syntax.OpAlternate:
		return sum(re.Sub, len(re.Sub))
	case syntax.OpRepeat:
		n := re.Max
		if n < 0 {
			n = re.Min + 1
		}
		sub := programSize(re.Sub[0], limit) + 1
		if n > 0 && sub > (limit+1)/n {
			return limit + 1
		}
		return max(n*sub, 1)
	}
	return 1
}

// BranchRegexCompiles counts the regex filters compiled since start: tests
// use it to show a filter is compiled once, or never when it is too long.
func BranchRegexCompiles() int64 {
	return branchRegexes.compiles.Load()
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
