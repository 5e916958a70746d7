package handlers

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/web"
)

// hookParent owns the hooks a request is about: a project, a group, or the
// instance (system hooks). The API and the settings pages share it.
type hookParent struct {
	kind    model.HookKind
	project *model.Project
	group   *model.Group
}

// newHook is a hook of the parent with GitLab's defaults.
func (p hookParent) newHook() model.Hook {
	h := model.NewHook(p.kind)
	switch p.kind {
	case model.ProjectHookKind:
		h.ProjectID = &p.project.ID
	case model.GroupHookKind:
		h.GroupID = &p.group.ID
	}
	return h
}

func (p hookParent) owns(h *model.Hook) bool {
	switch p.kind {
	case model.ProjectHookKind:
		return h.Kind == p.kind && h.ProjectID != nil && *h.ProjectID == p.project.ID
	case model.GroupHookKind:
		return h.Kind == p.kind && h.GroupID != nil && *h.GroupID == p.group.ID
	}
	return h.Kind == model.SystemHookKind
}

// errHookNotFound is GitLab's answer for a hook that is not the parent's.
var errHookNotFound = &model.Error{Kind: model.ErrNotFound, Message: "404 Not found"}

func (h *Handler) hooksOf(ctx context.Context, p hookParent) ([]model.Hook, error) {
	switch p.kind {
	case model.ProjectHookKind:
		return h.store.HooksByProject(ctx, p.project.ID)
	case model.GroupHookKind:
		return h.store.HooksByGroup(ctx, p.group.ID)
	}
	return h.store.SystemHooks(ctx)
}

