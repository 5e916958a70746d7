package handlers_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A userinfo password — here with a hyphen, which the old mask missed — is
// a secret: no page or API answer shows it, the log row stores only the
// masked URL, and the edit form shows user:*****@ and keeps the password
// when saved unchanged.
func TestHookURLPasswordIsNeverShown(t *testing.T) {
	const password = "pa-ss-w0rd"
	f := newRunFixture(t)
	a := f.a
	withAuth := strings.Replace(f.rcv.URL, "http://", "http://user:"+password+"@", 1) + "/p"
	hooks := "/api/v4/projects/" + itoa(f.project.ID) + "/hooks"
	rec := a.api(http.MethodPost, hooks, f.token, map[string]any{"url": withAuth, "push_events": true})
	wantStatus(t, rec, http.StatusCreated, `"url":"http://user:*****@`)
	var hk struct{ ID int64 }
	decode(t, rec, &hk)
	noSecrets(t, "the created hook", rec.Body.String(), password)

	f.publishPush()
	rec = a.api(http.MethodPost, fmt.Sprintf("%s/%d/test/push_events", hooks, hk.ID), f.token, nil)
	wantStatus(t, rec, http.StatusCreated, "")
	if reqs := f.rcv.requests(); len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	} else if _, pass, _ := reqs[0].BasicAuth(); pass != password {
		t.Fatalf("receiver got password %q", pass)
	}

	raw, err := sql.Open("sqlite3", "file:"+a.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var stored string
	if err := raw.QueryRow(`SELECT url FROM hook_logs`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, password) || !strings.Contains(stored, "*****:*****@") {
		t.Errorf("hook_logs.url is %q, want the userinfo masked", stored)
	}

	var logs []apiEvent
	rec = a.api(http.MethodGet, fmt.Sprintf("%s/%d/events", hooks, hk.ID), f.token, nil)
	wantStatus(t, rec, http.StatusOK, "")
	decode(t, rec, &logs)
	if len(logs) != 1 {
		t.Fatalf("%d events", len(logs))
	}
	for what, body := range map[string]string{
		"the events API": rec.Body.String(),
		"the hook API":   a.api(http.MethodGet, fmt.Sprintf("%s/%d", hooks, hk.ID), f.token, nil).Body.String(),
	} {
		noSecrets(t, what, body, password)
	}

	b := a.signedIn(f.owner)
	base := fmt.Sprintf("/acme/platform/api/-/hooks/%d", hk.ID)
	for _, page := range []string{"/acme/platform/api/-/hooks", base + "/edit", fmt.Sprintf("%s/hook_logs/%d", base, logs[0].ID)} {
		rec := b.get(page)
		wantStatus(t, rec, http.StatusOK, "")
		noSecrets(t, page, rec.Body.String(), password)
	}
	edit := b.get(base + "/edit")
	if got, _ := doc(t, edit).Find("#hook_url").Attr("value"); got != strings.Replace(withAuth, password, "*****", 1) {
		t.Fatalf("the URL field shows %q, want the password masked", got)
	}

	// Saving the form unchanged keeps the password.
	followFlash(t, b, b.postForm(base, formValues(t, edit, "#hook-form")), "Webhook was updated")
	if got := f.reload(hk.ID).URL; got != withAuth {
		t.Fatalf("after saving unchanged the URL is %q, want %q", got, withAuth)
	}
	// Editing the URL around the mask asks for the password again.
	values := formValues(t, edit, "#hook-form")
	values.Set("url", strings.Replace(values.Get("url"), "/p", "/q", 1))
	rec = b.postForm(base, values)
	wantStatus(t, rec, http.StatusUnprocessableEntity, "")
	if got := doc(t, rec).Find("#hook_url ~ .field-error").Text(); !strings.Contains(got, "enter them again") {
		t.Fatalf("URL error %q", got)
	}
	if got := f.reload(hk.ID).URL; got != withAuth {
		t.Fatalf("a refused save changed the URL to %q", got)
	}

	// A new password typed into a form shown again after an error is
	// sealed, and saved once the error is fixed.
	const newPassword = "n3w-secret"
	values = formValues(t, edit, "#hook-form")
	values.Set("url", strings.Replace(withAuth, password, newPassword, 1))
	values.Set("name", strings.Repeat("n", 256))
	rec = b.postForm(base, values)
	wantStatus(t, rec, http.StatusUnprocessableEntity, "")
	noSecrets(t, "the 422 page", rec.Body.String(), newPassword)
	values = formValues(t, rec, "#hook-form")
	values.Set("name", "ok")
	followFlash(t, b, b.postForm(base, values), "Webhook was updated")
	if got := f.reload(hk.ID).URL; got != strings.Replace(withAuth, password, newPassword, 1) {
		t.Fatalf("stored URL %q, want the new password", got)
	}

	// The API keeps the password when the URL comes back as it showed it.
	shown := strings.Replace(withAuth, password, "*****", 1)
	rec = a.api(http.MethodPut, fmt.Sprintf("%s/%d", hooks, hk.ID), f.token, map[string]any{"url": shown})
	wantStatus(t, rec, http.StatusOK, "")
	if got := f.reload(hk.ID).URL; got != strings.Replace(withAuth, password, newPassword, 1) {
		t.Fatalf("after an API update with the URL as shown: %q", got)
	}
}

// A URL masking row that fails comes back with its sensitive value sealed,
// not in the page, and the corrected form saves what was typed.
func TestHookFormMaskRowErrorKeepsValueSealed(t *testing.T) {
	const secret = "s3cr3t-portion"
	f := newHookFixture(t)
	b := f.a.signedIn(f.maintainer)
	b.get("/acme/api/-/hooks/new")
	form := addRows(hookForm(map[string]string{"url": "https://webhook.example.com/" + secret}), [][2]string{{secret, "1bad"}}, nil)
	rec := b.postForm("/acme/api/-/hooks", form)
	wantStatus(t, rec, http.StatusUnprocessableEntity, `data-testid="mask-row"`)
	noSecrets(t, "the 422 page", rec.Body.String(), secret)
	values := formValues(t, rec, "#hook-form")
	values.Set("url_variables[][key]", "portion")
	followFlash(t, b, b.postForm("/acme/api/-/hooks", values), "Webhook was created")
	hooks, err := f.a.store.HooksByProject(context.Background(), f.api.ID)
	if err != nil || len(hooks) != 1 || hooks[0].URL != "https://webhook.example.com/{portion}" || hooks[0].URLVariables["portion"] != secret {
		t.Fatalf("stored %+v (%v)", hooks, err)
	}
}
