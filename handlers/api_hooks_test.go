package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// hookFixture is an instance with a group acme owning project api, and a
// user of each role.
type hookFixture struct {
	a                                       *testApp
	acme                                    *model.Group
	api                                     *model.Project
	admin, owner, maintainer, dev, outsider *model.User
}

func newHookFixture(t *testing.T) *hookFixture {
	t.Helper()
	a := newTestApp(t)
	f := &hookFixture{a: a}
	f.admin = dbtest.User(t, a.store, "root", true)
	f.owner = dbtest.User(t, a.store, "owner", false)
	f.maintainer = dbtest.User(t, a.store, "maintainer", false)
	f.dev = dbtest.User(t, a.store, "dev", false)
	f.outsider = dbtest.User(t, a.store, "outsider", false)
	f.acme = dbtest.Group(t, a.store, "acme", nil, f.owner)
	f.api = dbtest.Project(t, a.store, "api", f.acme)
	dbtest.Member(t, a.store, model.SourceGroup, f.acme.ID, f.maintainer, model.Maintainer)
	dbtest.Member(t, a.store, model.SourceProject, f.api.ID, f.dev, model.Developer)
	return f
}

func projectHooksPath(p *model.Project, rest ...any) string {
	s := "/api/v4/projects/" + itoa(p.ID) + "/hooks"
	for _, r := range rest {
		s += "/" + fmt.Sprint(r)
	}
	return s
}

// wantStatus fails unless rec has status want and (when given) a body
// containing body.
func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, want int, body string) {
	t.Helper()
	if rec.Code != want || !strings.Contains(rec.Body.String(), body) {
		t.Fatalf("got %d %s, want %d with %s", rec.Code, rec.Body, want, body)
	}
}

// seedExcludeMain is the product documents' "every branch except main"
// regex filter: it uses look-ahead, which is not RE2, and is refused.
const seedExcludeMain = `\b(?:m(?!ain\b)|ma(?!in\b)|mai(?!n\b)|[a-l]|[n-z])\w*|\b\w{1,3}\b|\W+`

// Secrets of the API tests; none may ever come back.
const (
	apiPathSecret   = "path-secret-2kd9"
	apiKeySecret    = "key-secret-88xq"
	apiToken        = "api-token-z0z0"
	apiHeaderSecret = "header-secret-u7u7"
)