func (h *Handler) hookOf(ctx context.Context, p hookParent, id int64) (*model.Hook, error) {
	hk, err := h.store.Hook(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.owns(hk) {
		return nil, errHookNotFound
	}
	return hk, nil
}

// hookLimit is the settings' limit of hooks per parent (0: none).
func hookLimit(k model.HookKind, st model.Settings) int {
	switch k {
	case model.ProjectHookKind:
		return st.ProjectHooksLimit
	case model.GroupHookKind:
		return st.GroupHooksLimit
	}
	return 0
}

// enabledTriggers are the triggers the hook subscribes to.
func enabledTriggers(hk model.Hook) []model.Trigger {
	var out []model.Trigger
	for _, t := range hk.Kind.Triggers() {
		if hk.Events.Has(t.Attribute) {
			out = append(out, t)
		}
	}
	return out
}

// createHook applies a create request, checks the result (rules, the
// public-URL check, and for forms the template against sample events) and
// stores it. On error the returned hook is the attempt.
func (h *Handler) createHook(ctx context.Context, p hookParent, u model.HookUpdate, checkTemplate bool) (model.Hook, error) {
	hk, err := model.ApplyHookCreate(p.newHook(), u)
	if err == nil {
		err = h.vetHook(ctx, hk, checkTemplate)
	}
	if err == nil {
		err = h.store.CreateHook(ctx, &hk)
	}
	return hk, err
}

// updateHook is createHook for an update of old.
func (h *Handler) updateHook(ctx context.Context, old model.Hook, u model.HookUpdate, checkTemplate bool) (model.Hook, error) {
	if u.URL != nil {
		// The URL as shown (its password masked) keeps the stored password.
		url := model.KeepURLPassword(*u.URL, old.URL)
		u.URL = &url
	}
	hk, err := model.ApplyHookUpdate(old, u)
	if err == nil {
		err = h.vetHook(ctx, hk, checkTemplate)
	}
	if err == nil {
		err = h.store.UpdateHook(ctx, &hk)
	}
	return hk, err
}

// vetHook runs the checks that need more than the hook: the public-URL
// check (DNS, settings) and, for forms, the template check.
func (h *Handler) vetHook(ctx context.Context, hk model.Hook, checkTemplate bool) error {
	st, err := h.store.Settings(ctx)
	if err != nil {
		return err
	}
	if err := checkHookURL(ctx, h.resolve, hk, hookOutboundPolicy(hk.Kind, st)); err != nil {
		return err
	}
	if checkTemplate {
		return model.CheckTemplate(hk.CustomWebhookTemplate, enabledTriggers(hk))
	}
	return nil
}

// hookParentFunc finds the parent of an API request and checks the user may
// manage its hooks.
type hookParentFunc func(c echo.Context) (hookParent, error)

// apiProjectHookParent: project hooks need maintainer; a project the user
// cannot see is 404, one they can see but not manage 403.
func (h *Handler) apiProjectHookParent(c echo.Context) (hookParent, error) {
	p, level, err := h.projectAccess(c, pathParam(c, "id"))
	if err != nil {
		return hookParent{}, err
	}
	if err := requireLevel(level, model.Maintainer); err != nil {
		return hookParent{}, err
	}
	return hookParent{kind: model.ProjectHookKind, project: p}, nil
}

// apiGroupHookParent: group hooks need owner.
func (h *Handler) apiGroupHookParent(c echo.Context) (hookParent, error) {
	g, level, err := h.groupAccess(c, pathParam(c, "id"))
	if err != nil {
		return hookParent{}, err
	}
	if err := requireLevel(level, model.Owner); err != nil {
		return hookParent{}, err
	}
	return hookParent{kind: model.GroupHookKind, group: g}, nil
}

// apiSystemHookParent: the route itself is for administrators only.
func (h *Handler) apiSystemHookParent(echo.Context) (hookParent, error) {
	return hookParent{kind: model.SystemHookKind}, nil
}

// defaultOrganizationID is the ID of GitLab's default organization.
const defaultOrganizationID = 1

// hookEntity is GitLab's hook entity (lib/api/entities/hook.rb and its
// project and group subclasses) in GitLab's key order. Lists leave out
// url_variables and custom_headers; a single hook shows only their keys.
// The tokens and every value are never part of it.
func hookEntity(hk *model.Hook, st model.Settings, now time.Time, single bool) *model.JSONObject {
	base := []string{"push_events", "tag_push_events", "merge_requests_events", "repository_update_events"}
	o := model.NewJSONObject()
	o.Set("id", hk.ID)
	o.Set("url", model.MaskURLPassword(hk.URL)) // a userinfo password is a secret
	o.Set("name", hk.Name)
	o.Set("description", hk.Description)
	o.Set("created_at", web.APITime(hk.CreatedAt))
	for _, attr := range base {
		o.Set(attr, hk.Events.Has(attr))
	}
	o.Set("enable_ssl_verification", hk.EnableSSLVerification)
	// Whether the secrets are set; never the secrets.
	o.Set("token_present", hk.Token != "")
	o.Set("signing_token_present", hk.SigningToken != "")
	o.Set("alert_status", string(hk.AlertStatus(now, st.AutoDisablingWebHooks)))
	o.Set("disabled_until", web.APITimePtr(hk.DisabledUntil))
	if single {
		o.Set("url_variables", entryKeys(hk.URLVariables))
	}
	o.Set("push_events_branch_filter", hk.PushEventsBranchFilter)
	o.Set("branch_filter_strategy", string(hk.BranchFilterStrategy))
	if hk.CustomWebhookTemplate == "" {
		o.Set("custom_webhook_template", nil) // GitLab's null when unset
	} else {
		o.Set("custom_webhook_template", hk.CustomWebhookTemplate)
	}
	if single {
		o.Set("custom_headers", entryKeys(hk.CustomHeaders))
	}
	switch hk.Kind {
	case model.ProjectHookKind:
		o.Set("project_id", *hk.ProjectID)
	case model.GroupHookKind:
		o.Set("group_id", *hk.GroupID)
	}
	for _, t := range hk.Kind.Triggers() {
		if _, ok := o.Get(t.Attribute); !ok {
			o.Set(t.Attribute, hk.Events.Has(t.Attribute))
		}
	}
	if hk.Kind == model.SystemHookKind {
		// GitLab's system hooks belong to an organization; Hooklab has the
		// one default organization GitLab creates (ID 1).
		o.Set("organization_id", defaultOrganizationID)
	}
	return o
}

// entryKeys is [{"key": ...}] for URL variables and custom headers, sorted.
func entryKeys(m map[string]string) []map[string]string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]map[string]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, map[string]string{"key": k})
	}
	return out
}

// hookUpdateParams reads a create or update request's parameters the way
// GitLab's API declares them: triggers the hook's kind does not offer are
// not parameters and are ignored, as Grape ignores undeclared ones.
func hookUpdateParams(p params, kind model.HookKind) (model.HookUpdate, error) {
	var u model.HookUpdate
	str := func(k string) *string {
		if s, ok := p.String(k); ok {
			return &s
		}
		return nil
	}
	u.URL, u.Name, u.Description, u.Token = str("url"), str("name"), str("description"), str("token")
	u.SigningToken = str("signing_token")
	u.PushEventsBranchFilter = str("push_events_branch_filter")
	u.CustomWebhookTemplate = str("custom_webhook_template")
	if s, ok := p.String("branch_filter_strategy"); ok {
		bs := model.BranchFilterStrategy(s)
		if !bs.Valid() {
			return u, notValidValue("branch_filter_strategy")
		}
		u.BranchFilterStrategy = &bs
	}
	for _, t := range kind.Triggers() {
		v, ok, err := p.Bool(t.Attribute)
		if err != nil {
			return u, err
		}
		if ok {
			if u.Events == nil {
				u.Events = map[string]bool{}
			}
			u.Events[t.Attribute] = v
		}
	}
	ssl, ok, err := p.Bool("enable_ssl_verification")
	if err != nil {
		return u, err
	}
	if ok {
		u.EnableSSLVerification = &ssl
	}
	if u.URLVariables, err = hookEntryParams(p, "url_variables"); err != nil {
		return u, err
	}
	if u.CustomHeaders, err = hookEntryParams(p, "custom_headers"); err != nil {
		return u, err
	}
	return u, nil
}

