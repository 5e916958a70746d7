package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// hookScope is a hooks settings page's context: whose hooks, the list's
// URL and the layout around it.
type hookScope struct {
	parent hookParent
	base   string
	page   func(c echo.Context, title string) (views.Page, error)
}

type hookScopeFunc func(c echo.Context) (hookScope, error)

// projectHookScope: Settings → Webhooks of a project, for maintainers.
// Anyone else gets 404, as GitLab's settings pages answer.
func (h *Handler) projectHookScope(c echo.Context) (hookScope, error) {
	p, level, err := h.projectAccess(c, pathParam(c, "project"))
	if err != nil {
		return hookScope{}, err
	}
	if level < model.Maintainer {
		return hookScope{}, model.NotFound("Page")
	}
	base := views.ProjectURL(p, "hooks")
	return hookScope{
		parent: hookParent{kind: model.ProjectHookKind, project: p},
		base:   base,
		page: func(c echo.Context, title string) (views.Page, error) {
			pg, err := h.projectPage(c, p, level, "hooks", title)
			pg.Crumbs = append(pg.Crumbs, views.Crumb{Label: "Webhooks", URL: base})
			return pg, err
		},
	}, nil
}

// groupHookScope: Settings → Webhooks of a group, for owners.
func (h *Handler) groupHookScope(c echo.Context) (hookScope, error) {
	g, level, err := h.groupAccess(c, pathParam(c, "group"))
	if err != nil {
		return hookScope{}, err
	}
	if level < model.Owner {
		return hookScope{}, model.NotFound("Page")
	}
	base := views.GroupURL(g, "hooks")
	return hookScope{
		parent: hookParent{kind: model.GroupHookKind, group: g},
		base:   base,
		page: func(c echo.Context, title string) (views.Page, error) {
			pg, err := h.groupPage(c, g, level, "hooks", title)
			pg.Crumbs = append(pg.Crumbs, views.Crumb{Label: "Webhooks", URL: base})
			return pg, err
		},
	}, nil
}

// adminHookScope: Admin → System hooks (the route is for admins only).
func (h *Handler) adminHookScope(echo.Context) (hookScope, error) {
	return hookScope{
		parent: hookParent{kind: model.SystemHookKind},
		base:   "/admin/hooks",
		page: func(c echo.Context, title string) (views.Page, error) {
			p := h.srv.Page(c, title)
			p.Nav = views.AdminNav("hooks")
			p.Crumbs = []views.Crumb{{Label: "Admin area", URL: "/admin"}, {Label: "System hooks", URL: "/admin/hooks"}}
			return p, nil
		},
	}, nil
}

func (h *Handler) hookItem(sc hookScope, hk model.Hook, st model.Settings) views.HookItem {
	return views.HookItem{
		Hook:   hk,
		URL:    fmt.Sprintf("%s/%d", sc.base, hk.ID),
		Status: hk.AlertStatus(h.srv.Now(), st.AutoDisablingWebHooks),
	}
}

// scopedHook finds the hook of a page request.
func (h *Handler) scopedHook(c echo.Context, scope hookScopeFunc) (hookScope, *model.Hook, error) {
	sc, err := scope(c)
	if err != nil {
		return sc, nil, err
	}
	id, err := strconv.ParseInt(c.Param("hook_id"), 10, 64)
	if err != nil {
		return sc, nil, model.NotFound("Page")
	}
	hk, err := h.hookOf(h.ctx(c), sc.parent, id)
	return sc, hk, err
}

func (h *Handler) listHooks(scope hookScopeFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sc, err := scope(c)
		if err != nil {
			return err
		}
		hooks, err := h.hooksOf(h.ctx(c), sc.parent)
		if err != nil {
			return err
		}
		st, err := h.store.Settings(h.ctx(c))
		if err != nil {
			return err
		}
		d := views.HooksData{Kind: sc.parent.kind, Base: sc.base, Limit: hookLimit(sc.parent.kind, st)}
		if d.RateLimit, err = h.hooksRateLimit(h.ctx(c), sc.parent, st); err != nil {
			return err
		}
		for _, hk := range hooks {
			d.Rows = append(d.Rows, h.hookItem(sc, hk, st))
		}
		p, err := sc.page(c, views.HookTitle(sc.parent.kind))
		if err != nil {
			return err
		}
		return web.Render(c, http.StatusOK, views.HooksPage(p, d))
	}
}