func TestAPIProjectHookLifecycle(t *testing.T) {
	f := newHookFixture(t)
	tok := f.a.token(f.maintainer)
	var bodies []string
	call := func(method, path string, body any) *httptest.ResponseRecorder {
		t.Helper()
		rec := f.a.api(method, path, tok, body)
		bodies = append(bodies, rec.Body.String())
		return rec
	}

	rec := call(http.MethodPost, projectHooksPath(f.api), map[string]any{
		"url":                       "https://webhook.example.com/{path}?key={value}",
		"name":                      "Receiver",
		"token":                     apiToken,
		"issues_events":             true,
		"member_events":             true, // not a project hook trigger: ignored
		"push_events_branch_filter": "release/*",
		"url_variables":             []map[string]string{{"key": "path", "value": apiPathSecret}, {"key": "value", "value": apiKeySecret}},
		"custom_headers":            []map[string]string{{"key": "Authorization", "value": apiHeaderSecret}},
	})
	wantStatus(t, rec, http.StatusCreated, `"url":"https://webhook.example.com/{path}?key={value}"`)
	var created map[string]any
	decode(t, rec, &created)
	id := int64(created["id"].(float64))
	for k, want := range map[string]any{
		"push_events": true, "issues_events": true, "merge_requests_events": false, "enable_ssl_verification": true,
		"alert_status": "executable", "disabled_until": nil, "branch_filter_strategy": "wildcard",
		"push_events_branch_filter": "release/*", "project_id": float64(f.api.ID), "repository_update_events": false,
	} {
		if fmt.Sprint(created[k]) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", k, created[k], want)
		}
	}
	if _, ok := created["member_events"]; ok {
		t.Error("a project hook shows member_events")
	}
	if got := fmt.Sprint(created["url_variables"]); got != "[map[key:path] map[key:value]]" {
		t.Errorf("url_variables: got %s", got)
	}
	if got := fmt.Sprint(created["custom_headers"]); got != "[map[key:Authorization]]" {
		t.Errorf("custom_headers: got %s", got)
	}

	// The list leaves out url_variables and custom_headers.
	rec = call(http.MethodGet, projectHooksPath(f.api), nil)
	wantStatus(t, rec, http.StatusOK, `"id":`+itoa(id))
	var list []map[string]any
	decode(t, rec, &list)
	if len(list) != 1 || list[0]["url_variables"] != nil || list[0]["custom_headers"] != nil {
		t.Fatalf("list: got %v", list)
	}
	if rec.Header().Get("X-Total") != "1" {
		t.Errorf("X-Total: got %q", rec.Header().Get("X-Total"))
	}

	// PUT merges URL variables and custom headers over the stored ones.
	rec = call(http.MethodPut, projectHooksPath(f.api, id), map[string]any{
		"name":           "Renamed",
		"custom_headers": []map[string]string{{"key": "X-Extra", "value": "extra-secret-1"}},
		"url_variables":  []map[string]string{{"key": "unused", "value": "unused-secret-1"}},
	})
	wantStatus(t, rec, http.StatusOK, `"name":"Renamed"`)
	wantStatus(t, rec, http.StatusOK, `"custom_headers":[{"key":"Authorization"},{"key":"X-Extra"}]`)
	wantStatus(t, rec, http.StatusOK, `"url_variables":[{"key":"path"},{"key":"unused"},{"key":"value"}]`)
	stored, err := f.a.store.Hook(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Token != apiToken || stored.URLVariables["path"] != apiPathSecret || stored.CustomHeaders["Authorization"] != apiHeaderSecret {
		t.Fatalf("merge lost a secret: %+v", stored)
	}

	wantStatus(t, call(http.MethodPut, projectHooksPath(f.api, id), map[string]any{}), http.StatusBadRequest, `{"message":"No parameters provided"}`)
	wantStatus(t, call(http.MethodPut, projectHooksPath(f.api, id), map[string]any{"member_events": true}), http.StatusBadRequest, `No parameters provided`)

	// URL variables one by one.
	wantStatus(t, call(http.MethodPut, projectHooksPath(f.api, id, "url_variables", "extra"), map[string]any{"value": "extra-var-secret"}), http.StatusNoContent, "")
	wantStatus(t, call(http.MethodPut, projectHooksPath(f.api, id, "url_variables", "1bad"), map[string]any{"value": "x"}), http.StatusUnprocessableEntity, `{"message":"Illegal key or value"}`)
	wantStatus(t, call(http.MethodPut, projectHooksPath(f.api, id, "url_variables", "big"), map[string]any{"value": strings.Repeat("v", 2049)}), http.StatusUnprocessableEntity, `Illegal key or value`)
	wantStatus(t, call(http.MethodPut, projectHooksPath(f.api, id, "url_variables", "big"), map[string]any{}), http.StatusBadRequest, `{"error":"value is missing"}`)
	// Changing a value the URL uses points the hook elsewhere: GitLab's
	// reset rule clears the variables and the URL no longer interpolates.
	wantStatus(t, call(http.MethodPut, projectHooksPath(f.api, id, "url_variables", "path"), map[string]any{"value": "elsewhere"}), http.StatusUnprocessableEntity, `Illegal key or value`)
	wantStatus(t, call(http.MethodDelete, projectHooksPath(f.api, id, "url_variables", "nope"), nil), http.StatusNotFound, `{"message":"404 URL variable Not Found"}`)
	wantStatus(t, call(http.MethodDelete, projectHooksPath(f.api, id, "url_variables", "extra"), nil), http.StatusNoContent, "")
	wantStatus(t, call(http.MethodDelete, projectHooksPath(f.api, id, "url_variables", "path"), nil), http.StatusUnprocessableEntity, `{"message":"Could not unset variable"}`)

	// Custom headers one by one.
	wantStatus(t, call(http.MethodPut, projectHooksPath(f.api, id, "custom_headers", "X-Third"), map[string]any{"value": "third-secret"}), http.StatusNoContent, "")
	wantStatus(t, call(http.MethodPut, projectHooksPath(f.api, id, "custom_headers", "X-Bad"), map[string]any{"value": "a\\nb"}), http.StatusUnprocessableEntity, `Illegal key or value`)
	wantStatus(t, call(http.MethodDelete, projectHooksPath(f.api, id, "custom_headers", "X-None"), nil), http.StatusNotFound, `{"message":"404 Custom header Not Found"}`)
	wantStatus(t, call(http.MethodDelete, projectHooksPath(f.api, id, "custom_headers", "X-Extra"), nil), http.StatusNoContent, "")
	rec = call(http.MethodGet, projectHooksPath(f.api, id), nil)
	wantStatus(t, rec, http.StatusOK, `"custom_headers":[{"key":"Authorization"},{"key":"X-Third"}]`)
	wantStatus(t, rec, http.StatusOK, `"url_variables":[{"key":"path"},{"key":"unused"},{"key":"value"}]`)

	// Another project's hook ID is not found here.
	other := dbtest.Project(t, f.a.store, "other", f.acme)
	wantStatus(t, call(http.MethodGet, projectHooksPath(other, id), nil), http.StatusNotFound, `{"message":"404 Not found"}`)
	wantStatus(t, call(http.MethodGet, projectHooksPath(f.api, "abc"), nil), http.StatusBadRequest, `hook_id is invalid`)

	wantStatus(t, call(http.MethodDelete, projectHooksPath(f.api, id), nil), http.StatusNoContent, "")
	wantStatus(t, call(http.MethodGet, projectHooksPath(f.api, id), nil), http.StatusNotFound, `404 Not found`)

	all := strings.Join(bodies, "\n") + f.a.logs.String()
	for _, secret := range []string{apiPathSecret, apiKeySecret, apiToken, apiHeaderSecret, "extra-secret-1", "unused-secret-1", "extra-var-secret", "third-secret"} {
		if strings.Contains(all, secret) {
			t.Errorf("a response or log line holds %q", secret)
		}
	}
}

