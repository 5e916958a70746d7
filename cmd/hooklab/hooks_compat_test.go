package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-retryablehttp"
	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// recorder keeps every API response body the client saw, so a test can
// assert that none holds a secret.
type recorder struct {
	mu     sync.Mutex
	bodies bytes.Buffer
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.bodies.Write(b)
	r.bodies.WriteByte('\n')
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bodies.String()
}

// withURLVariables adds url_variables to a create request's JSON body:
// client-go's AddProjectHookOptions and AddGroupHookOptions have no field
// for them, though GitLab's API takes them.
func withURLVariables(vars ...gitlab.HookURLVariable) gitlab.RequestOptionFunc {
	return func(req *retryablehttp.Request) error {
		body, err := req.BodyBytes()
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return err
		}
		m["url_variables"] = vars
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		return req.SetBody(b)
	}
}

func headerKeys(hs []*gitlab.HookCustomHeader) []string {
	var out []string
	for _, h := range hs {
		if h.Value != "" {
			out = append(out, "VALUE:"+h.Value)
		}
		out = append(out, h.Key)
	}
	return out
}

func variableKeys(vs []gitlab.HookURLVariable) []string {
	var out []string
	for _, v := range vs {
		if v.Value != "" {
			out = append(out, "VALUE:"+v.Value)
		}
		out = append(out, v.Key)
	}
	return out
}

