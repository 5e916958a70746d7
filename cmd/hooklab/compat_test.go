package main

import (
	"testing"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// The real GitLab Go client drives the API: groups, subgroups, projects and
// users are created and read back.
func TestClientGoGroupsProjectsUsers(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")

	acme, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")})
	if err != nil {
		t.Fatalf("create group: %v", err)
	}
	sub, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Platform"), Path: gitlab.Ptr("platform"), ParentID: gitlab.Ptr(acme.ID)})
	if err != nil {
		t.Fatalf("create subgroup: %v", err)
	}
	if sub.FullPath != "acme/platform" || sub.ParentID != acme.ID {
		t.Fatalf("subgroup: got %q parent %d", sub.FullPath, sub.ParentID)
	}
	proj, _, err := gl.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr("API"), Path: gitlab.Ptr("api"), NamespaceID: gitlab.Ptr(sub.ID)})
	if err != nil {
		t.Fatalf("create project: %v", err)
	}
	got, _, err := gl.Projects.GetProject("acme/platform/api", nil)
	if err != nil || got.ID != proj.ID || got.PathWithNamespace != "acme/platform/api" || got.Namespace.FullPath != "acme/platform" {
		t.Fatalf("get project by path: %+v, %v", got, err)
	}
	g, _, err := gl.Groups.GetGroup("acme/platform", nil)
	if err != nil || g.ID != sub.ID {
		t.Fatalf("get group by path: %+v, %v", g, err)
	}
	subs, resp, err := gl.Groups.ListSubGroups(acme.ID, nil)
	if err != nil || len(subs) != 1 || subs[0].ID != sub.ID || resp.TotalItems != 1 {
		t.Fatalf("list subgroups: %v (%v)", subs, err)
	}
	u, _, err := gl.Users.CreateUser(&gitlab.CreateUserOptions{
		Email: gitlab.Ptr("dev@example.com"), Username: gitlab.Ptr("dev"), Name: gitlab.Ptr("Dev"), Password: gitlab.Ptr("a long password"),
	})
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	back, _, err := gl.Users.GetUser(u.ID, gitlab.GetUsersOptions{})
	if err != nil || back.Username != "dev" || back.Email != "dev@example.com" {
		t.Fatalf("get user: %+v, %v", back, err)
	}
	me, _, err := gl.Users.CurrentUser()
	if err != nil || me.Username != "root" || !me.IsAdmin {
		t.Fatalf("current user: %+v, %v", me, err)
	}
	_, resp, err = gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")})
	if err == nil || resp.StatusCode != 400 {
		t.Fatalf("duplicate group: got %v, want a 400", err)
	}
}
