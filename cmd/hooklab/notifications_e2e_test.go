package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/model"
)

// notificationTree creates acme/platform and acme/platform/api as root
// through the API; root owns acme.
func notificationTree(t *testing.T, gl *gitlab.Client) (*gitlab.Group, *gitlab.Group, *gitlab.Project) {
	t.Helper()
	acme, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	platform, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Platform"), Path: gitlab.Ptr("platform"), ParentID: gitlab.Ptr(acme.ID)})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := gl.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr("API"), Path: gitlab.Ptr("api"), NamespaceID: gitlab.Ptr(platform.ID)})
	if err != nil {
		t.Fatal(err)
	}
	return acme, platform, p
}

// The real GitLab Go client reads and changes global, group and project
// notification settings.
func TestClientGoNotificationSettings(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")
	acme, platform, proj := notificationTree(t, gl)
	ns := gl.NotificationSettings

	got, _, err := ns.GetGlobalSettings()
	if err != nil || got.Level != gitlab.ParticipatingNotificationLevel || got.NotificationEmail != "admin@example.com" || got.Events != nil {
		t.Fatalf("global default: %+v, %v", got, err)
	}

	// A verified secondary address may receive notifications.
	ctx := context.Background()
	root, err := inst.store().UserByUsername(ctx, "root")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.store().AddEmail(ctx, root.ID, "ops@example.com", "confirm-ops"); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.store().ConfirmEmail(ctx, "confirm-ops"); err != nil {
		t.Fatal(err)
	}
	got, _, err = ns.UpdateGlobalSettings(&gitlab.NotificationSettingsOptions{
		Level: gitlab.Ptr(gitlab.WatchNotificationLevel), NotificationEmail: gitlab.Ptr("ops@example.com"),
	})
	if err != nil || got.Level != gitlab.WatchNotificationLevel || got.NotificationEmail != "ops@example.com" {
		t.Fatalf("update global: %+v, %v", got, err)
	}
	_, resp, err := ns.UpdateGlobalSettings(&gitlab.NotificationSettingsOptions{NotificationEmail: gitlab.Ptr("nobody@example.com")})
	var er *gitlab.ErrorResponse
	if !errors.As(err, &er) || resp.StatusCode != http.StatusBadRequest ||
		strings.TrimSpace(string(er.Body)) != `{"message":{"notification_email":["must be an email you have verified"]}}` {
		t.Fatalf("unverified e-mail: got %v", err)
	}

	// Group: every level, then custom with events (new_epic included).
	for _, l := range []gitlab.NotificationLevelValue{gitlab.DisabledNotificationLevel, gitlab.ParticipatingNotificationLevel,
		gitlab.WatchNotificationLevel, gitlab.GlobalNotificationLevel, gitlab.MentionNotificationLevel} {
		got, _, err = ns.UpdateSettingsForGroup(platform.ID, &gitlab.NotificationSettingsOptions{Level: gitlab.Ptr(l)})
		if err != nil || got.Level != l || got.Events != nil {
			t.Fatalf("group level %v: %+v, %v", l, got, err)
		}
	}
	got, _, err = ns.UpdateSettingsForGroup("acme/platform", &gitlab.NotificationSettingsOptions{
		Level: gitlab.Ptr(gitlab.CustomNotificationLevel), NewEpic: gitlab.Ptr(true), MovedProject: gitlab.Ptr(true), FailedPipeline: gitlab.Ptr(false),
	})
	if err != nil || got.Level != gitlab.CustomNotificationLevel || got.Events == nil || !got.Events.NewEpic || !got.Events.MovedProject || got.Events.FailedPipeline || got.Events.NewNote {
		t.Fatalf("group custom: %+v %+v, %v", got, got.Events, err)
	}
	got, _, err = ns.GetSettingsForGroup(platform.ID)
	if err != nil || got.Level != gitlab.CustomNotificationLevel || !got.Events.NewEpic {
		t.Fatalf("get group: %+v, %v", got, err)
	}
	if got, _, err = ns.GetSettingsForGroup(acme.ID); err != nil || got.Level != gitlab.GlobalNotificationLevel {
		t.Fatalf("untouched group: %+v, %v", got, err)
	}

	// Project: custom with the seed's example events.
	got, _, err = ns.UpdateSettingsForProject(proj.ID, &gitlab.NotificationSettingsOptions{
		Level: gitlab.Ptr(gitlab.CustomNotificationLevel), NewNote: gitlab.Ptr(true), NewIssue: gitlab.Ptr(false),
	})
	if err != nil || got.Level != gitlab.CustomNotificationLevel || !got.Events.NewNote || got.Events.NewIssue {
		t.Fatalf("project custom: %+v, %v", got, err)
	}
	got, _, err = ns.GetSettingsForProject("acme/platform/api")
	if err != nil || got.Level != gitlab.CustomNotificationLevel || !got.Events.NewNote {
		t.Fatalf("get project: %+v, %v", got, err)
	}
	// client-go cannot send an unknown level; its raw request can.
	req, err := gl.NewRequest(http.MethodPut, fmt.Sprintf("projects/%d/notification_settings", proj.ID), map[string]string{"level": "loud"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = gl.Do(req, nil)
	if !errors.As(err, &er) || resp.StatusCode != http.StatusBadRequest ||
		strings.TrimSpace(string(er.Body)) != `{"message":"'loud' is not a valid level. Valid levels are: disabled, participating, watch, global, mention, custom"}` {
		t.Fatalf("invalid level: got %v", err)
	}
	if _, resp, err = ns.GetSettingsForProject(9999); err == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("missing project: got %v", err)
	}

	// The settings decide through the cascade.
	eff, err := inst.store().EffectiveNotificationSetting(ctx, root.ID, model.SourceProject, int64(proj.ID))
	if err != nil || eff.Level != model.NotificationCustom || !eff.EventEnabled(model.NotifyNewNote) {
		t.Fatalf("effective: %+v, %v", eff, err)
	}
}

// A person changes the global level, sets a project to Custom with two
// events on, reloads and finds every choice kept.
func TestBrowserNotificationSettings(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")
	_, platform, proj := notificationTree(t, gl)
	ctx := newBrowser(t)

	key := fmt.Sprintf("project-%d", proj.ID)
	projSelect := `[data-testid=level-` + key + `]`
	change := func(sel, value string) chromedp.Action {
		return chromedp.Tasks{
			chromedp.SetValue(sel, value, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector(`+jsString(sel)+`).dispatchEvent(new Event("change", {bubbles: true}))`, nil),
		}
	}
	selectedText := func(sel string, out *string) chromedp.Action {
		return chromedp.Evaluate(`(function(s){ return s.options[s.selectedIndex].text })(document.querySelector(`+jsString(sel)+`))`, out)
	}
	checked := func(event string, out *bool) chromedp.Action {
		return chromedp.Evaluate(`document.getElementById("event-`+key+`-`+event+`").checked`, out)
	}

	var before, after, groupAfter string
	browse(t, ctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(inst.URL+"/-/profile/notifications"),
		chromedp.WaitVisible(`[data-testid=global-level]`, chromedp.ByQuery),
		selectedText(projSelect, &before),

		// The global level saves at once and "Global (…)" follows it.
		change(`[data-testid=global-level]`, "watch"),
		chromedp.WaitVisible(`[data-testid=saved-global]`, chromedp.ByQuery),
		selectedText(projSelect, &after),
		selectedText(fmt.Sprintf(`[data-testid=level-group-%d]`, platform.ID), &groupAfter),

		// Custom opens the events dialog; each click saves.
		change(projSelect, "custom"),
		chromedp.WaitVisible(`dialog#events-`+key+`[open]`, chromedp.ByQuery),
		chromedp.Click(`#event-`+key+`-new_note`, chromedp.ByQuery),
		chromedp.WaitVisible(`dialog#events-`+key+` [data-testid=event-saved-new_note]`, chromedp.ByQuery),
		chromedp.Click(`#event-`+key+`-merge_merge_request`, chromedp.ByQuery),
		chromedp.WaitVisible(`dialog#events-`+key+` [data-testid=event-saved-merge_merge_request]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=close-events-`+key+`]`, chromedp.ByQuery),
		chromedp.WaitNotVisible(`dialog#events-`+key, chromedp.ByQuery),
	)
	if before != "Global (Participating)" || after != "Global (Watch)" || groupAfter != "Global (Watch)" {
		t.Errorf("got %q then %q (group %q), want Global (Participating) then Global (Watch)", before, after, groupAfter)
	}

	var globalLevel, projLevel, projText string
	var newNote, mergeMR, newIssue bool
	browse(t, ctx,
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid=global-level]`, chromedp.ByQuery),
		chromedp.Value(`[data-testid=global-level]`, &globalLevel, chromedp.ByQuery),
		chromedp.Value(projSelect, &projLevel, chromedp.ByQuery),
		selectedText(projSelect, &projText),
		// The button reopens the dialog with the saved choices.
		chromedp.Click(`[data-testid=edit-events-`+key+`]`, chromedp.ByQuery),
		chromedp.WaitVisible(`dialog#events-`+key+`[open]`, chromedp.ByQuery),
		checked("new_note", &newNote),
		checked("merge_merge_request", &mergeMR),
		checked("new_issue", &newIssue),
	)
	if globalLevel != "watch" || projLevel != "custom" || projText != "Custom" {
		t.Errorf("after reload: global %q, project %q (%q); want watch and custom", globalLevel, projLevel, projText)
	}
	if !newNote || !mergeMR || newIssue {
		t.Errorf("after reload: new_note %v, merge_merge_request %v, new_issue %v; want on, on, off", newNote, mergeMR, newIssue)
	}

	root, err := inst.store().UserByUsername(context.Background(), "root")
	if err != nil {
		t.Fatal(err)
	}
	st, err := inst.store().NotificationSetting(context.Background(), root.ID, model.SourceProject, int64(proj.ID))
	if err != nil || st.Level != model.NotificationCustom || !st.EventEnabled(model.NotifyNewNote) || !st.EventEnabled(model.NotifyMergeMergeRequest) ||
		st.Event(model.NotifyNewIssue) != nil {
		t.Fatalf("stored: %+v, %v", st, err)
	}
}

// jsString quotes a CSS selector for a JavaScript string literal.
func jsString(s string) string { return fmt.Sprintf("%q", s) }
