package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// GET /groups and GET /projects honour GitLab's list options through the
// real client — owned, min_access_level, all_available, top_level_only,
// skip_groups, membership, visibility, search (a group's full path,
// search_namespaces) and order_by/sort with GitLab's defaults (groups by
// name ascending, projects by creation, newest first).
func TestClientGoListFilters(t *testing.T) {
	inst := startInstance(t)
	root := inst.client(t, "root")
	alice, _, err := root.Users.CreateUser(&gitlab.CreateUserOptions{Username: gitlab.Ptr("alice"), Name: gitlab.Ptr("Alice"),
		Email: gitlab.Ptr("alice@example.com"), Password: gitlab.Ptr("a long password for alice")})
	if err != nil {
		t.Fatal(err)
	}
	group := func(gl *gitlab.Client, name, path string, parent int64) *gitlab.Group {
		t.Helper()
		o := &gitlab.CreateGroupOptions{Name: gitlab.Ptr(name), Path: gitlab.Ptr(path)}
		if parent != 0 {
			o.ParentID = gitlab.Ptr(parent)
		}
		g, _, err := gl.Groups.CreateGroup(o)
		if err != nil {
			t.Fatalf("create group %s: %v", path, err)
		}
		return g
	}
	project := func(name, path string, ns int64) {
		t.Helper()
		if _, _, err := root.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr(name), Path: gitlab.Ptr(path), NamespaceID: gitlab.Ptr(ns)}); err != nil {
			t.Fatalf("create project %s: %v", path, err)
		}
	}
	acme := group(root, "Acme", "acme", 0)
	platform := group(root, "Platform", "platform", acme.ID)
	beta := group(root, "Beta", "beta", 0)
	project("API", "api", acme.ID)
	project("Infra", "infra", platform.ID)
	project("Web", "web", beta.ID)
	for _, m := range []struct {
		g     int64
		level gitlab.AccessLevelValue
	}{{acme.ID, gitlab.DeveloperPermissions}, {beta.ID, gitlab.OwnerPermissions}} {
		if _, _, err := root.GroupMembers.AddGroupMember(m.g, &gitlab.AddGroupMemberOptions{UserID: gitlab.Ptr(alice.ID), AccessLevel: gitlab.Ptr(m.level)}); err != nil {
			t.Fatal(err)
		}
	}
	ac := inst.client(t, "alice")
	group(ac, "Gamma", "gamma", 0) // root is no member of it

	groups := func(gl *gitlab.Client, o *gitlab.ListGroupsOptions) string {
		t.Helper()
		gs, _, err := gl.Groups.ListGroups(o)
		if err != nil {
			t.Fatalf("ListGroups %+v: %v", o, err)
		}
		var out []string
		for _, g := range gs {
			out = append(out, g.FullPath)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name string
		gl   *gitlab.Client
		opts gitlab.ListGroupsOptions
		want string
	}{
		{"default: by name", ac, gitlab.ListGroupsOptions{}, "acme beta gamma acme/platform"},
		{"owned", ac, gitlab.ListGroupsOptions{Owned: gitlab.Ptr(true)}, "beta gamma"},
		{"min_access_level developer", ac, gitlab.ListGroupsOptions{MinAccessLevel: gitlab.Ptr(gitlab.DeveloperPermissions)}, "acme beta gamma acme/platform"},
		{"min_access_level maintainer", ac, gitlab.ListGroupsOptions{MinAccessLevel: gitlab.Ptr(gitlab.MaintainerPermissions)}, "beta gamma"},
		{"top_level_only", ac, gitlab.ListGroupsOptions{TopLevelOnly: gitlab.Ptr(true)}, "acme beta gamma"},
		{"skip_groups", ac, gitlab.ListGroupsOptions{SkipGroups: gitlab.Ptr([]int64{beta.ID, acme.ID})}, "gamma acme/platform"},
		{"search the full path", ac, gitlab.ListGroupsOptions{Search: gitlab.Ptr("acme")}, "acme acme/platform"},
		{"order_by id desc", ac, gitlab.ListGroupsOptions{OrderBy: gitlab.Ptr("id"), Sort: gitlab.Ptr("desc")}, "gamma beta acme/platform acme"},
		{"order_by path", ac, gitlab.ListGroupsOptions{OrderBy: gitlab.Ptr("path")}, "acme beta gamma acme/platform"},
		{"an admin sees every group", root, gitlab.ListGroupsOptions{}, "acme beta gamma acme/platform"},
		{"all_available=false: an admin's own", root, gitlab.ListGroupsOptions{AllAvailable: gitlab.Ptr(false)}, "acme beta acme/platform"},
		{"an admin's owned", root, gitlab.ListGroupsOptions{Owned: gitlab.Ptr(true), OrderBy: gitlab.Ptr("id")}, "acme acme/platform beta"},
	} {
		if got := groups(tc.gl, &tc.opts); got != tc.want {
			t.Errorf("groups, %s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, _, err := ac.Groups.ListGroups(&gitlab.ListGroupsOptions{OrderBy: gitlab.Ptr("stars")}); errStatus(err) != http.StatusBadRequest {
		t.Errorf("order_by=stars: %v", err)
	}
	if _, _, err := ac.Groups.ListGroups(&gitlab.ListGroupsOptions{MinAccessLevel: gitlab.Ptr(gitlab.AccessLevelValue(33))}); errStatus(err) != http.StatusBadRequest {
		t.Errorf("min_access_level=33: %v", err)
	}

	projects := func(gl *gitlab.Client, o *gitlab.ListProjectsOptions) string {
		t.Helper()
		ps, _, err := gl.Projects.ListProjects(o)
		if err != nil {
			t.Fatalf("ListProjects %+v: %v", o, err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.PathWithNamespace)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name string
		gl   *gitlab.Client
		opts gitlab.ListProjectsOptions
		want string
	}{
		{"default: newest first", ac, gitlab.ListProjectsOptions{}, "beta/web acme/platform/infra acme/api"},
		{"owned", ac, gitlab.ListProjectsOptions{Owned: gitlab.Ptr(true)}, "beta/web"},
		{"membership", ac, gitlab.ListProjectsOptions{Membership: gitlab.Ptr(true)}, "beta/web acme/platform/infra acme/api"},
		{"min_access_level maintainer", ac, gitlab.ListProjectsOptions{MinAccessLevel: gitlab.Ptr(gitlab.MaintainerPermissions)}, "beta/web"},
		{"visibility private", ac, gitlab.ListProjectsOptions{Visibility: gitlab.Ptr(gitlab.PrivateVisibility)}, "beta/web acme/platform/infra acme/api"},
		{"visibility public", ac, gitlab.ListProjectsOptions{Visibility: gitlab.Ptr(gitlab.PublicVisibility)}, ""},
		{"search without namespaces", ac, gitlab.ListProjectsOptions{Search: gitlab.Ptr("acme")}, ""},
		{"search_namespaces", ac, gitlab.ListProjectsOptions{Search: gitlab.Ptr("acme"), SearchNamespaces: gitlab.Ptr(true)}, "acme/platform/infra acme/api"},
		{"order_by name asc", ac, gitlab.ListProjectsOptions{OrderBy: gitlab.Ptr("name"), Sort: gitlab.Ptr("asc")}, "acme/api acme/platform/infra beta/web"},
		{"order_by id", ac, gitlab.ListProjectsOptions{OrderBy: gitlab.Ptr("id")}, "beta/web acme/platform/infra acme/api"},
		{"an admin's owned", root, gitlab.ListProjectsOptions{Owned: gitlab.Ptr(true), Sort: gitlab.Ptr("asc")}, "acme/api acme/platform/infra beta/web"},
	} {
		if got := projects(tc.gl, &tc.opts); got != tc.want {
			t.Errorf("projects, %s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, _, err := ac.Projects.ListProjects(&gitlab.ListProjectsOptions{OrderBy: gitlab.Ptr("bogus")}); errStatus(err) != http.StatusBadRequest {
		t.Errorf("order_by=bogus: %v", err)
	}

	// "For each group I own, add a group hook" now works (the hooks point
	// at loopback, which the admin allows).
	if _, _, err := root.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromWebHooksAndServices: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	owned, _, err := ac.Groups.ListGroups(&gitlab.ListGroupsOptions{Owned: gitlab.Ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range owned {
		if _, _, err := ac.Groups.AddGroupHook(g.ID, &gitlab.AddGroupHookOptions{URL: gitlab.Ptr("http://127.0.0.1:9/" + g.Path)}); err != nil {
			t.Errorf("AddGroupHook on owned group %s: %v", g.FullPath, err)
		}
	}
	if !slices.ContainsFunc(owned, func(g *gitlab.Group) bool { return g.ID == beta.ID }) {
		t.Error("beta is not among alice's owned groups")
	}
}
