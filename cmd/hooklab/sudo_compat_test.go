package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/go-retryablehttp"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/model"
)

// Sudo through the real client: an administrator's token with the sudo
// scope (made with `hooklab token create --scopes api,sudo`) acts as
// another user by username or ID, through the Sudo header (WithSudo) or
// the sudo parameter; without the scope it is GitLab's 403
// insufficient_scope, for a non-admin a 403, for an unknown user a 404.
func TestClientGoSudo(t *testing.T) {
	inst := startInstance(t)
	root := inst.client(t, "root")
	alice, _, err := root.Users.CreateUser(&gitlab.CreateUserOptions{Username: gitlab.Ptr("alice"), Name: gitlab.Ptr("Alice"),
		Email: gitlab.Ptr("alice@example.com"), Password: gitlab.Ptr("a long password for alice")})
	if err != nil {
		t.Fatal(err)
	}

	// The CLI issues the sudo token (sudo is offered to administrators only).
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--user", "root", "--name", "sudo", "--scopes", "api,sudo",
		"--data", inst.app.cfg.DataDir}, &out, &errOut); err != nil {
		t.Fatalf("token create: %v (%s)", err, errOut.String())
	}
	if err := run(context.Background(), []string{"token", "create", "--user", "alice", "--name", "sudo", "--scopes", "api,sudo",
		"--data", inst.app.cfg.DataDir}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "can only contain available scopes: api, read_api") {
		t.Fatalf("token create --scopes sudo for a non-admin: %v", err)
	}
	gl, err := gitlab.NewClient(strings.TrimSpace(out.String()), gitlab.WithBaseURL(inst.URL+"/api/v4"), gitlab.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}

	// By username: the settings change is alice's, not root's.
	if _, _, err := gl.NotificationSettings.UpdateGlobalSettings(&gitlab.NotificationSettingsOptions{Level: gitlab.Ptr(gitlab.WatchNotificationLevel)},
		gitlab.WithSudo("alice")); err != nil {
		t.Fatalf("UpdateGlobalSettings as alice: %v", err)
	}
	mine, _, err := inst.client(t, "alice").NotificationSettings.GetGlobalSettings()
	if err != nil || mine.Level != gitlab.WatchNotificationLevel {
		t.Fatalf("alice's level: %+v (%v)", mine, err)
	}
	if roots, _, err := gl.NotificationSettings.GetGlobalSettings(); err != nil || roots.Level != gitlab.ParticipatingNotificationLevel {
		t.Fatalf("root's level: %+v (%v)", roots, err)
	}
	// By ID, and the sudo parameter.
	if u, _, err := gl.Users.CurrentUser(gitlab.WithSudo(alice.ID)); err != nil || u.Username != "alice" {
		t.Fatalf("CurrentUser with Sudo: %d: %+v (%v)", alice.ID, u, err)
	}
	withQuery := func(r *retryablehttp.Request) error { r.URL.RawQuery = "sudo=alice"; return nil }
	req, _ := gl.NewRequest(http.MethodGet, "user", nil, []gitlab.RequestOptionFunc{withQuery})
	var u gitlab.User
	if _, err := gl.Do(req, &u); err != nil || u.Username != "alice" {
		t.Fatalf("GET /user?sudo=alice: %+v (%v)", u, err)
	}

	// The parameter in a form body (curl -d sudo=alice).
	form, _ := http.NewRequest(http.MethodPut, inst.URL+"/api/v4/notification_settings", strings.NewReader("level=disabled&sudo=alice"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	form.Header.Set("PRIVATE-TOKEN", strings.TrimSpace(out.String()))
	if resp, err := http.DefaultClient.Do(form); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sudo in a form body: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if mine, _, err := inst.client(t, "alice").NotificationSettings.GetGlobalSettings(); err != nil || mine.Level != gitlab.DisabledNotificationLevel {
		t.Fatalf("alice's level after the form: %+v (%v)", mine, err)
	}

	// Unknown user: 404 with GitLab's message.
	_, _, err = gl.Users.CurrentUser(gitlab.WithSudo("nobody"))
	if errStatus(err) != http.StatusNotFound {
		t.Fatalf("sudo as nobody: %v", err)
	}
	// Without the sudo scope: 403 insufficient_scope.
	_, _, err = root.Users.CurrentUser(gitlab.WithSudo("alice"))
	if errStatus(err) != http.StatusForbidden || !strings.Contains(err.Error(), "insufficient_scope") {
		t.Fatalf("sudo without the scope: %v", err)
	}
	// A non-admin: 403.
	aliceToken, _, err := inst.store().IssueToken(context.Background(), alice.ID, model.NewTokenInput{Name: "x", Scopes: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	ac, _ := gitlab.NewClient(aliceToken, gitlab.WithBaseURL(inst.URL+"/api/v4"), gitlab.WithoutRetries())
	_, _, err = ac.Users.CurrentUser(gitlab.WithSudo("root"))
	if errStatus(err) != http.StatusForbidden || !strings.Contains(err.Error(), "Must be admin to use sudo") {
		t.Fatalf("sudo by a non-admin: %v", err)
	}
}
