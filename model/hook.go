package model

import (
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode/utf8"
)

// HookKind says who owns a hook. The values are GitLab's class names, which
// its logs and error messages use too.
type HookKind string

const (
	ProjectHookKind HookKind = "ProjectHook"
	GroupHookKind   HookKind = "GroupHook"
	SystemHookKind  HookKind = "SystemHook"
)

// Valid reports whether k is one of the three kinds.
func (k HookKind) Valid() bool {
	return k == ProjectHookKind || k == GroupHookKind || k == SystemHookKind
}

// Offers reports whether hooks of kind k can subscribe to t.
func (k HookKind) Offers(t Trigger) bool {
	switch k {
	case ProjectHookKind:
		return t.Project
	case GroupHookKind:
		return t.Group
	case SystemHookKind:
		return t.System
	}
	return false
}

// Triggers lists the triggers kind k offers, in GitLab's order.
func (k HookKind) Triggers() []Trigger {
	var out []Trigger
	for _, t := range Triggers {
		if k.Offers(t) {
			out = append(out, t)
		}
	}
	return out
}

// BranchFilterStrategy says how push_events_branch_filter is read.
type BranchFilterStrategy string

const (
	BranchFilterWildcard    BranchFilterStrategy = "wildcard"
	BranchFilterRegex       BranchFilterStrategy = "regex"
	BranchFilterAllBranches BranchFilterStrategy = "all_branches"
)

// Valid reports whether s is one of GitLab's three strategies.
func (s BranchFilterStrategy) Valid() bool {
	return s == BranchFilterWildcard || s == BranchFilterRegex || s == BranchFilterAllBranches
}

// TriggerSet is the set of triggers a hook subscribes to, one bit per entry
// of Triggers: bit i stands for Triggers[i]. Stored sets depend on that
// order, so Triggers is append-only: reordering or removing an entry would
// silently change what every stored hook subscribes to. A test pins the order
// and the 64-entry ceiling.
type TriggerSet uint64

// NewTriggerSet returns the set of the named trigger attributes
// ("push_events", ...). Unknown names are ignored.
func NewTriggerSet(attrs ...string) TriggerSet {
	var s TriggerSet
	for _, a := range attrs {
		s.Set(a, true)
	}
	return s
}

func triggerIndex(attr string) int {
	for i, t := range Triggers {
		if t.Attribute == attr {
			return i
		}
	}
	return -1
}

// Has reports whether the trigger with attribute attr is in the set.
func (s TriggerSet) Has(attr string) bool {
	i := triggerIndex(attr)
	return i >= 0 && s&(1<<uint(i)) != 0
}

// HasScope is Has by the trigger's scope ("push_hooks"), which is how an
// event names the trigger it fires.
func (s TriggerSet) HasScope(scope string) bool {
	t, ok := TriggerByScope(scope)
	return ok && s.Has(t.Attribute)
}

// Set adds or removes the trigger with attribute attr. It reports false, and
// changes nothing, for an unknown attribute.
func (s *TriggerSet) Set(attr string, on bool) bool {
	i := triggerIndex(attr)
	if i < 0 {
		return false
	}
	if on {
		*s |= 1 << uint(i)
	} else {
		*s &^= 1 << uint(i)
	}
	return true
}

// Attributes lists the attributes in the set, in GitLab's order.
func (s TriggerSet) Attributes() []string {
	var out []string
	for i, t := range Triggers {
		if s&(1<<uint(i)) != 0 {
			out = append(out, t.Attribute)
		}
	}
	return out
}

// HookSecretMask is what the UI shows in place of a stored secret (token,
// custom header value, URL variable value). Submitting it back means "keep
// the stored value" (GitLab's WebHook::SECRET_MASK).
const HookSecretMask = "************"

