package model

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Names of URL variables and custom headers share one pattern (GitLab's JSON
// schemas web_hooks_url_variables.json and web_hooks_custom_headers.json):
// letters, then digits, then groups each led by one of . _ -. So "k10",
// "MY_TOKEN", "x-y-z" and "f.o.o" are names; "1foo", "MY--TOKEN", "x-_y"
// and, perhaps surprisingly, "foo2bar" are not.
const hookNamePattern = `[A-Za-z]+[0-9]*(?:[._-][A-Za-z0-9]+)*`

var (
	hookNameRE = regexp.MustCompile(`\A` + hookNamePattern + `\z`)
	// variableReferenceRE finds {name} placeholders; a brace pair around
	// anything that is not a name is left alone, as in GitLab.
	variableReferenceRE = regexp.MustCompile(`\{(` + hookNamePattern + `)\}`)
)

const (
	// MaxHookEntries caps URL variables and custom headers alike.
	MaxHookEntries = 20
	// MaxHookEntryValueLength caps a URL variable or custom header value, in
	// characters.
	MaxHookEntryValueLength = 2048
)

// ValidHookEntryName reports whether name may name a URL variable or a
// custom header.
func ValidHookEntryName(name string) bool {
	return hookNameRE.MatchString(name)
}

// ValidURLVariable reports whether one variable obeys the rules, for the
// API's PUT .../url_variables/:key ("Illegal key or value" when not).
func ValidURLVariable(key, value string) bool {
	return ValidHookEntryName(key) && valueLengthProblem(key, value) == ""
}

// URLVariablesProblems explains, one sentence per problem, why vars breaks
// the rules. The model error says only GitLab's "must be a valid json
// schema"; forms can show these instead. Nil means vars is valid.
func URLVariablesProblems(vars map[string]string) []string {
	var out []string
	if len(vars) > MaxHookEntries {
		out = append(out, fmt.Sprintf("There are %d URL variables; the maximum is %d.", len(vars), MaxHookEntries))
	}
	for _, k := range sortedHookKeys(vars) {
		if !ValidHookEntryName(k) {
			out = append(out, invalidNameSentence(k))
		}
		if p := valueLengthProblem(k, vars[k]); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func invalidNameSentence(name string) string {
	return fmt.Sprintf("%q is not a valid name: start with a letter and use letters and digits, separated by single \".\", \"_\" or \"-\".", name)
}

func valueLengthProblem(key, value string) string {
	switch n := utf8.RuneCountInString(value); {
	case n == 0:
		return fmt.Sprintf("The value of %q is empty.", key)
	case n > MaxHookEntryValueLength:
		return fmt.Sprintf("The value of %q is too long (%d characters; the maximum is %d).", key, n, MaxHookEntryValueLength)
	}
	return ""
}

// InterpolateURL replaces every {name} placeholder in rawURL with its
// variable, anywhere in the URL (path, query, userinfo, or the whole URL as
// "{url}"). The first placeholder without a variable fails with GitLab's
// "Invalid URL template. Missing key <name>"; validation reports all of
// them up front, so this only fails for a hook that was never validated.
func InterpolateURL(rawURL string, vars map[string]string) (string, error) {
	if !strings.Contains(rawURL, "{") {
		return rawURL, nil
	}
	var missing string
	out := variableReferenceRE.ReplaceAllStringFunc(rawURL, func(m string) string {
		name := m[1 : len(m)-1]
		v, ok := vars[name]
		if !ok && missing == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", Unprocessable("Invalid URL template. Missing key %s", missing)
	}
	return out, nil
}

// InterpolatedURL is the hook's real destination: URL with its variables
// filled in. It holds secrets: check it, send to it, hash it; never log or
// show it.
func (h Hook) InterpolatedURL() (string, error) {
	return InterpolateURL(h.URL, h.URLVariables)
}

// MissingURLVariables lists the placeholders in rawURL that have no
// variable, in URL order and, as GitLab's message does, once per use.
func MissingURLVariables(rawURL string, vars map[string]string) []string {
	var missing []string
	for _, m := range variableReferenceRE.FindAllStringSubmatch(rawURL, -1) {
		if _, ok := vars[m[1]]; !ok {
			missing = append(missing, m[1])
		}
	}
	return missing
}

// URLMaskRow is one row of the form's "Mask portions of URL" control: a
// sensitive portion of the URL the user typed, and the variable name to
// show in its place.
type URLMaskRow struct {
	Value string // "Sensitive portion of URL"
	Key   string // "How it looks in the UI"
}

// MaskURL does what GitLab's webhook form does before it submits: every
// occurrence of each row's Value in rawURL becomes {Key}, row by row, and
// the rows become URL variables. It refuses the rows the form refuses (a
// blank key or value: "This field is required."; a value not in the URL:
// "Must match part of URL"), and also a key that is not a valid name or is
// used twice, which GitLab only finds after submitting. Wholly blank rows
// are skipped, so a form may always offer a spare one. Errors are on fields
// "url_variables.<row>.key" and "url_variables.<row>.value".
func MaskURL(rawURL string, rows []URLMaskRow) (string, []HookEntry, error) {
	v := &ValidationError{}
	masked := rawURL
	var entries []HookEntry
	seen := map[string]bool{}
	for i, r := range rows {
		if railsBlank(r.Key) && railsBlank(r.Value) {
			continue
		}
		keyField := fmt.Sprintf("url_variables.%d.key", i)
		valueField := fmt.Sprintf("url_variables.%d.value", i)
		ok := true
		switch {
		case railsBlank(r.Key):
			v.Add(keyField, "This field is required.")
			ok = false
		case !ValidHookEntryName(r.Key):
			v.Add(keyField, "Use letters and digits, separated by single \".\", \"_\" or \"-\", starting with a letter.")
			ok = false
		case seen[r.Key]:
			v.Add(keyField, "Already used by another row.")
			ok = false
		}
		seen[r.Key] = true
		switch {
		case railsBlank(r.Value):
			v.Add(valueField, "This field is required.")
			ok = false
		case !strings.Contains(rawURL, r.Value):
			v.Add(valueField, "Must match part of URL")
			ok = false
		}
		if !ok {
			continue
		}
		masked = strings.ReplaceAll(masked, r.Value, "{"+r.Key+"}")
		entries = append(entries, HookEntry{Key: r.Key, Value: r.Value})
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	return masked, entries, nil
}