func (h *Handler) newHookPage(scope hookScopeFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sc, err := scope(c)
		if err != nil {
			return err
		}
		f := hookFormFromHook(sc.parent.newHook())
		return h.renderHookForm(c, sc, http.StatusOK, f, nil)
	}
}

func (h *Handler) editHookPage(scope hookScopeFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sc, hk, err := h.scopedHook(c, scope)
		if err != nil {
			return err
		}
		return h.renderHookForm(c, sc, http.StatusOK, hookFormFromHook(*hk), hk)
	}
}

func (h *Handler) createHookForm(scope hookScopeFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sc, err := scope(c)
		if err != nil {
			return err
		}
		return h.submitHookForm(c, sc, nil)
	}
}

func (h *Handler) updateHookForm(scope hookScopeFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sc, hk, err := h.scopedHook(c, scope)
		if err != nil {
			return err
		}
		return h.submitHookForm(c, sc, hk)
	}
}

func (h *Handler) deleteHookPage(scope hookScopeFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sc, hk, err := h.scopedHook(c, scope)
		if err != nil {
			return err
		}
		st, err := h.store.Settings(h.ctx(c))
		if err != nil {
			return err
		}
		p, err := sc.page(c, "Delete webhook")
		if err != nil {
			return err
		}
		return web.Render(c, http.StatusOK, views.DeleteHookPage(p, h.hookItem(sc, *hk, st)))
	}
}

func (h *Handler) deleteHookForm(scope hookScopeFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sc, hk, err := h.scopedHook(c, scope)
		if err != nil {
			return err
		}
		if err := h.store.DeleteHook(h.ctx(c), hk.ID); err != nil {
			return err
		}
		h.srv.Flash(c, "notice", "Webhook was deleted")
		return web.Redirect(c, sc.base)
	}
}