// hookEntryParams reads [{"key": ..., "value": ...}]; both are required.
func hookEntryParams(p params, k string) ([]model.HookEntry, error) {
	kvs, _, err := p.KeyValues(k)
	if err != nil {
		return nil, err
	}
	out := make([]model.HookEntry, 0, len(kvs))
	for _, kv := range kvs {
		if kv.Value == nil {
			return nil, &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": k + "[value] is missing"}}
		}
		out = append(out, model.HookEntry{Key: kv.Key, Value: *kv.Value})
	}
	return out, nil
}

// apiHookError answers a failed save as GitLab's API does: 422 "Invalid url
// given" or "Invalid branch filter given" for those fields, "Custom headers
// validation failed: ..." for the headers, and otherwise the full messages
// — as one sentence when a project or group hook is created (GitLab's
// WebHooks::CreateService), as {"message": {field: [...]}} otherwise.
func apiHookError(err error, sentence bool) error {
	v, ok := model.AsValidation(err)
	if !ok {
		return err
	}
	switch {
	case len(v.For("url")) > 0:
		return model.Unprocessable("Invalid url given")
	case len(v.For("push_events_branch_filter")) > 0:
		return model.Unprocessable("Invalid branch filter given")
	case len(v.For("signing_token")) > 0:
		return model.Unprocessable("Invalid signing token given: it %s", model.SigningTokenProblem)
	case len(v.For("custom_headers")) > 0:
		return model.Unprocessable("Custom headers validation failed: %s", strings.Join(v.For("custom_headers"), ", "))
	}
	if sentence {
		msgs := make([]string, 0, len(v.Errors))
		for _, e := range v.Errors {
			msgs = append(msgs, model.FullMessage(e.Field, e.Message))
		}
		return model.Unprocessable("%s", toSentence(msgs))
	}
	return web.WithStatus(http.StatusUnprocessableEntity, v)
}

// toSentence joins like Rails' Array#to_sentence: "a", "a and b", "a, b, and c".
func toSentence(ss []string) string {
	switch len(ss) {
	case 0:
		return ""
	case 1:
		return ss[0]
	case 2:
		return ss[0] + " and " + ss[1]
	}
	return strings.Join(ss[:len(ss)-1], ", ") + ", and " + ss[len(ss)-1]
}

func hookIDParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("hook_id"), 10, 64)
	if err != nil {
		return 0, invalidParam("hook_id")
	}
	return id, nil
}

// apiHook finds the parent and the hook of a request.
func (h *Handler) apiHook(c echo.Context, parent hookParentFunc) (hookParent, *model.Hook, error) {
	p, err := parent(c)
	if err != nil {
		return p, nil, err
	}
	id, err := hookIDParam(c)
	if err != nil {
		return p, nil, err
	}
	hk, err := h.hookOf(h.ctx(c), p, id)
	return p, hk, err
}

func (h *Handler) apiListHooks(parent hookParentFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := parent(c)
		if err != nil {
			return err
		}
		pg, err := web.Paginate(c)
		if err != nil {
			return err
		}
		hooks, err := h.hooksOf(h.ctx(c), p)
		if err != nil {
			return err
		}
		st, err := h.store.Settings(h.ctx(c))
		if err != nil {
			return err
		}
		page := hooks[min(pg.Offset(), len(hooks)):min(pg.Offset()+pg.PerPage, len(hooks))]
		out := make([]*model.JSONObject, 0, len(page))
		for i := range page {
			out = append(out, hookEntity(&page[i], st, h.srv.Now(), false))
		}
		web.SetPageHeaders(c, h.cfg.ExternalURL, pg, len(hooks))
		return c.JSON(http.StatusOK, out)
	}
}

func (h *Handler) apiGetHook(parent hookParentFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		_, hk, err := h.apiHook(c, parent)
		if err != nil {
			return err
		}
		return h.writeHook(c, http.StatusOK, hk)
	}
}