// The real GitLab Go client manages project, group and system hooks: URL
// variables and custom headers are set, merged and removed, and only their
// keys ever come back.
func TestClientGoHooks(t *testing.T) {
	inst := startInstance(t)
	rec := &recorder{}
	gl, err := gitlab.NewClient(inst.token(t, "root"), gitlab.WithBaseURL(inst.URL+"/api/v4"),
		gitlab.WithHTTPClient(&http.Client{Transport: rec}))
	if err != nil {
		t.Fatal(err)
	}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(receiver.Close)
	base := receiver.URL // http://127.0.0.1:port

	const (
		pathSecret   = "client-path-secret-1a"
		tokenSecret  = "client-token-secret-2b"
		headerSecret = "client-header-secret-3c"
		header2      = "client-header-secret-4d"
		extraVar     = "client-extra-var-5e"
		groupSecret  = "client-group-secret-6f"
	)
	secrets := []string{pathSecret, tokenSecret, headerSecret, header2, extraVar, groupSecret}

	// Hooks to 127.0.0.1 need the admin setting; by default they are refused.
	acme, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	proj, _, err := gl.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr("API"), Path: gitlab.Ptr("api"), NamespaceID: gitlab.Ptr(acme.ID)})
	if err != nil {
		t.Fatal(err)
	}
	_, resp, err := gl.Projects.AddProjectHook(proj.ID, &gitlab.AddProjectHookOptions{URL: gitlab.Ptr(base + "/refused")})
	if err == nil || resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), "Invalid url given") {
		t.Fatalf("a loopback hook with the default settings: got %v", err)
	}
	if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromWebHooksAndServices: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}

	hook, resp, err := gl.Projects.AddProjectHook(proj.ID, &gitlab.AddProjectHookOptions{
		URL:                    gitlab.Ptr(base + "/hook/{path}"),
		Name:                   gitlab.Ptr("Receiver"),
		Token:                  gitlab.Ptr(tokenSecret),
		IssuesEvents:           gitlab.Ptr(true),
		PushEventsBranchFilter: gitlab.Ptr("release/*"),
		BranchFilterStrategy:   gitlab.Ptr("wildcard"),
		EnableSSLVerification:  gitlab.Ptr(false),
		CustomHeaders:          &[]*gitlab.HookCustomHeader{{Key: "Authorization", Value: headerSecret}},
	}, withURLVariables(gitlab.HookURLVariable{Key: "path", Value: pathSecret}))
	if err != nil {
		t.Fatalf("add project hook: %v", err)
	}
	if resp.StatusCode != http.StatusCreated || hook.URL != base+"/hook/{path}" || hook.ProjectID != proj.ID || !hook.IssuesEvents ||
		!hook.PushEvents || hook.EnableSSLVerification || hook.PushEventsBranchFilter != "release/*" || hook.AlertStatus != "executable" {
		t.Fatalf("added hook: %+v", hook)
	}
	if got := variableKeys(hook.URLVariables); !slices.Equal(got, []string{"path"}) {
		t.Fatalf("url variables: got %v", got)
	}
	if got := headerKeys(hook.CustomHeaders); !slices.Equal(got, []string{"Authorization"}) {
		t.Fatalf("custom headers: got %v", got)
	}

	// EditProjectHook merges custom headers over the stored ones.
	edited, _, err := gl.Projects.EditProjectHook(proj.ID, hook.ID, &gitlab.EditProjectHookOptions{
		Name:          gitlab.Ptr("Renamed"),
		CustomHeaders: &[]*gitlab.HookCustomHeader{{Key: "X-Second", Value: header2}},
	})
	if err != nil {
		t.Fatalf("edit project hook: %v", err)
	}
	if edited.Name != "Renamed" || !slices.Equal(headerKeys(edited.CustomHeaders), []string{"Authorization", "X-Second"}) {
		t.Fatalf("edited: %+v headers %v", edited, headerKeys(edited.CustomHeaders))
	}

	if _, err := gl.Projects.SetProjectWebhookURLVariable(proj.ID, hook.ID, "extra", &gitlab.SetProjectWebhookURLVariableOptions{Value: gitlab.Ptr(extraVar)}); err != nil {
		t.Fatalf("set URL variable: %v", err)
	}
	got, _, err := gl.Projects.GetProjectHook(proj.ID, hook.ID)
	if err != nil || !slices.Equal(variableKeys(got.URLVariables), []string{"extra", "path"}) {
		t.Fatalf("after setting a variable: %v (%v)", variableKeys(got.URLVariables), err)
	}
	if _, err := gl.Projects.DeleteProjectWebhookURLVariable(proj.ID, hook.ID, "extra"); err != nil {
		t.Fatalf("delete URL variable: %v", err)
	}
	resp, err = gl.Projects.DeleteProjectWebhookURLVariable(proj.ID, hook.ID, "extra")
	if err == nil || resp.StatusCode != http.StatusNotFound || !strings.Contains(rec.String(), `{"message":"404 URL variable Not Found"}`) {
		t.Fatalf("delete a missing URL variable: got %v", err)
	}
	if _, err := gl.Projects.SetProjectCustomHeader(proj.ID, hook.ID, "X-Third", &gitlab.SetHookCustomHeaderOptions{Value: gitlab.Ptr("third")}); err != nil {
		t.Fatalf("set custom header: %v", err)
	}
	if _, err := gl.Projects.DeleteProjectCustomHeader(proj.ID, hook.ID, "X-Second"); err != nil {
		t.Fatalf("delete custom header: %v", err)
	}
	got, _, err = gl.Projects.GetProjectHook(proj.ID, hook.ID)
	if err != nil || !slices.Equal(headerKeys(got.CustomHeaders), []string{"Authorization", "X-Third"}) {
		t.Fatalf("after the header changes: %v (%v)", headerKeys(got.CustomHeaders), err)
	}
	list, _, err := gl.Projects.ListProjectHooks(proj.ID, nil)
	if err != nil || len(list) != 1 || list[0].URLVariables != nil || list[0].CustomHeaders != nil {
		t.Fatalf("list: %+v (%v)", list, err)
	}
	stored, err := inst.store().Hook(context.Background(), hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Token != tokenSecret || stored.URLVariables["path"] != pathSecret || stored.CustomHeaders["Authorization"] != headerSecret {
		t.Fatalf("stored secrets: %+v", stored)
	}

	// Group hooks.
	gh, _, err := gl.Groups.AddGroupHook(acme.ID, &gitlab.AddGroupHookOptions{
		URL: gitlab.Ptr(base + "/group"), MemberEvents: gitlab.Ptr(true), SubGroupEvents: gitlab.Ptr(true),
	})
	if err != nil {
		t.Fatalf("add group hook: %v", err)
	}
	if gh.GroupID != acme.ID || !gh.MemberEvents || !gh.SubGroupEvents || !gh.PushEvents {
		t.Fatalf("group hook: %+v", gh)
	}
	if _, err := gl.Groups.SetGroupHookURLVariable(acme.ID, gh.ID, "unused", &gitlab.SetHookURLVariableOptions{Value: gitlab.Ptr(groupSecret)}); err != nil {
		t.Fatalf("set group URL variable: %v", err)
	}
	if _, err := gl.Groups.SetGroupCustomHeader(acme.ID, gh.ID, "X-Group", &gitlab.SetHookCustomHeaderOptions{Value: gitlab.Ptr(groupSecret)}); err != nil {
		t.Fatalf("set group custom header: %v", err)
	}
	gh, _, err = gl.Groups.GetGroupHook("acme", gh.ID)
	if err != nil || !slices.Equal(headerKeys(gh.CustomHeaders), []string{"X-Group"}) {
		t.Fatalf("group hook: %+v (%v)", gh, err)
	}
	edGroup, _, err := gl.Groups.EditGroupHook(acme.ID, gh.ID, &gitlab.EditGroupHookOptions{ProjectEvents: gitlab.Ptr(true)})
	if err != nil || !edGroup.ProjectEvents || !edGroup.MemberEvents {
		t.Fatalf("edit group hook: %+v (%v)", edGroup, err)
	}
	if _, err := gl.Groups.DeleteGroupCustomHeader(acme.ID, gh.ID, "X-Group"); err != nil {
		t.Fatalf("delete group custom header: %v", err)
	}
	if _, err := gl.Groups.DeleteGroupHookURLVariable(acme.ID, gh.ID, "unused"); err != nil {
		t.Fatalf("delete group URL variable: %v", err)
	}
	glist, _, err := gl.Groups.ListGroupHooks(acme.ID, nil)
	if err != nil || len(glist) != 1 {
		t.Fatalf("list group hooks: %v (%v)", glist, err)
	}
	if _, err := gl.Groups.DeleteGroupHook(acme.ID, gh.ID); err != nil {
		t.Fatalf("delete group hook: %v", err)
	}

	// System hooks.
	sh, _, err := gl.SystemHooks.AddHook(&gitlab.AddHookOptions{
		URL: gitlab.Ptr(base + "/system"), Token: gitlab.Ptr(tokenSecret), PushEvents: gitlab.Ptr(true), MergeRequestsEvents: gitlab.Ptr(true),
	})
	if err != nil {
		t.Fatalf("add system hook: %v", err)
	}
	if !sh.PushEvents || !sh.MergeRequestsEvents || !sh.RepositoryUpdateEvents || sh.TagPushEvents || !sh.EnableSSLVerification {
		t.Fatalf("system hook: %+v", sh)
	}
	shs, _, err := gl.SystemHooks.ListHooks()
	if err != nil || len(shs) != 1 || shs[0].ID != sh.ID {
		t.Fatalf("list system hooks: %v (%v)", shs, err)
	}
	if one, _, err := gl.SystemHooks.GetHook(sh.ID); err != nil || one.URL != base+"/system" {
		t.Fatalf("get system hook: %+v (%v)", one, err)
	}
	if _, err := gl.SystemHooks.DeleteHook(sh.ID); err != nil {
		t.Fatalf("delete system hook: %v", err)
	}
	// Only administrators manage system hooks.
	dev, _, err := gl.Users.CreateUser(&gitlab.CreateUserOptions{Email: gitlab.Ptr("dev@example.com"), Username: gitlab.Ptr("dev"),
		Name: gitlab.Ptr("Dev"), Password: gitlab.Ptr("a long password")})
	if err != nil {
		t.Fatal(err)
	}
	devClient := inst.client(t, dev.Username)
	var gerr *gitlab.ErrorResponse
	if _, _, err := devClient.SystemHooks.ListHooks(); !errors.As(err, &gerr) || gerr.Response.StatusCode != http.StatusForbidden {
		t.Fatalf("a non-admin lists system hooks: %v", err)
	}
	if _, resp, err := devClient.Projects.ListProjectHooks(proj.ID, nil); err == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a non-member lists project hooks: %v", err)
	}

	if _, err := gl.Projects.DeleteProjectHook(proj.ID, hook.ID); err != nil {
		t.Fatalf("delete project hook: %v", err)
	}
	if _, resp, err := gl.Projects.GetProjectHook(proj.ID, hook.ID); err == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("deleted hook: got %v", err)
	}

	everything := rec.String() + inst.logs.String()
	for _, s := range secrets {
		if strings.Contains(everything, s) {
			t.Errorf("an API response or the log holds %q", s)
		}
	}
}
