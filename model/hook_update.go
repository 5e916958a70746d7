package model

import "strings"

// HookEntry is one supplied URL variable or custom header, as the API's
// [{"key": ..., "value": ...}] and the form's rows give them. When a key
// comes twice, the later entry wins.
type HookEntry struct {
	Key   string
	Value string
}

// HookUpdate holds the fields a create or update request supplied; nil (or
// an empty list) means "not supplied, keep what is there".
type HookUpdate struct {
	URL         *string
	Name        *string
	Description *string
	// Token set to HookSecretMask on update means "keep the stored token"
	// (the form shows the mask). On create it is taken literally, as in
	// GitLab.
	Token *string
	// SigningToken is read like Token: the mask keeps the stored one on
	// update, "" removes it.
	SigningToken *string
	// Events holds the supplied trigger attributes ("push_events": true).
	// Attributes the hook's kind does not offer, and unknown ones, are
	// ignored, as GitLab's API ignores undeclared parameters.
	Events                 map[string]bool
	PushEventsBranchFilter *string
	BranchFilterStrategy   *BranchFilterStrategy
	EnableSSLVerification  *bool
	CustomWebhookTemplate  *string

	// URLVariables are merged over the stored ones on update; a blank value
	// deletes its key. On create they are the whole set, and a blank value
	// fails validation.
	URLVariables []HookEntry
	// CustomHeaders are merged like URLVariables; in addition a value equal
	// to HookSecretMask keeps the stored value of that header.
	CustomHeaders []HookEntry
	// ReplaceCustomHeaders makes the supplied headers the whole set, which
	// is what GitLab's edit form does: it submits every row, so a removed
	// row is a deleted header.
	ReplaceCustomHeaders bool
	// KeepURLVariablesInURL is the settings form's rule for a changed URL:
	// a URL variable whose {placeholder} is still in the new URL keeps its
	// stored value, one whose placeholder is gone is dropped. (The API
	// keeps GitLab's rule: a changed URL clears the variables unless new
	// ones are supplied.)
	KeepURLVariablesInURL bool
}

// Empty reports whether nothing was supplied, GitLab's API "No parameters
// provided" case.
func (u HookUpdate) Empty() bool {
	return u.URL == nil && u.Name == nil && u.Description == nil && u.Token == nil && u.SigningToken == nil &&
		len(u.Events) == 0 && u.PushEventsBranchFilter == nil && u.BranchFilterStrategy == nil &&
		u.EnableSSLVerification == nil && u.CustomWebhookTemplate == nil &&
		len(u.URLVariables) == 0 && len(u.CustomHeaders) == 0 && !u.ReplaceCustomHeaders
}

// applyScalars sets the plain supplied fields and reports whether a token
// counts as supplied.
func (u HookUpdate) applyScalars(h *Hook, maskKeepsToken bool) (tokenSupplied bool) {
	if u.URL != nil {
		h.URL = rubyStrip(*u.URL)
	}
	if u.Name != nil {
		h.Name = *u.Name
	}
	if u.Description != nil {
		h.Description = *u.Description
	}
	if u.Token != nil && !(maskKeepsToken && *u.Token == HookSecretMask) {
		h.Token = *u.Token
		tokenSupplied = true
	}
	if u.SigningToken != nil && !(maskKeepsToken && *u.SigningToken == HookSecretMask) {
		h.SigningToken = *u.SigningToken
	}
	for attr, on := range u.Events {
		if t, ok := TriggerByAttribute(attr); ok && h.Kind.Offers(t) {
			h.Events.Set(attr, on)
		}
	}
	if u.PushEventsBranchFilter != nil {
		f := *u.PushEventsBranchFilter
		h.PushEventsBranchFilter = &f
	}
	if u.BranchFilterStrategy != nil {
		h.BranchFilterStrategy = *u.BranchFilterStrategy
	}
	if u.EnableSSLVerification != nil {
		h.EnableSSLVerification = *u.EnableSSLVerification
	}
	if u.CustomWebhookTemplate != nil {
		h.CustomWebhookTemplate = *u.CustomWebhookTemplate
	}
	return tokenSupplied
}