func (h *Handler) writeHook(c echo.Context, status int, hk *model.Hook) error {
	st, err := h.store.Settings(h.ctx(c))
	if err != nil {
		return err
	}
	return c.JSON(status, hookEntity(hk, st, h.srv.Now(), true))
}

func (h *Handler) apiCreateHook(parent hookParentFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := parent(c)
		if err != nil {
			return err
		}
		ps, err := readParams(c)
		if err != nil {
			return err
		}
		if !ps.Has("url") {
			return missingParam("url")
		}
		u, err := hookUpdateParams(ps, p.kind)
		if err != nil {
			return err
		}
		hk, err := h.createHook(h.ctx(c), p, u, false)
		if err != nil {
			return apiHookError(err, p.kind != model.SystemHookKind)
		}
		return h.writeHook(c, http.StatusCreated, &hk)
	}
}

func (h *Handler) apiUpdateHook(parent hookParentFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, old, err := h.apiHook(c, parent)
		if err != nil {
			return err
		}
		ps, err := readParams(c)
		if err != nil {
			return err
		}
		u, err := hookUpdateParams(ps, p.kind)
		if err != nil {
			return err
		}
		if u.Empty() {
			return model.BadRequest("No parameters provided")
		}
		hk, err := h.updateHook(h.ctx(c), *old, u, false)
		if err != nil {
			return apiHookError(err, false)
		}
		return h.writeHook(c, http.StatusOK, &hk)
	}
}

func (h *Handler) apiDeleteHook(parent hookParentFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		_, hk, err := h.apiHook(c, parent)
		if err != nil {
			return err
		}
		if err := h.store.DeleteHook(h.ctx(c), hk.ID); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// hookEntryKind is what PUT|DELETE .../url_variables/:key and
// .../custom_headers/:key work on.
type hookEntryKind struct {
	notFound string // "URL variable": 404 URL variable Not Found
	unset    string // the 422 message when deleting fails
	valid    func(key, value string) bool
	stored   func(*model.Hook) map[string]string
	update   func(model.HookEntry) model.HookUpdate
}

var (
	urlVariableEntries = hookEntryKind{
		notFound: "URL variable", unset: "Could not unset variable", valid: model.ValidURLVariable,
		stored: func(h *model.Hook) map[string]string { return h.URLVariables },
		update: func(e model.HookEntry) model.HookUpdate { return model.HookUpdate{URLVariables: []model.HookEntry{e}} },
	}
	customHeaderEntries = hookEntryKind{
		notFound: "Custom header", unset: "Could not unset custom header", valid: model.ValidCustomHeader,
		stored: func(h *model.Hook) map[string]string { return h.CustomHeaders },
		update: func(e model.HookEntry) model.HookUpdate { return model.HookUpdate{CustomHeaders: []model.HookEntry{e}} },
	}
)

// apiSetHookEntry sets one URL variable or custom header: 204, or 422
// "Illegal key or value" when the entry or the resulting hook is invalid.
func (h *Handler) apiSetHookEntry(parent hookParentFunc, kind hookEntryKind) echo.HandlerFunc {
	return func(c echo.Context) error {
		_, old, err := h.apiHook(c, parent)
		if err != nil {
			return err
		}
		ps, err := readParams(c)
		if err != nil {
			return err
		}
		value, ok := ps.String("value")
		if !ok {
			return missingParam("value")
		}
		key := pathParam(c, "key")
		if !kind.valid(key, value) {
			return model.Unprocessable("Illegal key or value")
		}
		if _, err := h.updateHook(h.ctx(c), *old, kind.update(model.HookEntry{Key: key, Value: value}), false); err != nil {
			if _, ok := model.AsValidation(err); ok {
				return model.Unprocessable("Illegal key or value")
			}
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// apiDeleteHookEntry removes one URL variable or custom header: 204, 404
// when the hook has no such key.
func (h *Handler) apiDeleteHookEntry(parent hookParentFunc, kind hookEntryKind) echo.HandlerFunc {
	return func(c echo.Context) error {
		_, old, err := h.apiHook(c, parent)
		if err != nil {
			return err
		}
		key := pathParam(c, "key")
		if _, ok := kind.stored(old)[key]; !ok {
			return model.NotFound(kind.notFound)
		}
		if _, err := h.updateHook(h.ctx(c), *old, kind.update(model.HookEntry{Key: key}), false); err != nil {
			if _, ok := model.AsValidation(err); ok {
				return model.Unprocessable("%s", kind.unset)
			}
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}
