package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/hooklab/hooklab/model"
)

// putHTMX sends a form as htmx's hx-put does.
func (b *browser) putHTMX(path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPut, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", b.csrf)
	return b.do(req)
}

func selectedText(d *goquery.Document, sel string) string {
	return strings.TrimSpace(d.Find(sel + " option[selected]").Text())
}

func TestNotificationsPageShowsEverySource(t *testing.T) {
	f := newNotificationFixture(t)
	a := f.a
	confirmedEmail(t, a, f.alice, "alice.work@example.org")
	b := a.signedIn(f.alice)
	rec := b.get("/-/profile/notifications")
	if rec.Code != 200 {
		t.Fatalf("got %d", rec.Code)
	}
	d := doc(t, rec)
	if got := d.Find(`[data-testid=sidebar] a.active`).Text(); got != "Notifications" {
		t.Errorf("got active sidebar item %q", got)
	}
	if got := selectedText(d, `[data-testid=global-level]`); got != "Participating" {
		t.Errorf("got global level %q, want Participating", got)
	}
	var levels []string
	d.Find(`[data-testid=global-level] option`).Each(func(_ int, s *goquery.Selection) { levels = append(levels, s.AttrOr("value", "")) })
	if strings.Join(levels, ",") != "watch,participating,mention,disabled,custom" {
		t.Errorf("got global choices %v (global cannot defer to itself)", levels)
	}
	if n := d.Find(`[data-testid=level-descriptions] li`).Length(); n != 5 {
		t.Errorf("got %d level descriptions, want one per level", n)
	}
	var emails []string
	d.Find(`[data-testid=notification-email] option`).Each(func(_ int, s *goquery.Selection) { emails = append(emails, s.Text()) })
	if strings.Join(emails, ",") != "alice@example.com,alice.work@example.org" || selectedText(d, `[data-testid=notification-email]`) != "alice@example.com" {
		t.Errorf("got e-mails %v", emails)
	}
	for _, key := range []string{"group-" + itoa(f.acme.ID), "group-" + itoa(f.platform.ID), "project-" + itoa(f.api.ID)} {
		if got := selectedText(d, `[data-testid=level-`+key+`]`); got != "Global (Participating)" {
			t.Errorf("%s: got %q, want Global (Participating)", key, got)
		}
	}
	if d.Find(`[data-testid=notification-row-project-`+itoa(f.bobsProject.ID)+`]`).Length() != 0 {
		t.Error("a stranger's project is listed")
	}
	// Every form works without JavaScript: a real method, action and _method.
	d.Find(`[data-testid=notification-settings] form`).Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("method", "") != "post" || s.AttrOr("action", "") == "" || s.Find(`input[name=_method][value=PUT]`).Length() != 1 ||
			s.Find(`input[name=authenticity_token]`).Length() != 1 {
			t.Errorf("form without a plain fallback: %s", s.AttrOr("action", "?"))
		}
	})
}