// Hook is a project, group or system hook. Events, URLVariables
// and CustomHeaders have no column of their own: the store decides how to
// keep them (and encrypts URL, Token, URLVariables and CustomHeaders).
type Hook struct {
	ID        int64    `db:"id"`
	Kind      HookKind `db:"kind"`
	ProjectID *int64   `db:"project_id"`
	GroupID   *int64   `db:"group_id"`

	// URL is the stored form: it keeps {name} placeholders, and that is the
	// masked form the UI shows. InterpolatedURL gives the real destination.
	URL         string `db:"url"`
	Name        string `db:"name"`
	Description string `db:"description"`
	// Token is sent as X-Gitlab-Token; never shown or returned.
	Token string `db:"token"`
	// SigningToken ("whsec_..."), when set, signs every delivery with
	// Standard Webhooks headers; never shown or returned.
	SigningToken string `db:"signing_token"`

	Events TriggerSet `db:"-"`

	// PushEventsBranchFilter is nil for null (always so for all_branches).
	PushEventsBranchFilter *string              `db:"push_events_branch_filter"`
	BranchFilterStrategy   BranchFilterStrategy `db:"branch_filter_strategy"`
	EnableSSLVerification  bool                 `db:"enable_ssl_verification"`
	CustomWebhookTemplate  string               `db:"custom_webhook_template"`

	URLVariables  map[string]string `db:"-"`
	CustomHeaders map[string]string `db:"-"`

	// Auto-disable state (hook_state.go).
	RecentFailures int        `db:"recent_failures"`
	DisabledUntil  *time.Time `db:"disabled_until"`

	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// NewHook returns a hook of kind k with GitLab's defaults: project and group
// hooks subscribe to push events; system hooks to repository update events
// only (GitLab's SystemHook overrides the push_events column default).
func NewHook(k HookKind) Hook {
	h := Hook{
		Kind:                  k,
		BranchFilterStrategy:  BranchFilterWildcard,
		EnableSSLVerification: true,
		URLVariables:          map[string]string{},
		CustomHeaders:         map[string]string{},
	}
	if k == SystemHookKind {
		h.Events = NewTriggerSet("repository_update_events")
	} else {
		h.Events = NewTriggerSet("push_events")
	}
	return h
}

// Clone returns a copy of h that shares no maps or pointers with it, so a
// rule can change the copy without touching the caller's hook.
func (h Hook) Clone() Hook {
	c := h
	c.URLVariables = maps.Clone(h.URLVariables)
	c.CustomHeaders = maps.Clone(h.CustomHeaders)
	if c.URLVariables == nil {
		c.URLVariables = map[string]string{}
	}
	if c.CustomHeaders == nil {
		c.CustomHeaders = map[string]string{}
	}
	if h.ProjectID != nil {
		id := *h.ProjectID
		c.ProjectID = &id
	}
	if h.GroupID != nil {
		id := *h.GroupID
		c.GroupID = &id
	}
	if h.PushEventsBranchFilter != nil {
		f := *h.PushEventsBranchFilter
		c.PushEventsBranchFilter = &f
	}
	if h.DisabledUntil != nil {
		t := *h.DisabledUntil
		c.DisabledUntil = &t
	}
	return c
}

// Normalize applies the rewrites GitLab makes while validating, so that what
// is stored is what was checked: the URL is stripped, a wildcard filter has
// its whitespace squished, all_branches drops the filter, and an unset
// strategy means wildcard.
func (h *Hook) Normalize() {
	h.URL = rubyStrip(h.URL)
	if h.BranchFilterStrategy == "" {
		h.BranchFilterStrategy = BranchFilterWildcard
	}
	switch h.BranchFilterStrategy {
	case BranchFilterAllBranches:
		h.PushEventsBranchFilter = nil
	case BranchFilterWildcard:
		if h.PushEventsBranchFilter != nil {
			f := railsSquish(*h.PushEventsBranchFilter)
			h.PushEventsBranchFilter = &f
		}
	}
	if h.URLVariables == nil {
		h.URLVariables = map[string]string{}
	}
	if h.CustomHeaders == nil {
		h.CustomHeaders = map[string]string{}
	}
}

const (
	maxHookNameLength        = 255
	maxHookDescriptionLength = 2048
	maxHookTemplateLength    = 4096
)

// Validate checks h, as Normalize would leave it, against GitLab's rules and
// messages. Fields are named by GitLab's attributes, so the
// API can answer {"message": {"url": [...]}} as GitLab does. It does not
// check that the URL is public: that needs DNS. The caller does it on the
// URL PublicURLField names, and only when Validate passed, as GitLab does.
func (h Hook) Validate() error {
	h = h.Clone()
	h.Normalize()
	v := &ValidationError{}

	switch h.Kind {
	case ProjectHookKind:
		if h.ProjectID == nil {
			v.Add("project", "can't be blank")
		}
	case GroupHookKind:
		if h.GroupID == nil {
			v.Add("group", "can't be blank")
		}
	case SystemHookKind:
	default:
		v.Add("type", "is not included in the list")
	}

	// GitLab checks the raw URL only when there are no variables; with
	// variables it checks the interpolated URL further down instead.
	if railsBlank(h.URL) {
		v.Add("url", "can't be blank")
		if len(h.URLVariables) == 0 {
			v.Add("url", "must be a valid URL")
		}
	} else if len(h.URLVariables) == 0 {
		if reason := urlBlockedReason(h.URL); reason != "" {
			v.Add("url", "is blocked: "+reason)
		}
	}

	// GitLab only rejects "\n"; a lone "\r" would make every delivery fail
	// (Go refuses such a header value), so it is refused here too.
	if strings.ContainsAny(h.Token, "\r\n") {
		v.Add("token", "is invalid")
	}
	if h.SigningToken != "" {
		if _, ok := SigningKey(h.SigningToken); !ok {
			v.Add("signing_token", SigningTokenProblem)
		}
	}
	if n := utf8.RuneCountInString(h.Name); n > maxHookNameLength {
		v.Add("name", tooLong(maxHookNameLength))
	}
	if n := utf8.RuneCountInString(h.Description); n > maxHookDescriptionLength {
		v.Add("description", tooLong(maxHookDescriptionLength))
	}

	if !h.BranchFilterStrategy.Valid() {
		v.Add("branch_filter_strategy", "is not included in the list")
	}
	for _, msg := range branchFilterProblems(h.BranchFilterStrategy, h.PushEventsBranchFilter) {
		v.Add("push_events_branch_filter", msg)
	}

	if len(URLVariablesProblems(h.URLVariables)) > 0 {
		v.Add("url_variables", jsonSchemaMessage)
	}
	if missing := MissingURLVariables(h.URL, h.URLVariables); len(missing) > 0 {
		v.Add("url", "Invalid URL template. Missing keys: "+rubyInspectStrings(missing))
	}
	if len(h.URLVariables) > 0 && v.Empty() {
		// GitLab names this field interpolated_url (so the API answers
		// {"interpolated_url": [...]}, not "Invalid url given").
		if u, err := h.InterpolatedURL(); err == nil {
			if railsBlank(u) {
				v.Add("interpolated_url", "must be a valid URL")
			} else if reason := urlBlockedReason(rubyStrip(u)); reason != "" {
				v.Add("interpolated_url", "is blocked: "+reason)
			}
		}
	}

	if len(CustomHeadersProblems(h.CustomHeaders)) > 0 {
		v.Add("custom_headers", jsonSchemaMessage)
	}
	if n := utf8.RuneCountInString(h.CustomWebhookTemplate); n > maxHookTemplateLength {
		v.Add("custom_webhook_template", tooLong(maxHookTemplateLength))
	}
	return v.Err()
}

// PublicURLField names the field a failed public-URL (SSRF) check belongs
// on: "url" when the URL has no variables, else "interpolated_url", the URL
// that is checked then. The message is "is blocked: <reason>".
func (h Hook) PublicURLField() string {
	if len(h.URLVariables) > 0 {
		return "interpolated_url"
	}
	return "url"
}

// jsonSchemaMessage is GitLab's whole message for a bad url_variables or
// custom_headers map; URLVariablesProblems and CustomHeadersProblems say
// what is wrong, for forms.
const jsonSchemaMessage = "must be a valid json schema"

func tooLong(max int) string {
	return fmt.Sprintf("is too long (maximum is %d characters)", max)
}

// CheckHookLimit returns GitLab's plan-limit error when a parent that has
// existing hooks of kind k may not get another. A limit of 0 or less means
// unlimited, as in GitLab; system hooks are never limited.
func CheckHookLimit(k HookKind, existing, limit int) error {
	if k == SystemHookKind || limit <= 0 || existing < limit {
		return nil
	}
	name := "project hooks"
	if k == GroupHookKind {
		name = "group hooks"
	}
	v := &ValidationError{}
	v.Add("base", fmt.Sprintf("Maximum number of %s (%d) exceeded", name, limit))
	return v
}

// rubyStrip trims what Ruby's String#strip trims (ASCII whitespace and NUL),
// which is how GitLab strips a hook URL.
func rubyStrip(s string) string {
	return strings.Trim(s, " \t\n\v\f\r\x00")
}

// railsBlank is Rails' blank? for strings: empty or only whitespace.
func railsBlank(s string) bool {
	return strings.TrimSpace(s) == ""
}

// rubyInspectStrings formats names the way Ruby's Array#inspect does, which
// is how GitLab writes the missing-keys message: ["foo", "three"]. Variable
// names are plain ASCII, so Go quoting gives the same text.
func rubyInspectStrings(ss []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", s)
	}
	b.WriteByte(']')
	return b.String()
}
