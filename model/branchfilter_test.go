package model

import (
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

// seedExcludeMain is the regex branch filter the product documents (seeds)
// suggest for "every branch except main". It uses look-ahead, which RE2
// (GitLab's and Go's engine) does not have.
const seedExcludeMain = `\b(?:m(?!ain\b)|ma(?!in\b)|mai(?!n\b)|[a-l]|[n-z])\w*|\b\w{1,3}\b|\W+`

func TestBranchFilterValidation(t *testing.T) {
	// GitLab's web_hook_shared_examples, describe
	// 'push_events_branch_filter', plus the RE2 texts and the 4000 limit.
	const notBranch = "is not a valid branch name"
	lookahead := `\b(?:m(?!ain\b)|(?!m))\w+\b`
	tests := []struct {
		strategy BranchFilterStrategy
		filter   string
		want     []string
	}{
		{BranchFilterAllBranches, "good_branch_name", nil},
		{BranchFilterAllBranches, "good branch name", nil},
		{BranchFilterAllBranches, "good~branchname", nil},
		{BranchFilterAllBranches, "good_branchname(", nil},
		{BranchFilterAllBranches, "good_branchname[", nil},
		{BranchFilterAllBranches, "", nil},

		{BranchFilterWildcard, "good_branch_name", nil},
		{BranchFilterWildcard, "another/good-branch_name", nil},
		{BranchFilterWildcard, "good_branch_name(", nil},
		{BranchFilterWildcard, "", nil},
		{BranchFilterWildcard, "   ", nil},
		{BranchFilterWildcard, "production/*", nil},
		{BranchFilterWildcard, "*-stable", nil},
		{BranchFilterWildcard, "*", nil},
		{BranchFilterWildcard, "bad branch name", []string{notBranch}},
		{BranchFilterWildcard, "bad~branchname", []string{notBranch}},
		{BranchFilterWildcard, "bad_branch_name[", []string{notBranch}},
		{BranchFilterWildcard, strings.Repeat("a", 4000), nil},
		{BranchFilterWildcard, strings.Repeat("a", 4001), []string{"is longer than the allowed length of 4000 characters."}},
		{BranchFilterWildcard, strings.Repeat("~", 4001), []string{notBranch, "is longer than the allowed length of 4000 characters."}},

		{BranchFilterRegex, "good_branch_name", nil},
		{BranchFilterRegex, "another/good-branch_name", nil},
		{BranchFilterRegex, "good branch name", nil},
		{BranchFilterRegex, "good~branch~name", nil},
		{BranchFilterRegex, "", nil},
		{BranchFilterRegex, "^(feature|hotfix)/", nil},
		{BranchFilterRegex, "bad_branch_name(", []string{"not valid RE2 syntax: missing ): bad_branch_name("}},
		{BranchFilterRegex, "bad_branch_name[", []string{"not valid RE2 syntax: missing ]: ["}},
		{BranchFilterRegex, lookahead, []string{"not valid RE2 syntax: invalid perl operator: (?!"}},
		// The seed's "every branch but main" filter: fine in Ruby, not RE2.
		{BranchFilterRegex, seedExcludeMain, []string{"not valid RE2 syntax: invalid perl operator: (?!"}},
		{BranchFilterRegex, "a{1001}", []string{"not valid RE2 syntax: invalid repetition size: {1001}"}},
		{BranchFilterRegex, `a\`, []string{`not valid RE2 syntax: trailing \`}},
		{BranchFilterRegex, "*a", []string{"not valid RE2 syntax: no argument for repetition operator: *"}},
		// Hooklab caps regex filters (GitLab does not), counting characters.
		{BranchFilterRegex, strings.Repeat("é", 4096), nil},
		{BranchFilterRegex, strings.Repeat("a", 4097), []string{"The regular expression is longer than the allowed 4096 characters."}},
		{BranchFilterRegex, strings.Repeat("(", 4097), []string{"The regular expression is longer than the allowed 4096 characters."}},
	}
	for _, tt := range tests {
		t.Run(string(tt.strategy)+"/"+tt.filter, func(t *testing.T) {
			h := validProjectHook()
			h.BranchFilterStrategy = tt.strategy
			h.PushEventsBranchFilter = hookPtr(tt.filter)
			if got := fieldErrors(t, h.Validate(), "push_events_branch_filter"); !slices.Equal(got, tt.want) {
				t.Errorf("errors = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBranchFilterNormalize(t *testing.T) {
	tests := []struct {
		name     string
		strategy BranchFilterStrategy
		filter   *string
		want     *string
	}{
		{"wildcard gets rid of whitespace", BranchFilterWildcard, hookPtr(" branch "), hookPtr("branch")},
		{"wildcard stores whitespace only as empty", BranchFilterWildcard, hookPtr(" "), hookPtr("")},
		{"wildcard squishes inner runs", BranchFilterWildcard, hookPtr("a \t\n b"), hookPtr("a b")},
		{"wildcard keeps null", BranchFilterWildcard, nil, nil},
		{"regex is stored as given", BranchFilterRegex, hookPtr(" ^a  b "), hookPtr(" ^a  b ")},
		{"all branches stores null", BranchFilterAllBranches, hookPtr("main"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := validProjectHook()
			h.BranchFilterStrategy = tt.strategy
			h.PushEventsBranchFilter = tt.filter
			h.Normalize()
			got := h.PushEventsBranchFilter
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("filter = %v, want %v", showPtr(got), showPtr(tt.want))
			}
		})
	}
}

func showPtr(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return "\"" + *s + "\""
}

func TestValidBranchName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"main", true},
		{"feature/login", true},
		{"release-1.0", true},
		{"good_branch_name(", true},
		{"ünïcode", true},
		{"a.b/c.d", true},
		{"x./y", true},
		{"@", true},
		{"", false},
		{"HEAD", false},
		{"-leading-dash", false},
		{"refs/heads/main", false},
		{"refs/remotes/origin/main", false},
		{"has space", false},
		{"tilde~", false},
		{"caret^", false},
		{"colon:", false},
		{"question?", false},
		{"star*", false},
		{"bracket[", false},
		{`back\slash`, false},
		{"dot..dot", false},
		{"at@{brace", false},
		{"control\x01char", false},
		{"del\x7fchar", false},
		{"tab\tchar", false},
		{"trailing/", false},
		{"/leading", false},
		{"double//slash", false},
		{"trailing.", false},
		{".hidden", false},
		{"dir/.hidden", false},
		{"name.lock", false},
		{"dir.lock/name", false},
		{"invalid\xffutf8", false},
	}
	for _, tt := range tests {
		if got := ValidBranchName(tt.name); got != tt.want {
			t.Errorf("ValidBranchName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPushAllowed(t *testing.T) {
	tests := []struct {
		strategy BranchFilterStrategy
		filter   *string
		branch   string
		want     bool
	}{
		{BranchFilterWildcard, nil, "anything", true},
		{BranchFilterWildcard, hookPtr(""), "anything", true},
		{BranchFilterWildcard, hookPtr("  "), "anything", true},
		{BranchFilterWildcard, hookPtr("main"), "main", true},
		{BranchFilterWildcard, hookPtr("main"), "main2", false},
		{BranchFilterWildcard, hookPtr("main"), "feature/main", false},
		{BranchFilterWildcard, hookPtr("production/*"), "production/a", true},
		{BranchFilterWildcard, hookPtr("production/*"), "production/a/b", true},
		{BranchFilterWildcard, hookPtr("production/*"), "production/", true},
		{BranchFilterWildcard, hookPtr("production/*"), "production", false},
		{BranchFilterWildcard, hookPtr("production/*"), "xproduction/a", false},
		{BranchFilterWildcard, hookPtr("*-stable"), "1-0-stable", true},
		{BranchFilterWildcard, hookPtr("*-stable"), "1-0-stable-2", false},
		{BranchFilterWildcard, hookPtr("*"), "anything/at/all", true},
		{BranchFilterWildcard, hookPtr("a*b*c"), "a-b-c", true},
		{BranchFilterWildcard, hookPtr("a*b*c"), "abc", true},
		{BranchFilterWildcard, hookPtr("a*b*c"), "a-c-b", false},
		{BranchFilterWildcard, hookPtr("a*ab"), "aab", true},
		{BranchFilterWildcard, hookPtr("a*ab"), "ab", false},
		{BranchFilterWildcard, hookPtr("re.ease"), "release", false}, // no regex meaning
		{BranchFilterRegex, hookPtr("^(feature|hotfix)/"), "feature/login", true},
		{BranchFilterRegex, hookPtr("^(feature|hotfix)/"), "main", false},
		{BranchFilterRegex, hookPtr("stable"), "1-0-stable-x", true}, // unanchored
		{BranchFilterRegex, hookPtr("^main$"), "main", true},
		{BranchFilterRegex, hookPtr("^main$"), "main2", false},
		{BranchFilterRegex, hookPtr("bad("), "bad(", false}, // does not compile: matches nothing
		{BranchFilterRegex, hookPtr(""), "anything", true},
		{BranchFilterAllBranches, nil, "anything", true},
		{BranchFilterAllBranches, hookPtr("main"), "dev", true},
	}
	for _, tt := range tests {
		h := validProjectHook()
		h.BranchFilterStrategy = tt.strategy
		h.PushEventsBranchFilter = tt.filter
		if got := h.PushAllowed(tt.branch); got != tt.want {
			t.Errorf("%s %s: PushAllowed(%q) = %v, want %v", tt.strategy, showPtr(tt.filter), tt.branch, got, tt.want)
		}
	}
}

func TestAllowsEvent(t *testing.T) {
	filtered := validProjectHook()
	filtered.PushEventsBranchFilter = hookPtr("main")
	all := validProjectHook()
	all.BranchFilterStrategy = BranchFilterAllBranches
	tests := []struct {
		name  string
		hook  Hook
		scope string
		ref   string
		want  bool
	}{
		{"matching push", filtered, "push_hooks", "refs/heads/main", true},
		{"other branch", filtered, "push_hooks", "refs/heads/dev", false},
		{"tag pushes are never filtered", filtered, "tag_push_hooks", "refs/tags/v1", true},
		{"other events are never filtered", filtered, "issue_hooks", "", true},
		{"push of a non-branch ref with a filter", filtered, "push_hooks", "refs/tags/main", false},
		{"push of a non-branch ref, blank filter", validProjectHook(), "push_hooks", "refs/tags/v1", true},
		{"push of a non-branch ref, all branches", all, "push_hooks", "refs/tags/v1", true},
	}
	for _, tt := range tests {
		if got := tt.hook.AllowsEvent(tt.scope, tt.ref); got != tt.want {
			t.Errorf("%s: AllowsEvent(%q, %q) = %v, want %v", tt.name, tt.scope, tt.ref, got, tt.want)
		}
	}
}

func TestBranchFromRef(t *testing.T) {
	tests := []struct {
		ref    string
		want   string
		wantOK bool
	}{
		{"refs/heads/main", "main", true},
		{"refs/heads/feature/x", "feature/x", true},
		{"refs/tags/v1.0", "", false},
		{"main", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := BranchFromRef(tt.ref)
		if ok != tt.wantOK || (ok && got != tt.want) {
			t.Errorf("BranchFromRef(%q) = %q, %v; want %q, %v", tt.ref, got, ok, tt.want, tt.wantOK)
		}
	}
}

// programSize tracks what a pattern really compiles to, closely enough to
// refuse the patterns that compile to megabytes within 4096 characters.
func TestRegexFilterProgramSize(t *testing.T) {
	for _, p := range []string{`^(feature|hotfix)/`, `^release/[0-9]+\.[0-9]+$`, `a{2,5}b*`, `(?i)main|master`,
		`[a-z]{0,999}`, `(a|b){3}`, `x{0}`, `((a{1,30}){1,30})`} {
		re, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := syntax.Compile(re.Simplify())
		if err != nil {
			t.Fatal(err)
		}
		est, real := programSize(re, 1<<30), len(prog.Inst)
		if est*3 < real || real*4 < est {
			t.Errorf("%s: estimated %d instructions, compiles to %d", p, est, real)
		}
	}
	h := validProjectHook()
	h.BranchFilterStrategy = BranchFilterRegex
	for _, p := range []string{strings.Repeat(`.{1,999}`, 512), strings.Repeat(`[a-z]{0,999}`, 10), strings.Repeat(`((a{1,30}){1,30})`, 20)} {
		h.PushEventsBranchFilter = hookPtr(p)
		if got := fieldErrors(t, h.Validate(), "push_events_branch_filter"); !slices.Equal(got, []string{"not valid RE2 syntax: pattern too large - compile failed"}) {
			t.Errorf("%.30s…: errors %q", p, got)
		}
		before := BranchRegexCompiles()
		if h.PushAllowed("main") || BranchRegexCompiles() != before {
			t.Errorf("%.30s…: a stored oversized filter matched or was compiled", p)
		}
	}
}
