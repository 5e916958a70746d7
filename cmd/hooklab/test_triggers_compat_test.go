package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// clientGoTestdata reads a webhook payload from client-go's own testdata
// in the module cache.
func clientGoTestdata(t *testing.T, name string) []byte {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "gitlab.com/gitlab-org/api/client-go").Output()
	if err != nil {
		t.Fatalf("locate client-go: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Vulnerability events and the Test triggers GitLab's test service
// supports beyond the original ten: emoji, resource access token and
// vulnerability events on project hooks, project events on group hooks,
// each after its event was published; GitLab's vulnerability payload (the
// one client-go's tests use) publishes and parses; unset templates are
// null and system hooks carry organization_id.
func TestClientGoNewTestTriggersAndVulnerabilityEvents(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")
	rcv := newEventReceiver(t)
	if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromWebHooksAndServices: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	// More tests than the default 5 a minute.
	st, err := inst.store().Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st.WebHookTestLimit = 50
	if err := inst.store().UpdateSettings(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	acme, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	proj, _, err := gl.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr("API"), Path: gitlab.Ptr("api"), NamespaceID: gitlab.Ptr(acme.ID)})
	if err != nil {
		t.Fatal(err)
	}
	ph, _, err := gl.Projects.AddProjectHook(proj.ID, &gitlab.AddProjectHookOptions{URL: gitlab.Ptr(rcv.URL + "/project"),
		EmojiEvents: gitlab.Ptr(true), ResourceAccessTokenEvents: gitlab.Ptr(true), VulnerabilityEvents: gitlab.Ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if !ph.VulnerabilityEvents {
		t.Fatal("the hook does not subscribe to vulnerability events")
	}
	gh, _, err := gl.Groups.AddGroupHook(acme.ID, &gitlab.AddGroupHookOptions{URL: gitlab.Ptr(rcv.URL + "/group"),
		ProjectEvents: gitlab.Ptr(true), VulnerabilityEvents: gitlab.Ptr(true)})
	if err != nil {
		t.Fatal(err)
	}

	// Nothing published yet: GitLab's messages.
	for trigger, msg := range map[gitlab.ProjectHookEvent]string{
		gitlab.ProjectHookEventEmoji:                    "Ensure the project has notes.",
		gitlab.ProjectHookEventResourceAccessToken:      "Ensure the project has access tokens.",
		gitlab.ProjectHookEvent("vulnerability_events"): "Ensure the project has vulnerabilities.",
	} {
		if _, err := gl.Projects.TriggerTestProjectHook(proj.ID, ph.ID, trigger); errStatus(err) != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), msg) {
			t.Errorf("test %s before publishing: %v", trigger, err)
		}
	}
	if _, err := gl.Groups.TriggerTestGroupHook(acme.ID, gh.ID, gitlab.GroupHookTrigger("project_events")); errStatus(err) != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), "Ensure the group has projects.") {
		t.Errorf("test project_events before publishing: %v", err)
	}

	publish := func(path string, body []byte) {
		t.Helper()
		req, err := gl.NewRequest(http.MethodPost, path, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Body, req.ContentLength = nopCloser(body), int64(len(body))
		if _, err := gl.Do(req, nil); err != nil {
			t.Fatalf("publish to %s: %v", path, err)
		}
	}
	sample := func(scope string) []byte { return sampleFor(t, gl, scope, proj.PathWithNamespace) }
	projectEvents := "projects/" + itoa(proj.ID) + "/hook_events"
	publish(projectEvents, sample("emoji_hooks"))
	publish(projectEvents, sample("resource_access_token_hooks"))
	vulnerability := aboutProject(t, gl, clientGoTestdata(t, "vulnerability.json"), proj.PathWithNamespace)
	publish(projectEvents, vulnerability)
	publish("groups/"+itoa(acme.ID)+"/hook_events", groupSampleFor(t, gl, "project_hooks", acme.FullPath))
	// emoji and token at the project hook; vulnerability at both; project at the group hook.
	waitFor(t, "the published events", func() bool { return len(rcv.requests()) == 5 })

	for _, tc := range []struct {
		trigger, event string
	}{
		{"emoji_events", "Emoji Hook"},
		{"resource_access_token_events", "Resource Access Token Hook"},
		{"vulnerability_events", "Vulnerability Hook"},
	} {
		before := len(rcv.requests())
		if _, err := gl.Projects.TriggerTestProjectHook(proj.ID, ph.ID, gitlab.ProjectHookEvent(tc.trigger)); err != nil {
			t.Errorf("test %s: %v", tc.trigger, err)
			continue
		}
		got := rcv.requests()
		if len(got) != before+1 || got[before].event != tc.event || got[before].path != "/project" {
			t.Errorf("test %s: receiver got %+v", tc.trigger, got[before:])
		}
	}
	before := len(rcv.requests())
	if _, err := gl.Groups.TriggerTestGroupHook(acme.ID, gh.ID, gitlab.GroupHookTrigger("project_events")); err != nil {
		t.Fatalf("test project_events: %v", err)
	}
	if got := rcv.requests(); len(got) != before+1 || got[before].event != "Project Hook" || got[before].path != "/group" {
		t.Errorf("test project_events: receiver got %+v", got[before:])
	}

	// The vulnerability delivery parses as client-go's VulnerabilityEvent,
	// unchanged.
	for _, r := range rcv.requests() {
		if r.event != "Vulnerability Hook" {
			continue
		}
		ev, err := gitlab.ParseWebhook(gitlab.EventTypeVulnerability, []byte(r.body))
		v, ok := ev.(*gitlab.VulnerabilityEvent)
		if err != nil || !ok || v.ObjectAttributes.Title != "Potential SQL Injection" {
			t.Errorf("ParseWebhook(vulnerability): %T %v", ev, err)
		}
		var sent, published any
		_ = json.Unmarshal([]byte(r.body), &sent)
		_ = json.Unmarshal(vulnerability, &published)
		if b1, _ := json.Marshal(sent); string(b1) != mustJSON(published) {
			t.Errorf("the vulnerability payload changed on the way: %s", r.body)
		}
	}

	// custom_webhook_template is null when unset; system hooks carry
	// organization_id.
	var entity map[string]any
	req, _ := gl.NewRequest(http.MethodGet, "projects/"+itoa(proj.ID)+"/hooks/"+itoa(ph.ID), nil, nil)
	if _, err := gl.Do(req, &entity); err != nil {
		t.Fatal(err)
	}
	if v, ok := entity["custom_webhook_template"]; !ok || v != nil {
		t.Errorf("custom_webhook_template: %v (present %v), want null", v, ok)
	}
	sh, _, err := gl.SystemHooks.AddHook(&gitlab.AddHookOptions{URL: gitlab.Ptr("http://127.0.0.1:9/system")})
	if err != nil {
		t.Fatal(err)
	}
	entity = nil
	req, _ = gl.NewRequest(http.MethodGet, "hooks/"+itoa(sh.ID), nil, nil)
	if _, err := gl.Do(req, &entity); err != nil {
		t.Fatal(err)
	}
	if v := entity["organization_id"]; v != float64(1) {
		t.Errorf("system hook organization_id: %v", v)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