func TestAPIHookValidationMessages(t *testing.T) {
	f := newHookFixture(t)
	tok := f.a.token(f.maintainer)
	headers := func(n, valueLen int) []map[string]string {
		var out []map[string]string
		for i := range n {
			out = append(out, map[string]string{"key": fmt.Sprintf("X-H%d", i), "value": strings.Repeat("v", valueLen)})
		}
		return out
	}
	vars := func(n int) ([]map[string]string, string) {
		var out []map[string]string
		url := "https://webhook.example.com/"
		for i := range n {
			k := "v" + strings.Repeat("x", i+1)
			out = append(out, map[string]string{"key": k, "value": "s"})
			url += "{" + k + "}"
		}
		return out, url
	}
	vars20, url20 := vars(20)
	vars21, url21 := vars(21)
	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		want   string
	}{
		{"missing url", map[string]any{"name": "x"}, 400, `{"error":"url is missing"}`},
		{"blank url", map[string]any{"url": " "}, 422, `{"message":"Invalid url given"}`},
		{"ftp", map[string]any{"url": "ftp://webhook.example.com"}, 422, `{"message":"Invalid url given"}`},
		{"unparsable", map[string]any{"url": "https://exa mple.com/%%"}, 422, `{"message":"Invalid url given"}`},
		{"missing keys", map[string]any{"url": "https://webhook.example.com/{foo}/{three}"}, 422, `{"message":"Invalid url given"}`},
		{"loopback by default", map[string]any{"url": "http://127.0.0.1:9/hook"}, 422, `{"message":"Invalid url given"}`},
		{"SIIT loopback", map[string]any{"url": "http://[::ffff:0:7f00:1]:9/hook"}, 422, `{"message":"Invalid url given"}`},
		{"wildcard filter", map[string]any{"url": "https://webhook.example.com", "push_events_branch_filter": "feature branch~"}, 422, `{"message":"Invalid branch filter given"}`},
		{"wildcard with *", map[string]any{"url": "https://webhook.example.com", "push_events_branch_filter": "*-stable"}, 201, `"push_events_branch_filter":"*-stable"`},
		{"wildcard squished", map[string]any{"url": "https://webhook.example.com", "push_events_branch_filter": "  production/*  "}, 201, `"push_events_branch_filter":"production/*"`},
		{"wildcard with ..", map[string]any{"url": "https://webhook.example.com", "push_events_branch_filter": "feature..x"}, 422, `{"message":"Invalid branch filter given"}`},
		{"wildcard of 4001 characters", map[string]any{"url": "https://webhook.example.com", "push_events_branch_filter": strings.Repeat("a", 4001)}, 422, `{"message":"Invalid branch filter given"}`},
		{"regex filter with look-ahead", map[string]any{"url": "https://webhook.example.com", "branch_filter_strategy": "regex",
			"push_events_branch_filter": seedExcludeMain}, 422, `{"message":"Invalid branch filter given"}`},
		{"regex filter of 4097 characters", map[string]any{"url": "https://webhook.example.com", "branch_filter_strategy": "regex",
			"push_events_branch_filter": strings.Repeat("a", 4097)}, 422, `{"message":"Invalid branch filter given"}`},
		{"regex filter of 4096 characters", map[string]any{"url": "https://webhook.example.com", "branch_filter_strategy": "regex",
			"push_events_branch_filter": strings.Repeat("a", 4096)}, 201, `"branch_filter_strategy":"regex"`},
		{"regex filter RE2", map[string]any{"url": "https://webhook.example.com", "branch_filter_strategy": "regex",
			"push_events_branch_filter": `^(feature|hotfix)/`}, 201, `"branch_filter_strategy":"regex"`},
		{"all branches drops the filter", map[string]any{"url": "https://webhook.example.com", "branch_filter_strategy": "all_branches",
			"push_events_branch_filter": "main"}, 201, `"push_events_branch_filter":null`},
		{"bad strategy", map[string]any{"url": "https://webhook.example.com", "branch_filter_strategy": "nope"}, 400, `{"error":"branch_filter_strategy does not have a valid value"}`},
		{"bad boolean", map[string]any{"url": "https://webhook.example.com", "push_events": "maybe"}, 400, `{"error":"push_events is invalid"}`},
		{"20 headers", map[string]any{"url": "https://webhook.example.com", "custom_headers": headers(20, 2048)}, 201, `"custom_headers":[{"key":"X-H0"}`},
		{"21 headers", map[string]any{"url": "https://webhook.example.com", "custom_headers": headers(21, 1)}, 422, `{"message":"Custom headers validation failed: must be a valid json schema"}`},
		{"2049 header chars", map[string]any{"url": "https://webhook.example.com", "custom_headers": headers(1, 2049)}, 422, `Custom headers validation failed`},
		{"header name", map[string]any{"url": "https://webhook.example.com", "custom_headers": []map[string]string{{"key": "MY--TOKEN", "value": "v"}}}, 422, `Custom headers validation failed`},
		{"Host header", map[string]any{"url": "https://webhook.example.com", "custom_headers": []map[string]string{{"key": "host", "value": "internal.example"}}}, 422, `Custom headers validation failed`},
		{"hop-by-hop header", map[string]any{"url": "https://webhook.example.com", "custom_headers": []map[string]string{{"key": "Transfer-Encoding", "value": "chunked"}}}, 422, `Custom headers validation failed`},
		{"proxy header", map[string]any{"url": "https://webhook.example.com", "custom_headers": []map[string]string{{"key": "Proxy-Authorization", "value": "x"}}}, 422, `Custom headers validation failed`},
		{"header without value", map[string]any{"url": "https://webhook.example.com", "custom_headers": []map[string]string{{"key": "X"}}}, 400, `{"error":"custom_headers[value] is missing"}`},
		{"20 variables", map[string]any{"url": url20, "url_variables": vars20}, 201, `"url_variables":[{"key":"vx"}`},
		{"21 variables", map[string]any{"url": url21, "url_variables": vars21}, 422, `{"message":"Url variables must be a valid json schema"}`},
		{"variable names", map[string]any{"url": "https://webhook.example.com/{a}", "url_variables": []map[string]string{{"key": "a", "value": "1"}, {"key": "foo2bar", "value": "2"}}}, 422, `Url variables must be a valid json schema`},
		{"allowed variable names", map[string]any{"url": "https://webhook.example.com/{k10}/{MY_TOKEN}/{x-y-z}/{f.o.o}", "url_variables": []map[string]string{
			{"key": "k10", "value": "1"}, {"key": "MY_TOKEN", "value": "2"}, {"key": "x-y-z", "value": "3"}, {"key": "f.o.o", "value": "4"}}}, 201, `{"key":"MY_TOKEN"}`},
		{"2049 variable chars", map[string]any{"url": "https://webhook.example.com/{a}", "url_variables": []map[string]string{{"key": "a", "value": strings.Repeat("v", 2049)}}}, 422, `Url variables must be a valid json schema`},
		{"interpolated loopback", map[string]any{"url": "http://{host}/hook", "url_variables": []map[string]string{{"key": "host", "value": "127.0.0.1"}}}, 422,
			`{"message":"Interpolated url is blocked: Requests to loopback addresses are not allowed — allow it with allow_local_requests_from_web_hooks_and_services or outbound_local_requests_allowlist"}`},
		{"name and description", map[string]any{"url": "https://webhook.example.com", "name": strings.Repeat("n", 256), "description": strings.Repeat("d", 2049)}, 422,
			`{"message":"Name is too long (maximum is 255 characters) and Description is too long (maximum is 2048 characters)"}`},
		{"token with a line break", map[string]any{"url": "https://webhook.example.com", "token": "a\nb"}, 422, `{"message":"Token is invalid"}`},
		{"template too long", map[string]any{"url": "https://webhook.example.com", "custom_webhook_template": strings.Repeat("t", 4097)}, 422, `Custom webhook template is too long (maximum is 4096 characters)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.a.api(http.MethodPost, projectHooksPath(f.api), tok, tc.body)
			wantStatus(t, rec, tc.status, tc.want)
			if strings.Contains(rec.Body.String(), "127.0.0.1") && tc.status == 422 && tc.name == "interpolated loopback" {
				t.Fatal("the message names a URL variable's value")
			}
		})
	}

	// Update errors are GitLab's render_validation_error: a field map.
	rec := f.a.api(http.MethodPost, projectHooksPath(f.api), tok, map[string]any{"url": "https://webhook.example.com/u"})
	wantStatus(t, rec, http.StatusCreated, "")
	var h map[string]any
	decode(t, rec, &h)
	id := int64(h["id"].(float64))
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"name", map[string]any{"name": strings.Repeat("n", 256)}, `{"message":{"name":["is too long (maximum is 255 characters)"]}}`},
		{"url", map[string]any{"url": "ftp://x"}, `{"message":"Invalid url given"}`},
		{"filter", map[string]any{"branch_filter_strategy": "regex", "push_events_branch_filter": "(?<=x)"}, `{"message":"Invalid branch filter given"}`},
		{"headers", map[string]any{"custom_headers": headers(21, 1)}, `Custom headers validation failed: must be a valid json schema`},
	} {
		t.Run("update "+tc.name, func(t *testing.T) {
			wantStatus(t, f.a.api(http.MethodPut, projectHooksPath(f.api, id), tok, tc.body), http.StatusUnprocessableEntity, tc.want)
		})
	}
}

func TestAPIHookUpdateResetRules(t *testing.T) {
	f := newHookFixture(t)
	tok := f.a.token(f.maintainer)
	rec := f.a.api(http.MethodPost, projectHooksPath(f.api), tok, map[string]any{
		"url":            "https://webhook.example.com/{path}",
		"token":          "reset-token",
		"url_variables":  []map[string]string{{"key": "path", "value": "old-path"}},
		"custom_headers": []map[string]string{{"key": "X-Key", "value": "old-header"}},
	})
	wantStatus(t, rec, http.StatusCreated, "")
	var h map[string]any
	decode(t, rec, &h)
	id := int64(h["id"].(float64))
	hook := func() *model.Hook {
		got, err := f.a.store.Hook(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	// A new URL that keeps the old variable: the variables are cleared, so
	// the URL no longer interpolates and nothing changes.
	wantStatus(t, f.a.api(http.MethodPut, projectHooksPath(f.api, id), tok, map[string]any{"url": "https://public.example.com/{path}"}),
		http.StatusUnprocessableEntity, `Invalid url given`)
	if got := hook(); got.URL != "https://webhook.example.com/{path}" || got.Token != "reset-token" {
		t.Fatalf("a refused update changed the hook: %+v", got)
	}
	// Pointing it elsewhere with a complete new set works, and clears the
	// token (not resupplied) and the custom headers.
	wantStatus(t, f.a.api(http.MethodPut, projectHooksPath(f.api, id), tok, map[string]any{
		"url":           "https://public.example.com/{dest}",
		"url_variables": []map[string]string{{"key": "dest", "value": "new-dest"}, {"key": "path", "value": ""}},
	}), http.StatusOK, `"url_variables":[{"key":"dest"}]`)
	got := hook()
	if got.Token != "" || len(got.CustomHeaders) != 0 || !maps(got.URLVariables, map[string]string{"dest": "new-dest"}) {
		t.Fatalf("after pointing elsewhere: token %q headers %v vars %v", got.Token, got.CustomHeaders, got.URLVariables)
	}
	// The URL unchanged and the token resupplied: kept.
	wantStatus(t, f.a.api(http.MethodPut, projectHooksPath(f.api, id), tok, map[string]any{"token": "new-token", "name": "n"}), http.StatusOK, "")
	if got := hook(); got.Token != "new-token" {
		t.Fatalf("token: got %q", got.Token)
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestAPIHookPermissions(t *testing.T) {
	f := newHookFixture(t)
	body := map[string]any{"url": "https://webhook.example.com/p"}
	groupPath := "/api/v4/groups/" + itoa(f.acme.ID) + "/hooks"
	for _, tc := range []struct {
		name   string
		user   *model.User
		method string
		path   string
		want   int
	}{
		{"project: maintainer lists", f.maintainer, http.MethodGet, projectHooksPath(f.api), 200},
		{"project: maintainer adds", f.maintainer, http.MethodPost, projectHooksPath(f.api), 201},
		{"project: developer may not list", f.dev, http.MethodGet, projectHooksPath(f.api), 403},
		{"project: developer may not add", f.dev, http.MethodPost, projectHooksPath(f.api), 403},
		{"project: outsider does not see it", f.outsider, http.MethodGet, projectHooksPath(f.api), 404},
		{"project: by path", f.maintainer, http.MethodGet, "/api/v4/projects/acme%2Fapi/hooks", 200},
		{"group: owner lists", f.owner, http.MethodGet, groupPath, 200},
		{"group: owner adds", f.owner, http.MethodPost, groupPath, 201},
		{"group: maintainer may not", f.maintainer, http.MethodGet, groupPath, 403},
		{"group: developer below may not", f.dev, http.MethodGet, groupPath, 403},
		{"group: outsider does not see it", f.outsider, http.MethodGet, groupPath, 404},
		{"group: admin", f.admin, http.MethodPost, groupPath, 201},
		{"system: admin lists", f.admin, http.MethodGet, "/api/v4/hooks", 200},
		{"system: admin adds", f.admin, http.MethodPost, "/api/v4/hooks", 201},
		{"system: owner may not", f.owner, http.MethodGet, "/api/v4/hooks", 403},
		{"system: owner may not add", f.owner, http.MethodPost, "/api/v4/hooks", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b any
			if tc.method == http.MethodPost {
				b = body
			}
			rec := f.a.api(tc.method, tc.path, f.a.token(tc.user), b)
			if rec.Code != tc.want {
				t.Fatalf("got %d %s, want %d", rec.Code, rec.Body, tc.want)
			}
		})
	}
	if rec := f.a.api(http.MethodGet, projectHooksPath(f.api), "", nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("anonymous: got %d", rec.Code)
	}
	ro := f.a.token(f.maintainer, model.ScopeReadAPI)
	if rec := f.a.api(http.MethodPost, projectHooksPath(f.api), ro, body); rec.Code != http.StatusForbidden {
		t.Fatalf("read_api token adds: got %d", rec.Code)
	}
}

func TestAPIGroupAndSystemHooks(t *testing.T) {
	f := newHookFixture(t)
	tok := f.a.token(f.owner)
	groupPath := "/api/v4/groups/acme/hooks"
	rec := f.a.api(http.MethodPost, groupPath, tok, map[string]any{
		"url": "https://webhook.example.com/g", "member_events": true, "subgroup_events": true, "push_events": false,
		"repository_update_events": true, // a system hook trigger: ignored
	})
	wantStatus(t, rec, http.StatusCreated, `"group_id":`+itoa(f.acme.ID))
	for _, want := range []string{`"member_events":true`, `"subgroup_events":true`, `"project_events":false`, `"push_events":false`, `"repository_update_events":false`} {
		wantStatus(t, rec, http.StatusCreated, want)
	}
	var g map[string]any
	decode(t, rec, &g)
	gid := int64(g["id"].(float64))
	wantStatus(t, f.a.api(http.MethodPut, fmt.Sprintf("%s/%d/url_variables/extra", groupPath, gid), tok, map[string]any{"value": "v"}), http.StatusNoContent, "")
	wantStatus(t, f.a.api(http.MethodPut, fmt.Sprintf("%s/%d/custom_headers/X-Extra", groupPath, gid), tok, map[string]any{"value": "v"}), http.StatusNoContent, "")
	wantStatus(t, f.a.api(http.MethodGet, fmt.Sprintf("%s/%d", groupPath, gid), tok, nil), http.StatusOK, `"custom_headers":[{"key":"X-Extra"}]`)
	// A group hook is not a project hook.
	wantStatus(t, f.a.api(http.MethodGet, projectHooksPath(f.api, gid), f.a.token(f.admin), nil), http.StatusNotFound, "")

	admin := f.a.token(f.admin)
	rec = f.a.api(http.MethodPost, "/api/v4/hooks", admin, map[string]any{"url": "http://127.0.0.1:9/system", "tag_push_events": true, "issues_events": true})
	// System hooks may reach local addresses by default
	// (allow_local_requests_from_system_hooks).
	wantStatus(t, rec, http.StatusCreated, `"repository_update_events":true`)
	wantStatus(t, rec, http.StatusCreated, `"tag_push_events":true`)
	if strings.Contains(rec.Body.String(), "issues_events") || strings.Contains(rec.Body.String(), "project_id") {
		t.Fatalf("system hook entity: %s", rec.Body)
	}
	var s map[string]any
	decode(t, rec, &s)
	sid := int64(s["id"].(float64))
	wantStatus(t, f.a.api(http.MethodGet, fmt.Sprintf("/api/v4/hooks/%d", sid), admin, nil), http.StatusOK, `"url":"http://127.0.0.1:9/system"`)
	wantStatus(t, f.a.api(http.MethodPost, "/api/v4/hooks", admin, map[string]any{"url": "ftp://x"}), http.StatusUnprocessableEntity, `{"message":"Invalid url given"}`)
	wantStatus(t, f.a.api(http.MethodGet, fmt.Sprintf("/api/v4/hooks/%d", gid), admin, nil), http.StatusNotFound, "")
	wantStatus(t, f.a.api(http.MethodDelete, fmt.Sprintf("/api/v4/hooks/%d", sid), admin, nil), http.StatusNoContent, "")
	wantStatus(t, f.a.api(http.MethodDelete, fmt.Sprintf("/api/v4/hooks/%d", sid), admin, nil), http.StatusNotFound, "")
}

func TestAPIHookLimit(t *testing.T) {
	f := newHookFixture(t)
	st, _ := f.a.store.Settings(context.Background())
	st.ProjectHooksLimit = 1
	if err := f.a.store.UpdateSettings(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	tok := f.a.token(f.maintainer)
	wantStatus(t, f.a.api(http.MethodPost, projectHooksPath(f.api), tok, map[string]any{"url": "https://webhook.example.com/1"}), http.StatusCreated, "")
	wantStatus(t, f.a.api(http.MethodPost, projectHooksPath(f.api), tok, map[string]any{"url": "https://webhook.example.com/2"}),
		http.StatusUnprocessableEntity, `{"message":"Maximum number of project hooks (1) exceeded"}`)
}

func TestPublicURLCheckOnSave(t *testing.T) {
	for _, tc := range []struct {
		name      string
		url       string
		allowlist []string
		allow     bool
		ok        bool
	}{
		{"public name", "https://public.example.com/hook", nil, false, true},
		{"public address", "https://93.184.215.14/hook", nil, false, true},
		{"loopback", "http://127.0.0.1:8080/hook", nil, false, false},
		{"loopback in decimal", "http://2130706433/hook", nil, false, false},
		{"IPv6 loopback", "http://[::1]/hook", nil, false, false},
		{"mapped loopback", "http://[::ffff:127.0.0.1]/hook", nil, false, false},
		{"localhost", "http://localhost/hook", nil, false, false},
		{"private name", "http://internal.example.com/hook", nil, false, false},
		{"link-local metadata", "http://169.254.169.254/latest", nil, false, false},
		{"CGNAT", "http://100.64.1.1/", nil, false, false},
		{"one public address is enough", "http://mixed.example.com/", nil, false, true},
		{"unresolvable", "http://nowhere.invalid/", nil, false, false},
		{"allowed by the setting", "http://127.0.0.1:8080/hook", nil, true, true},
		{"allowed by address", "http://127.0.0.1:8080/hook", []string{"127.0.0.1"}, false, true},
		{"allowed by address and port", "http://127.0.0.1:8080/hook", []string{"127.0.0.1:8080"}, false, true},
		{"other port not allowed", "http://127.0.0.1:8081/hook", []string{"127.0.0.1:8080"}, false, false},
		{"allowed by range", "http://10.1.2.3/hook", []string{"10.0.0.0/8"}, false, true},
		{"allowed by name", "http://internal.example.com/hook", []string{"internal.example.com"}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newHookFixture(t)
			st, _ := f.a.store.Settings(context.Background())
			st.AllowLocalRequestsFromWebHooksAndServices = tc.allow
			st.OutboundLocalRequestsAllowlist = tc.allowlist
			if err := f.a.store.UpdateSettings(context.Background(), st); err != nil {
				t.Fatal(err)
			}
			rec := f.a.api(http.MethodPost, projectHooksPath(f.api), f.a.token(f.maintainer), map[string]any{"url": tc.url})
			if tc.ok {
				wantStatus(t, rec, http.StatusCreated, "")
			} else {
				wantStatus(t, rec, http.StatusUnprocessableEntity, `{"message":"Invalid url given"}`)
			}
		})
	}
	// The form shows the reason and the setting that would allow it.
	f := newHookFixture(t)
	b := f.a.signedIn(f.maintainer)
	b.get("/acme/api/-/hooks/new")
	rec := b.postForm("/acme/api/-/hooks", hookForm(map[string]string{"url": "http://127.0.0.1:8080/hook"}))
	wantStatus(t, rec, http.StatusUnprocessableEntity, "is blocked: Requests to loopback addresses are not allowed: 127.0.0.1 — allow it with allow_local_requests_from_web_hooks_and_services or outbound_local_requests_allowlist")
	if n, _ := f.a.store.CountHooks(context.Background(), model.ProjectHookKind, f.api.ID); n != 0 {
		t.Fatalf("a blocked hook was stored")
	}
	// System hooks follow their own setting.
	st, _ := f.a.store.Settings(context.Background())
	st.AllowLocalRequestsFromSystemHooks = false
	_ = f.a.store.UpdateSettings(context.Background(), st)
	wantStatus(t, f.a.api(http.MethodPost, "/api/v4/hooks", f.a.token(f.admin), map[string]any{"url": "http://127.0.0.1/"}),
		http.StatusUnprocessableEntity, `Invalid url given`)
}

// curl users send form bodies: url_variables[][key]=...&url_variables[][value]=...
// pairs up by position, whatever order the keys are read in.
func TestAPIHookFormEncodedParams(t *testing.T) {
	f := newHookFixture(t)
	tok := f.a.token(f.maintainer)
	for i := range 5 {
		body := url.Values{
			"url":                     {fmt.Sprintf("https://webhook.example.com/%d/{a}/{b}", i)},
			"url_variables[][key]":    {"a", "b"},
			"url_variables[][value]":  {"one", "two"},
			"custom_headers[][key]":   {"X-A", "X-B"},
			"custom_headers[][value]": {"h1", "h2"},
			"push_events":             {"false"},
			"issues_events":           {"true"},
		}
		req := httptest.NewRequest(http.MethodPost, projectHooksPath(f.api), strings.NewReader(body.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("PRIVATE-TOKEN", tok)
		rec := f.a.serve(req)
		wantStatus(t, rec, http.StatusCreated, `"issues_events":true`)
		var h map[string]any
		decode(t, rec, &h)
		got, err := f.a.store.Hook(context.Background(), int64(h["id"].(float64)))
		if err != nil {
			t.Fatal(err)
		}
		if !maps(got.URLVariables, map[string]string{"a": "one", "b": "two"}) || !maps(got.CustomHeaders, map[string]string{"X-A": "h1", "X-B": "h2"}) || got.Events.Has("push_events") {
			t.Fatalf("stored: vars %v headers %v events %v", got.URLVariables, got.CustomHeaders, got.Events.Attributes())
		}
	}
}