func TestNotificationsPageHTMX(t *testing.T) {
	f := newNotificationFixture(t)
	a := f.a
	b := a.signedIn(f.alice)
	b.get("/-/profile/notifications")
	projKey := "project-" + itoa(f.api.ID)

	// The global level: saved at once, confirmed, and "Global (…)" follows.
	rec := b.putHTMX("/-/profile/notifications", url.Values{"level": {"watch"}, "notification_email": {"alice@example.com"}})
	d := doc(t, rec)
	if rec.Code != 200 || d.Find(`[data-testid=saved-global]`).Length() != 1 || strings.Contains(rec.Body.String(), "<html") {
		t.Fatalf("global: got %d %s", rec.Code, rec.Body)
	}
	if got := selectedText(d, `[data-testid=level-`+projKey+`]`); got != "Global (Watch)" {
		t.Errorf("got %q, want Global (Watch)", got)
	}

	// A group in between changes what "Global" means below it, and the
	// choice says where the level now comes from.
	rec = b.putHTMX("/-/profile/notifications/groups/"+itoa(f.platform.ID), url.Values{"level": {"mention"}})
	d = doc(t, rec)
	if got := selectedText(d, `[data-testid=level-`+projKey+`]`); got != "Inherit: On mention, from acme / platform" {
		t.Errorf("after the subgroup: got %q", got)
	}
	if got := selectedText(d, `[data-testid=level-group-`+itoa(f.platform.ID)+`]`); got != "On mention" {
		t.Errorf("subgroup: got %q", got)
	}
	if d.Find(`[data-testid=saved-group-`+itoa(f.platform.ID)+`]`).Length() != 1 {
		t.Error("subgroup change not confirmed")
	}

	// Custom opens the events dialog at once.
	rec = b.putHTMX("/-/profile/notifications/projects/"+itoa(f.api.ID), url.Values{"level": {"custom"}})
	d = doc(t, rec)
	dialog := d.Find(`dialog#events-` + projKey)
	if dialog.Length() != 1 || dialog.AttrOr("data-show-on-load", "missing") == "missing" {
		t.Fatalf("custom: no dialog to open in %s", rec.Body)
	}
	if n := dialog.Find(`input[type=checkbox]`).Length(); n != len(model.NotificationEventsFor(model.SourceProject)) {
		t.Errorf("got %d checkboxes, want one per project event", n)
	}
	if dialog.Find(`[data-testid=event-failed_pipeline]`).AttrOr("checked", "no") == "no" || dialog.Find(`[data-testid=event-new_note]`).AttrOr("checked", "no") != "no" {
		t.Error("a null failed_pipeline shows on, a null new_note off")
	}
	if d.Find(`[data-testid=edit-events-`+projKey+`]`).AttrOr("data-dialog", "") != "events-"+projKey {
		t.Error("no button to reopen the dialog")
	}

	// Each checkbox saves itself; the hidden "false" comes before the box.
	rec = b.putHTMX("/-/profile/notifications/projects/"+itoa(f.api.ID)+"/events", url.Values{"new_note": {"false", "true"}})
	d = doc(t, rec)
	if rec.Code != 200 || d.Find(`[data-testid=event-saved-new_note]`).Length() != 1 || d.Find(`[data-testid=event-new_note]`).AttrOr("checked", "no") == "no" {
		t.Fatalf("event: got %d %s", rec.Code, rec.Body)
	}
	rec = b.putHTMX("/-/profile/notifications/projects/"+itoa(f.api.ID)+"/events", url.Values{"failed_pipeline": {"false"}})
	if rec.Code != 200 || doc(t, rec).Find(`[data-testid=event-failed_pipeline]`).AttrOr("checked", "no") != "no" {
		t.Fatalf("unchecking: got %d %s", rec.Code, rec.Body)
	}
	st, err := a.store.NotificationSetting(context.Background(), f.alice.ID, model.SourceProject, f.api.ID)
	if err != nil || st.Level != model.NotificationCustom || !st.EventEnabled(model.NotifyNewNote) || st.EventEnabled(model.NotifyFailedPipeline) ||
		st.Event(model.NotifyNewIssue) != nil {
		t.Fatalf("stored: %+v, %v", st, err)
	}

	// A reload shows what was kept, with the dialog closed.
	d = doc(t, b.get("/-/profile/notifications"))
	if got := selectedText(d, `[data-testid=level-`+projKey+`]`); got != "Custom" {
		t.Errorf("reload: got %q", got)
	}
	if d.Find(`dialog[data-show-on-load]`).Length() != 0 {
		t.Error("a dialog opens by itself on a plain page load")
	}
}

