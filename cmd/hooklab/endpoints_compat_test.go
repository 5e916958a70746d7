package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gitlab "gitlab.com/gitlab-org/api/client-go"
	"golang.org/x/mod/semver"
)

// PUT .../invitations/:email, GET /groups/:id/descendant_groups and
// GET /metadata (and /version) through the real client.
func TestClientGoInvitationUpdateDescendantsMetadata(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")

	// Metadata and version: GitLab's shape, a semantic version.
	md, _, err := gl.Metadata.GetMetadata()
	if err != nil || !semver.IsValid("v"+md.Version) || md.Revision == "" || md.KAS.Enabled || md.Enterprise {
		t.Fatalf("GetMetadata: %+v (%v)", md, err)
	}
	v, _, err := gl.Version.GetVersion()
	if err != nil || v.Version != md.Version || v.Revision != md.Revision {
		t.Fatalf("GetVersion: %+v (%v)", v, err)
	}

	// Descendant groups: every depth, with the list filters.
	acme, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	parent := acme.ID
	for _, p := range []string{"platform", "infra", "db"} {
		g, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr(strings.ToUpper(p[:1]) + p[1:]), Path: gitlab.Ptr(p), ParentID: gitlab.Ptr(parent)})
		if err != nil {
			t.Fatal(err)
		}
		parent = g.ID
	}
	if _, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Other"), Path: gitlab.Ptr("other")}); err != nil {
		t.Fatal(err)
	}
	paths := func(gs []*gitlab.Group) string {
		var out []string
		for _, g := range gs {
			out = append(out, g.FullPath)
		}
		return strings.Join(out, " ")
	}
	gs, _, err := gl.Groups.ListDescendantGroups(acme.ID, &gitlab.ListDescendantGroupsOptions{})
	if got, want := paths(gs), "acme/platform/infra/db acme/platform/infra acme/platform"; err != nil || got != want {
		t.Fatalf("ListDescendantGroups: %q (%v), want %q", got, err, want)
	}
	gs, _, err = gl.Groups.ListDescendantGroups("acme/platform", &gitlab.ListDescendantGroupsOptions{Search: gitlab.Ptr("db")})
	if got, want := paths(gs), "acme/platform/infra/db"; err != nil || got != want {
		t.Fatalf("ListDescendantGroups with search: %q (%v), want %q", got, err, want)
	}
	if _, _, err := inst.client(t, "root").Groups.ListDescendantGroups(999, nil); errStatus(err) != http.StatusNotFound {
		t.Fatalf("descendants of an unknown group: %v", err)
	}

	// Update a pending invitation's level and expiry.
	if _, _, err := gl.Invites.GroupInvites(acme.ID, &gitlab.InvitesOptions{Email: gitlab.Ptr("new@example.com"), AccessLevel: gitlab.Ptr(gitlab.DeveloperPermissions)}); err != nil {
		t.Fatal(err)
	}
	expires := time.Now().UTC().AddDate(0, 2, 0).Format("2006-01-02")
	type invitation struct {
		InviteEmail string  `json:"invite_email"`
		AccessLevel int     `json:"access_level"`
		ExpiresAt   *string `json:"expires_at"`
	}
	update := func(email string, body map[string]any) (invitation, error) {
		req, err := gl.NewRequest(http.MethodPut, "groups/"+itoa(acme.ID)+"/invitations/"+url.PathEscape(email), body, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out invitation
		_, err = gl.Do(req, &out)
		return out, err
	}
	got, err := update("NEW@example.com", map[string]any{"access_level": 40, "expires_at": expires})
	if err != nil || got.AccessLevel != 40 || got.ExpiresAt == nil || *got.ExpiresAt != expires || got.InviteEmail != "new@example.com" {
		t.Fatalf("update invitation: %+v (%v)", got, err)
	}
	if got, err = update("new@example.com", map[string]any{"expires_at": nil}); err != nil || got.ExpiresAt != nil || got.AccessLevel != 40 {
		t.Fatalf("clear expiry: %+v (%v)", got, err)
	}
	if _, err := update("new@example.com", map[string]any{}); errStatus(err) != http.StatusBadRequest {
		t.Fatalf("no parameters: %v", err)
	}
	if _, err := update("new@example.com", map[string]any{"access_level": 33}); errStatus(err) != http.StatusBadRequest {
		t.Fatalf("a bad level: %v", err)
	}
	if _, err := update("nobody@example.com", map[string]any{"access_level": 30}); errStatus(err) != http.StatusNotFound {
		t.Fatalf("an unknown invitation: %v", err)
	}
}