// ApplyHookCreate fills base (a NewHook with its owner set) with what a
// create request supplied, normalizes it and validates it. On a validation
// error the returned hook is the attempted one, for re-rendering the form;
// never store it.
func ApplyHookCreate(base Hook, u HookUpdate) (Hook, error) {
	h := base.Clone()
	u.applyScalars(&h, false)
	for _, e := range u.URLVariables {
		h.URLVariables[e.Key] = e.Value
	}
	for _, e := range u.CustomHeaders {
		h.CustomHeaders[e.Key] = e.Value
	}
	h.Normalize()
	return h, h.Validate()
}

// ApplyHookUpdate applies an update to a stored hook exactly as GitLab's
// model does, then validates the result:
//
//   - Supplied URL variables and custom headers are merged over the stored
//     ones; a blank value deletes its key; a custom header given as
//     HookSecretMask keeps its stored value.
//   - Changing the URL without supplying a token clears the token.
//   - If the hook had variables and the interpolated URL changes, the
//     variables are cleared when any old key is still present, or when the
//     URL changed and any old key/value pair is still present. (The second
//     rule is implied by the first; GitLab states both.) So pointing a hook
//     elsewhere takes a complete new set of variables, and a URL that still
//     names a cleared variable fails "Invalid URL template. Missing keys".
//     Even changing one variable's value in place is refused this way.
//   - If the interpolated URL changes, custom headers are cleared, even
//     ones supplied in the same request.
//
// An interpolation failure counts as a change (GitLab raises there; the
// record is invalid either way). On a validation error the returned hook is
// the attempted one, for re-rendering the form; never store it.
func ApplyHookUpdate(old Hook, u HookUpdate) (Hook, error) {
	old = old.Clone()
	h := old.Clone()
	tokenSupplied := u.applyScalars(&h, true)

	for _, e := range u.URLVariables {
		if railsBlank(e.Value) {
			delete(h.URLVariables, e.Key)
		} else {
			h.URLVariables[e.Key] = e.Value
		}
	}
	if u.ReplaceCustomHeaders {
		h.CustomHeaders = map[string]string{}
	}
	for _, e := range u.CustomHeaders {
		v := e.Value
		if stored, ok := old.CustomHeaders[e.Key]; ok && v == HookSecretMask {
			v = stored
		}
		if railsBlank(v) {
			delete(h.CustomHeaders, e.Key)
		} else {
			h.CustomHeaders[e.Key] = v
		}
	}

	urlChanged := h.URL != rubyStrip(old.URL)
	if urlChanged && !tokenSupplied {
		h.Token = ""
	}
	if u.KeepURLVariablesInURL && len(old.URLVariables) > 0 && interpolatedURLChanged(old, h) {
		for k := range h.URLVariables {
			if !strings.Contains(h.URL, "{"+k+"}") {
				delete(h.URLVariables, k)
			}
		}
	} else if len(old.URLVariables) > 0 && interpolatedURLChanged(old, h) {
		keyKept, pairKept := false, false
		for k, v := range old.URLVariables {
			if nv, ok := h.URLVariables[k]; ok {
				keyKept = true
				pairKept = pairKept || nv == v
			}
		}
		if keyKept || (urlChanged && pairKept) {
			h.URLVariables = map[string]string{}
		}
	}
	if interpolatedURLChanged(old, h) {
		h.CustomHeaders = map[string]string{}
	}

	h.Normalize()
	return h, h.Validate()
}

func interpolatedURLChanged(old, h Hook) bool {
	before, err := InterpolateURL(rubyStrip(old.URL), old.URLVariables)
	if err != nil {
		return true
	}
	after, err := InterpolateURL(h.URL, h.URLVariables)
	return err != nil || before != after
}