func TestNotificationsPageWithoutJavaScript(t *testing.T) {
	f := newNotificationFixture(t)
	a := f.a
	confirmedEmail(t, a, f.alice, "alice.work@example.org")
	b := a.signedIn(f.alice)
	b.get("/-/profile/notifications")

	rec := b.postForm("/-/profile/notifications", url.Values{"_method": {"PUT"}, "level": {"mention"}, "notification_email": {"alice.work@example.org"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/-/profile/notifications" {
		t.Fatalf("global: got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	d := doc(t, b.get("/-/profile/notifications"))
	if !strings.Contains(d.Find(`[data-testid=flash-notice]`).Text(), "Notification settings saved.") ||
		selectedText(d, `[data-testid=global-level]`) != "On mention" || selectedText(d, `[data-testid=notification-email]`) != "alice.work@example.org" {
		t.Fatalf("after global: %s", d.Find(`[data-testid=global-notifications]`).Text())
	}

	// Custom leads to the events page, whose single form saves them all.
	events := "/-/profile/notifications/groups/" + itoa(f.acme.ID) + "/events"
	rec = b.postForm("/-/profile/notifications/groups/"+itoa(f.acme.ID), url.Values{"_method": {"PUT"}, "level": {"custom"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != events {
		t.Fatalf("custom: got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	d = doc(t, b.get(events))
	if n := d.Find(`[data-testid=events-form] input[type=checkbox]`).Length(); n != len(model.NotificationEventsFor(model.SourceGroup)) {
		t.Fatalf("events page: got %d checkboxes", n)
	}
	if d.Find(`[data-testid=event-new_epic]`).Length() != 1 {
		t.Error("a group's events include new_epic")
	}
	form := url.Values{"_method": {"PUT"}}
	for _, e := range model.NotificationEventsFor(model.SourceGroup) {
		form.Add(string(e), "false")
		if e == model.NotifyNewEpic || e == model.NotifyMovedProject {
			form.Add(string(e), "true")
		}
	}
	rec = b.postForm(events, form)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/-/profile/notifications" {
		t.Fatalf("events: got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	st, _ := a.store.NotificationSetting(context.Background(), f.alice.ID, model.SourceGroup, f.acme.ID)
	if st.Level != model.NotificationCustom || !st.EventEnabled(model.NotifyNewEpic) || !st.EventEnabled(model.NotifyMovedProject) ||
		st.EventEnabled(model.NotifyFailedPipeline) || st.EventEnabled(model.NotifyNewNote) {
		t.Fatalf("stored: %+v", st)
	}

	// The global custom events too.
	if rec := b.get("/-/profile/notifications/events"); rec.Code != 200 || doc(t, rec).Find(`[data-testid=event-new_epic]`).Length() != 1 {
		t.Fatalf("global events page: %d", rec.Code)
	}
}

func TestNotificationsPageRefusals(t *testing.T) {
	f := newNotificationFixture(t)
	a := f.a
	if _, err := a.store.AddEmail(context.Background(), f.alice.ID, "unconfirmed@example.org", "tok"); err != nil {
		t.Fatal(err)
	}
	b := a.signedIn(f.alice)
	b.get("/-/profile/notifications")

	rec := b.postForm("/-/profile/notifications", url.Values{"_method": {"PUT"}, "level": {"watch"}, "notification_email": {"unconfirmed@example.org"}})
	d := doc(t, rec)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(d.Find(`[data-testid=field-error]`).Text(), "Choose one of your verified e-mail addresses for notifications, or verify this one first on the Emails page.") {
		t.Fatalf("unverified: got %d %s", rec.Code, d.Find(`main`).Text())
	}
	st, _ := a.store.GlobalNotificationSetting(context.Background(), f.alice.ID)
	if st.Level != model.NotificationParticipating {
		t.Fatalf("a refused form stored level %v", st.Level)
	}
	for _, path := range []string{
		"/-/profile/notifications/projects/" + itoa(f.bobsProject.ID),
		"/-/profile/notifications/projects/" + itoa(f.bobsProject.ID) + "/events",
		"/-/profile/notifications/groups/9999",
	} {
		if rec := b.postForm(path, url.Values{"_method": {"PUT"}, "level": {"watch"}}); rec.Code != http.StatusNotFound {
			t.Errorf("%s: got %d, want 404", path, rec.Code)
		}
	}
	if rec := b.get("/-/profile/notifications/projects/" + itoa(f.bobsProject.ID) + "/events"); rec.Code != http.StatusNotFound {
		t.Errorf("foreign events page: got %d", rec.Code)
	}
	anon := a.browser()
	if rec := anon.get("/-/profile/notifications"); rec.Code != http.StatusSeeOther {
		t.Errorf("signed out: got %d, want a redirect to sign in", rec.Code)
	}
}
