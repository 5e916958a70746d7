package main

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// Every timestamp the API writes has GitLab's form, milliseconds and Z
// (2026-12-05T00:30:33.004Z), so parsers with a fixed three-digit layout
// read it: users, groups, projects, members, invitations, hooks and their
// recent events.
func TestAPITimestampsHaveMilliseconds(t *testing.T) {
	inst := startInstance(t)
	rec := &recorder{}
	gl, err := gitlab.NewClient(inst.token(t, "root"), gitlab.WithBaseURL(inst.URL+"/api/v4"),
		gitlab.WithHTTPClient(&http.Client{Transport: rec}), gitlab.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	rcv := newEventReceiver(t)
	if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromWebHooksAndServices: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gl.Users.CurrentUser(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gl.Users.ListUsers(&gitlab.ListUsersOptions{}); err != nil {
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
	if _, _, err := gl.Groups.ListGroupMembers(acme.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gl.Invites.GroupInvites(acme.ID, &gitlab.InvitesOptions{Email: gitlab.Ptr("new@example.com"), AccessLevel: gitlab.Ptr(gitlab.DeveloperPermissions)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gl.Invites.ListPendingGroupInvitations(acme.ID, nil); err != nil {
		t.Fatal(err)
	}
	ph, _, err := gl.Projects.AddProjectHook(proj.ID, &gitlab.AddProjectHookOptions{URL: gitlab.Ptr(rcv.URL), PushEvents: gitlab.Ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	publishPush(t, gl, "acme%2Fapi")
	waitFor(t, "the delivery", func() bool { return len(rcv.requests()) == 1 })
	waitFor(t, "the delivery's log row", func() bool {
		events, _, err := listHookEvents(t, gl, "projects/"+itoa(proj.ID)+"/hooks/"+itoa(ph.ID)+"/events", "")
		return err == nil && len(events) == 1
	})
	if _, _, err := gl.Projects.ListProjectHooks(proj.ID, nil); err != nil {
		t.Fatal(err)
	}

	// (Event payloads inside recent events keep their own timestamps: the
	// keys checked are the API's *_at and *_until.)
	const layout = "2006-01-02T15:04:05.000Z"
	stamps := regexp.MustCompile(`"\w+_(?:at|until)":"(\d{4}-\d\d-\d\dT[^"]*)"`).FindAllStringSubmatch(rec.String(), -1)
	if len(stamps) < 8 {
		t.Fatalf("only %d timestamps in the responses", len(stamps))
	}
	for _, m := range stamps {
		if ts, err := time.Parse(layout, m[1]); err != nil || ts.Format(layout) != m[1] {
			t.Errorf("timestamp %q does not have GitLab's form %s: %v", m[1], layout, err)
		}
	}
}