// hookFormFromHook is the form showing a stored (or new) hook: secrets are
// shown as the mask, URL variables by name only.
func hookFormFromHook(hk model.Hook) views.HookFormState {
	f := views.HookFormState{
		Kind: hk.Kind, New: hk.ID == 0,
		URL: model.MaskURLPassword(hk.URL), Name: hk.Name, Description: hk.Description, TokenSet: hk.Token != "",
		SigningTokenSet: hk.SigningToken != "",
		Events:          hk.Events, Strategy: hk.BranchFilterStrategy, SSL: hk.EnableSSLVerification,
		Template: hk.CustomWebhookTemplate,
	}
	if hk.PushEventsBranchFilter != nil {
		f.Filter = *hk.PushEventsBranchFilter
	}
	if f.Strategy == model.BranchFilterWildcard && f.Filter == "" {
		// An empty wildcard matches every branch: show it as GitLab's form
		// does, "All branches" (also the choice a new hook starts with).
		f.Strategy = model.BranchFilterAllBranches
	}
	f.Vars = append(f.Vars, sortedKeys(hk.URLVariables)...)
	for _, k := range sortedKeys(hk.CustomHeaders) {
		f.Headers = append(f.Headers, views.HookHeaderRow{Key: k, HasValue: true})
	}
	return f
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// renderHookForm shows the add or edit form (old is nil when adding): the
// form alone for htmx, else the whole page.
func (h *Handler) renderHookForm(c echo.Context, sc hookScope, status int, f views.HookFormState, old *model.Hook) error {
	f.Kind, f.New, f.Cancel = sc.parent.kind, old == nil, sc.base
	f.Action = sc.base
	if old != nil {
		f.Action = fmt.Sprintf("%s/%d", sc.base, old.ID)
	}
	if web.IsFragment(c) {
		return web.Render(c, status, views.HookForm(web.CSRFToken(c), f))
	}
	if old == nil {
		title := "Add new webhook"
		if sc.parent.kind == model.SystemHookKind {
			title = "Add new system hook"
		}
		p, err := sc.page(c, title)
		if err != nil {
			return err
		}
		return web.Render(c, status, views.NewHookPage(p, f))
	}
	st, err := h.store.Settings(h.ctx(c))
	if err != nil {
		return err
	}
	p, err := sc.page(c, "Edit webhook")
	if err != nil {
		return err
	}
	item := h.hookItem(sc, *old, st)
	p.Crumbs = append(p.Crumbs, views.Crumb{Label: hookCrumb(old), URL: item.EditURL()})
	events, err := h.recentEvents(c, item, c.QueryParams())
	if err != nil {
		return err
	}
	return web.Render(c, status, views.EditHookPage(p, f, item, events))
}

// rateLimitWarningFor is how long the hooks list warns after web_hook_calls
// dropped deliveries.
const rateLimitWarningFor = time.Hour

// hooksRateLimit is the hooks list's web_hook_calls warning: set when the
// parent's top-level group hit the limit lately (system hooks have none).
func (h *Handler) hooksRateLimit(ctx context.Context, p hookParent, st model.Settings) (*views.HooksRateLimit, error) {
	var groupID int64
	switch p.kind {
	case model.ProjectHookKind:
		groupID = p.project.GroupID
	case model.GroupHookKind:
		groupID = p.group.ID
	default:
		return nil, nil
	}
	root, err := h.store.Group(ctx, groupID)
	if err != nil {
		return nil, err
	}
	anc, err := h.store.GroupAncestors(ctx, groupID)
	if err != nil {
		return nil, err
	}
	if len(anc) > 0 {
		root = &anc[0]
	}
	at, err := h.store.RateLimitedSince(ctx, root.ID, h.srv.Now().Add(-rateLimitWarningFor))
	if err != nil || at == nil {
		return nil, err
	}
	return &views.HooksRateLimit{Group: root.FullPath, Limit: st.WebHookCalls, At: *at}, nil
}

// submitHookForm handles a post of the add or edit form: save and
// redirect, or show the form again — 422 with the errors beside the
// fields, or 200 after a plain-form row or strategy change (_op).
func (h *Handler) submitHookForm(c echo.Context, sc hookScope, old *model.Hook) error {
	ctx := h.ctx(c)
	in, err := h.readHookForm(c, sc.parent.kind)
	if err != nil {
		return err
	}
	res := resolveHookForm(in, sc.parent.kind, old)
	status := http.StatusOK
	if in.op == "" {
		var (
			attempt model.Hook
			err     error
		)
		switch {
		case !res.errs.Empty() && old == nil:
			// Not saved either way; the model's errors are shown as well.
			attempt, err = model.ApplyHookCreate(sc.parent.newHook(), res.update)
		case !res.errs.Empty():
			attempt, err = model.ApplyHookUpdate(*old, res.update)
		case old == nil:
			attempt, err = h.createHook(ctx, sc.parent, res.update, true)
		default:
			attempt, err = h.updateHook(ctx, *old, res.update, true)
		}
		if err == nil && res.errs.Empty() {
			msg := "Webhook was created"
			if old != nil {
				msg = "Webhook was updated"
				if cleared := clearedHookSecrets(*old, attempt, res); cleared != "" {
					msg += ". " + cleared
				}
			}
			h.srv.Flash(c, "notice", msg)
			if old != nil {
				// GitLab stays on the edit page after saving it.
				return web.Redirect(c, fmt.Sprintf("%s/%d/edit", sc.base, attempt.ID))
			}
			return web.Redirect(c, sc.base)
		}
		if err != nil {
			v, err := hookFormErrors(err, attempt)
			if err != nil {
				return err
			}
			res.errs.Errors = append(res.errs.Errors, v.Errors...)
		}
		// Every field at once: a URL error must not hide a bad template.
		if len(res.errs.For("custom_webhook_template")) == 0 {
			if terr := model.CheckTemplate(attempt.CustomWebhookTemplate, enabledTriggers(attempt)); terr != nil {
				if v, ok := model.AsValidation(terr); ok {
					res.errs.Errors = append(res.errs.Errors, v.Errors...)
				}
			}
		}
		status = http.StatusUnprocessableEntity
	}
	f := res.form
	f.Errors = hookFormSentences(res.errs)
	f.Sealed = h.sealHookFormSecrets(c, res.pending)
	return h.renderHookForm(c, sc, status, f, old)
}

// clearedHookSecrets says which secrets the form still held but the save
// removed, so that a changed URL does not silently drop the token, custom
// headers or URL variables (changing the URL clears the first two, as in
// GitLab). What the user removed on purpose (a blanked token, a removed
// row) is not news. It names headers and variables, never values; "" when
// nothing was lost.
func clearedHookSecrets(old, saved model.Hook, posted hookFormResult) string {
	var parts []string
	if t := posted.update.Token; old.Token != "" && saved.Token == "" && (t == nil || *t != "") {
		parts = append(parts, "the secret token")
	}
	var headers, vars []string
	for _, e := range posted.update.CustomHeaders {
		if e.Key != "" && !hasEntry(saved.CustomHeaders, e.Key) && !slices.Contains(headers, e.Key) {
			headers = append(headers, e.Key)
		}
	}
	for _, k := range posted.form.Vars {
		if !hasEntry(saved.URLVariables, k) {
			vars = append(vars, "{"+k+"}")
		}
	}
	if len(headers) > 0 {
		parts = append(parts, plural(len(headers), "the custom header", "the custom headers")+" "+strings.Join(headers, ", "))
	}
	if len(vars) > 0 {
		parts = append(parts, plural(len(vars), "the masked URL portion", "the masked URL portions")+" "+strings.Join(vars, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	list := parts[0]
	if n := len(parts); n > 1 {
		list = strings.Join(parts[:n-1], ", ") + " and " + parts[n-1]
	}
	again := "enter them again if the receiver needs them"
	if len(parts) == 1 && !strings.HasPrefix(parts[0], "the custom headers") && !strings.HasPrefix(parts[0], "the masked URL portions") {
		again = "enter it again if the receiver needs it"
	}
	return "It no longer has " + list + ": " + again + "."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// hookFormErrors turns a failed save into field errors for the form:
// GitLab's bare "must be a valid json schema" for URL variables and custom
// headers becomes the sentences saying what is wrong, and a concurrent
// change is shown above the form.
func hookFormErrors(err error, attempt model.Hook) (*model.ValidationError, error) {
	if errors.Is(err, model.ErrConflict) {
		v := &model.ValidationError{}
		v.Add("base", err.Error())
		return v, nil
	}
	v, err := web.FormErrors(err)
	if err != nil {
		return nil, err
	}
	out := &model.ValidationError{}
	for _, e := range v.Errors {
		var why []string
		switch e.Field {
		case "url_variables":
			why = model.URLVariablesProblems(attempt.URLVariables)
		case "custom_headers":
			why = model.CustomHeadersProblems(attempt.CustomHeaders)
		case "signing_token":
			why = []string{"A signing token must be whsec_ followed by the base64 encoding of 32 random bytes. Use Generate to make one."}
		}
		if len(why) == 0 {
			out.Add(e.Field, e.Message)
		}
		for _, w := range why {
			out.Add(e.Field, w)
		}
	}
	return out, nil
}

// hookFormInput is one post of the hook form.
type hookFormInput struct {
	op                     string
	url, name, description string
	token                  string
	signingToken           string
	// generated is a signing token the Generate button just made; the form
	// shows it once, in the clear, so it can be copied.
	generated        string
	events           map[string]bool
	strategy, filter string
	ssl              bool
	template         string
	kept             []string           // url_variables_kept[]: defined masked portions still in the form
	rows             []model.URLMaskRow // new "Add URL masking" rows
	headers          []model.HookEntry  // custom header rows, every one
	secrets          hookFormSecrets    // typed secrets carried over from a previous rendering
}

func (h *Handler) readHookForm(c echo.Context, kind model.HookKind) (hookFormInput, error) {
	form, err := c.FormParams()
	if err != nil {
		return hookFormInput{}, model.BadRequest("The form could not be read.")
	}
	in := hookFormInput{
		op:  form.Get("_op"),
		url: form.Get("url"), name: form.Get("name"), description: form.Get("description"), token: form.Get("token"),
		signingToken: form.Get("signing_token"),
		strategy:     form.Get("branch_filter_strategy"), filter: form.Get("push_events_branch_filter"),
		ssl: form.Get("enable_ssl_verification") != "", template: form.Get("custom_webhook_template"),
		kept:    form["url_variables_kept[]"],
		events:  map[string]bool{},
		secrets: h.openHookFormSecrets(c, form.Get("form_secrets")),
	}
	for _, t := range kind.Triggers() {
		in.events[t.Attribute] = form.Get(t.Attribute) != ""
	}
	values, keys := form["url_variables[][value]"], form["url_variables[][key]"]
	for i := range max(len(values), len(keys)) {
		in.rows = append(in.rows, model.URLMaskRow{Value: at(values, i), Key: at(keys, i)})
	}
	in.url = restoreTypedURL(in.url, in.rows, in.secrets)
	hkeys, hvalues := form["custom_headers[][key]"], form["custom_headers[][value]"]
	for i := range max(len(hkeys), len(hvalues)) {
		in.headers = append(in.headers, model.HookEntry{Key: at(hkeys, i), Value: at(hvalues, i)})
	}
	// The plain-form buttons that add and remove rows (htmx does it in
	// place with fragments).
	op, arg, _ := strings.Cut(in.op, ":")
	n, _ := strconv.Atoi(arg)
	switch op {
	case "generate_signing_token":
		in.generated = model.NewSigningToken()
	case "add_mask_row":
		in.rows = append(in.rows, model.URLMaskRow{})
	case "remove_mask_row":
		if n >= 0 && n < len(in.rows) {
			in.rows = slices.Delete(in.rows, n, n+1)
		}
	case "remove_var":
		in.kept = slices.DeleteFunc(in.kept, func(k string) bool { return k == arg })
	case "add_header_row":
		if len(in.headers) < model.MaxHookEntries {
			in.headers = append(in.headers, model.HookEntry{})
		}
	case "remove_header_row":
		if n >= 0 && n < len(in.headers) {
			in.headers = slices.Delete(in.headers, n, n+1)
		}
	}
	return in, nil
}

func at(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}

// hookFormResult is what a post of the form amounts to.
type hookFormResult struct {
	update model.HookUpdate
	// form is the form to show again when the hook is not saved.
	form views.HookFormState
	// pending are the typed secrets the form carries, sealed, when shown
	// again.
	pending hookFormSecrets
	// errs are the form's own errors (masking and header rows).
	errs *model.ValidationError
}

// resolveHookForm turns a post into the update to apply to old (nil when
// adding). The form is authoritative: every trigger is supplied, a defined
// URL variable or custom header missing from the post is deleted, and a
// field showing the mask keeps what is stored (or what was typed before).
func resolveHookForm(in hookFormInput, kind model.HookKind, old *model.Hook) hookFormResult {
	r := hookFormResult{errs: &model.ValidationError{}}
	u, f := &r.update, &r.form
	pend := hookFormSecrets{Vars: map[string]string{}, Headers: map[string]string{}}

	// The URL as shown keeps its stored password (see updateHook); one
	// still hiding something was edited and must be typed again.
	url := in.url
	if old != nil {
		url = model.KeepURLPassword(url, old.URL)
	}
	if model.URLPasswordMasked(url) || strings.Contains(url, model.HookSecretMask) {
		r.errs.Add("url", "The URL was shown with its password or masked portions hidden: enter them again.")
	}

	// URL masking: new rows turn portions of the URL into {placeholders}.
	var rowValues []string
	masked, entries, err := model.MaskURL(url, in.rows)
	if err != nil {
		// The rows come back to be corrected, their values sealed like
		// every other secret, and hidden in the URL.
		v, _ := model.AsValidation(err)
		r.errs.Errors = append(r.errs.Errors, v.Errors...)
		for _, row := range in.rows {
			shown := views.HookMaskRow{Key: row.Key}
			if row.Value != "" {
				shown.Value = model.HookSecretMask
			}
			f.MaskRows = append(f.MaskRows, shown)
			rowValues = append(rowValues, row.Value)
		}
		entries = nil
	} else {
		url = masked
		for _, row := range in.rows {
			if strings.TrimSpace(row.Key) == "" && strings.TrimSpace(row.Value) == "" {
				f.MaskRows = append(f.MaskRows, views.HookMaskRow{}) // a spare row stays
			}
		}
	}
	u.URL, f.URL = &url, shownURL(url, rowValues)
	if f.URL != url {
		pend.URL, pend.Rows = &url, rowValues
	}

	seen := map[string]bool{}
	for _, k := range in.kept {
		if seen[k] {
			continue
		}
		if v, ok := in.secrets.Vars[k]; ok {
			u.URLVariables = append(u.URLVariables, model.HookEntry{Key: k, Value: v})
			pend.Vars[k] = v
		} else if old == nil || !hasEntry(old.URLVariables, k) {
			continue // neither typed before nor stored: a stale form
		}
		seen[k] = true
		f.Vars = append(f.Vars, k)
	}
	for _, e := range entries {
		u.URLVariables = append(u.URLVariables, e)
		pend.Vars[e.Key] = e.Value
		if !seen[e.Key] {
			seen[e.Key] = true
			f.Vars = append(f.Vars, e.Key)
		}
	}
	if old != nil {
		for _, k := range sortedKeys(old.URLVariables) {
			if !seen[k] {
				u.URLVariables = append(u.URLVariables, model.HookEntry{Key: k}) // removed: a blank value deletes
			}
		}
	}

	// The token field shows the mask when a token is stored or was typed.
	switch {
	case in.token == model.HookSecretMask && in.secrets.Token != nil:
		t := *in.secrets.Token
		u.Token, pend.Token, f.TokenSet = &t, &t, true
	case in.token == model.HookSecretMask:
		if old != nil {
			t := model.HookSecretMask // keep the stored token
			u.Token, f.TokenSet = &t, old.Token != ""
		}
	case in.token != "":
		t := in.token
		u.Token, pend.Token, f.TokenSet = &t, &t, true
	case old != nil:
		t := ""
		u.Token = &t
	}

	// The signing token field works like the token field, except right
	// after Generate, when it shows the new token once.
	switch {
	case in.generated != "":
		t := in.generated
		u.SigningToken, f.NewSigningToken = &t, t
	case in.signingToken == model.HookSecretMask && in.secrets.SigningToken != nil:
		t := *in.secrets.SigningToken
		u.SigningToken, pend.SigningToken, f.SigningTokenSet = &t, &t, true
	case in.signingToken == model.HookSecretMask:
		if old != nil {
			t := model.HookSecretMask // keep the stored signing token
			u.SigningToken, f.SigningTokenSet = &t, old.SigningToken != ""
		}
	case in.signingToken != "":
		t := in.signingToken
		u.SigningToken, pend.SigningToken, f.SigningTokenSet = &t, &t, true
	case old != nil:
		t := ""
		u.SigningToken = &t
	}

	// Custom headers: every row is posted, so a missing one is deleted.
	for i, e := range in.headers {
		if e.Key == "" && e.Value == "" {
			f.Headers = append(f.Headers, views.HookHeaderRow{}) // a spare row
			continue
		}
		row := views.HookHeaderRow{Key: e.Key, HasValue: e.Value != ""}
		switch {
		case e.Value == model.HookSecretMask:
			if v, ok := in.secrets.Headers[e.Key]; ok {
				e.Value = v
				pend.Headers[e.Key] = v
			} else if old == nil || !hasEntry(old.CustomHeaders, e.Key) {
				r.errs.Add(fmt.Sprintf("custom_headers.%d.value", i), "Enter the value again.")
				row.HasValue = false
			}
		case e.Value != "":
			pend.Headers[e.Key] = e.Value
		}
		if e.Key == "" {
			r.errs.Add(fmt.Sprintf("custom_headers.%d.key", i), "This field is required.")
		}
		if e.Value == "" {
			r.errs.Add(fmt.Sprintf("custom_headers.%d.value", i), "This field is required.")
		}
		u.CustomHeaders = append(u.CustomHeaders, e)
		f.Headers = append(f.Headers, row)
	}
	u.ReplaceCustomHeaders = old != nil
	// The form shows the masked URL with its {placeholders}: editing the
	// rest of it keeps the variables the new URL still uses.
	u.KeepURLVariablesInURL = old != nil

	var events model.TriggerSet
	for attr, on := range in.events {
		events.Set(attr, on)
	}
	u.Events, f.Events = in.events, events
	strategy := model.BranchFilterStrategy(in.strategy)
	if strategy == "" {
		strategy = model.BranchFilterWildcard
	}
	filter, ssl, name, desc, tmpl := in.filter, in.ssl, in.name, in.description, in.template
	u.BranchFilterStrategy, f.Strategy = &strategy, strategy
	u.PushEventsBranchFilter, f.Filter = &filter, filter
	u.EnableSSLVerification, f.SSL = &ssl, ssl
	u.Name, u.Description, u.CustomWebhookTemplate = &name, &desc, &tmpl
	f.Name, f.Description, f.Template = name, desc, tmpl
	r.pending = pend
	return r
}

func hasEntry(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// hookFormSecrets are secrets typed into the form that it carries when it
// is shown again (after an error, or a plain-form row change), so that the
// page never contains them: they travel sealed with the instance key, bound
// to the signed-in user.
type hookFormSecrets struct {
	Token        *string           `json:"t,omitempty"`
	SigningToken *string           `json:"s,omitempty"`
	Vars         map[string]string `json:"v,omitempty"`
	Headers      map[string]string `json:"h,omitempty"`
	// URL is the URL typed, when the form shows it with something hidden:
	// a userinfo password, or the values of masking rows (Rows) that
	// failed and come back to be corrected.
	URL  *string  `json:"u,omitempty"`
	Rows []string `json:"r,omitempty"`
}

// shownURL is the URL as the form shows it: no userinfo password, and the
// values of masking rows shown again hidden.
func shownURL(url string, rowValues []string) string {
	url = model.MaskURLPassword(url)
	for _, v := range rowValues {
		if v != "" {
			url = strings.ReplaceAll(url, v, model.HookSecretMask)
		}
	}
	return url
}

// restoreTypedURL puts back what a form shown again hid: the values of
// masking rows posted as the mask, and the URL when posted as shown.
func restoreTypedURL(url string, rows []model.URLMaskRow, s hookFormSecrets) string {
	for i := range rows {
		if rows[i].Value == model.HookSecretMask && i < len(s.Rows) {
			rows[i].Value = s.Rows[i]
		}
	}
	if s.URL != nil && url == shownURL(*s.URL, s.Rows) {
		return *s.URL
	}
	return url
}

func hookFormSecretsAAD(c echo.Context) string {
	return fmt.Sprintf("hook_form.secrets:%d", user(c).ID)
}

func (h *Handler) sealHookFormSecrets(c echo.Context, s hookFormSecrets) string {
	if s.Token == nil && s.SigningToken == nil && len(s.Vars) == 0 && len(s.Headers) == 0 && s.URL == nil {
		return ""
	}
	b, err := json.Marshal(s)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(h.store.Cipher().Seal(hookFormSecretsAAD(c), b))
}

// openHookFormSecrets opens what sealHookFormSecrets made; anything else
// (stale, forged, another user's) opens as nothing.
func (h *Handler) openHookFormSecrets(c echo.Context, raw string) hookFormSecrets {
	var s hookFormSecrets
	if raw == "" {
		return s
	}
	sealed, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return s
	}
	b, err := h.store.Cipher().Open(hookFormSecretsAAD(c), sealed)
	if err != nil || json.Unmarshal(b, &s) != nil {
		return hookFormSecrets{}
	}
	return s
}

// hookFormFragment serves the form's htmx fragments: a new URL masking
// row, a new custom header row, the branch filter input for a strategy,
// and an empty answer for removing a row.
func (h *Handler) hookFormFragment(c echo.Context) error {
	switch c.Param("fragment") {
	case "mask_row":
		return web.Render(c, http.StatusOK, views.HookMaskRowInputs(-1, views.HookMaskRow{}, views.HookFormState{}))
	case "header_row":
		if len(c.QueryParams()["custom_headers[][key]"]) >= model.MaxHookEntries {
			c.Response().Header().Set("HX-Reswap", "none")
			msg := fmt.Sprintf("A webhook can have at most %d custom headers.", model.MaxHookEntries)
			return web.Render(c, http.StatusOK, views.FlashesOOB([]views.Flash{{Kind: "alert", Message: msg}}))
		}
		return web.Render(c, http.StatusOK, views.HookHeaderRowInputs(-1, views.HookHeaderRow{}, views.HookFormState{}))
	case "branch_filter":
		s := model.BranchFilterStrategy(c.QueryParam("branch_filter_strategy"))
		if !s.Valid() {
			s = model.BranchFilterWildcard
		}
		return web.Render(c, http.StatusOK, views.HookBranchFilter(s, c.QueryParam("push_events_branch_filter"), nil))
	case "signing_token":
		// A fresh token, shown once; it is kept only if the form is saved.
		c.Response().Header().Set("Cache-Control", "no-store")
		return web.Render(c, http.StatusOK, views.HookSigningTokenField(views.HookFormState{NewSigningToken: model.NewSigningToken()}))
	case "remove":
		return c.HTML(http.StatusOK, "")
	}
	return model.NotFound("Page")
}
