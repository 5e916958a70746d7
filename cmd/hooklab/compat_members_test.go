package main

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// The real GitLab Go client manages group and project members and sends
// invitations.
func TestClientGoMembersAndInvitations(t *testing.T) {
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
	proj, _, err := gl.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr("API"), Path: gitlab.Ptr("api"), NamespaceID: gitlab.Ptr(sub.ID)})
	if err != nil {
		t.Fatalf("create project: %v", err)
	}
	users := map[string]*gitlab.User{}
	for _, name := range []string{"dev", "alice"} {
		u, _, err := gl.Users.CreateUser(&gitlab.CreateUserOptions{Email: gitlab.Ptr(name + "@example.com"), Username: gitlab.Ptr(name),
			Name: gitlab.Ptr(strings.ToUpper(name[:1]) + name[1:]), Password: gitlab.Ptr("a long password")})
		if err != nil {
			t.Fatalf("create user %s: %v", name, err)
		}
		users[name] = u
	}

	// Group members.
	m, _, err := gl.GroupMembers.AddGroupMember(acme.ID, &gitlab.AddGroupMemberOptions{UserID: gitlab.Ptr(users["dev"].ID), AccessLevel: gitlab.Ptr(gitlab.DeveloperPermissions)})
	if err != nil {
		t.Fatalf("add group member: %v", err)
	}
	if m.ID != users["dev"].ID || m.Username != "dev" || m.AccessLevel != gitlab.DeveloperPermissions || m.State != "active" ||
		m.CreatedAt == nil || m.CreatedBy == nil || m.CreatedBy.Username != "root" || m.WebURL != inst.URL+"/dev" {
		t.Fatalf("added member: %+v", m)
	}
	if _, _, err := gl.GroupMembers.AddGroupMember("acme", &gitlab.AddGroupMemberOptions{Username: gitlab.Ptr("alice"), AccessLevel: gitlab.Ptr(gitlab.ReporterPermissions)}); err != nil {
		t.Fatalf("add group member by username: %v", err)
	}
	_, resp, err := gl.GroupMembers.AddGroupMember(acme.ID, &gitlab.AddGroupMemberOptions{UserID: gitlab.Ptr(users["dev"].ID), AccessLevel: gitlab.Ptr(gitlab.DeveloperPermissions)})
	if err == nil || resp.StatusCode != http.StatusConflict || !strings.Contains(err.Error(), "Member already exists") {
		t.Fatalf("duplicate: got %v, want 409 Member already exists", err)
	}
	list, resp, err := gl.Groups.ListGroupMembers(acme.ID, nil)
	if err != nil || len(list) != 3 || resp.TotalItems != 3 {
		t.Fatalf("list group members: %d (%v)", len(list), err)
	}
	all, _, err := gl.Groups.ListAllGroupMembers("acme/platform", nil)
	if err != nil || len(all) != 3 {
		t.Fatalf("inherited members of the subgroup: %d (%v)", len(all), err)
	}
	// The subgroup's creator is its only direct member.
	direct, _, err := gl.Groups.ListGroupMembers("acme/platform", nil)
	if err != nil || len(direct) != 1 || direct[0].Username != "root" {
		t.Fatalf("direct members of the subgroup: %+v (%v)", direct, err)
	}
	got, _, err := gl.GroupMembers.GetGroupMember(acme.ID, users["alice"].ID)
	if err != nil || got.AccessLevel != gitlab.ReporterPermissions {
		t.Fatalf("get group member: %+v (%v)", got, err)
	}
	inh, _, err := gl.GroupMembers.GetInheritedGroupMember(sub.ID, users["alice"].ID)
	if err != nil || inh.AccessLevel != gitlab.ReporterPermissions {
		t.Fatalf("get inherited group member: %+v (%v)", inh, err)
	}
	edited, _, err := gl.GroupMembers.EditGroupMember(acme.ID, users["alice"].ID, &gitlab.EditGroupMemberOptions{AccessLevel: gitlab.Ptr(gitlab.MaintainerPermissions)})
	if err != nil || edited.AccessLevel != gitlab.MaintainerPermissions {
		t.Fatalf("edit group member: %+v (%v)", edited, err)
	}
	if _, err := gl.GroupMembers.RemoveGroupMember(acme.ID, users["alice"].ID, nil); err != nil {
		t.Fatalf("remove group member: %v", err)
	}
	_, resp, err = gl.GroupMembers.GetGroupMember(acme.ID, users["alice"].ID)
	if !errors.Is(err, gitlab.ErrNotFound) && (resp == nil || resp.StatusCode != http.StatusNotFound) {
		t.Fatalf("removed member: got %v, want 404", err)
	}

	// Project members.
	pm, _, err := gl.ProjectMembers.AddProjectMember(proj.ID, &gitlab.AddProjectMemberOptions{UserID: users["alice"].ID, AccessLevel: gitlab.Ptr(gitlab.DeveloperPermissions)})
	if err != nil || pm.Username != "alice" || pm.AccessLevel != gitlab.DeveloperPermissions {
		t.Fatalf("add project member: %+v (%v)", pm, err)
	}
	_, _, err = gl.ProjectMembers.AddProjectMember(proj.ID, &gitlab.AddProjectMemberOptions{UserID: users["dev"].ID, AccessLevel: gitlab.Ptr(gitlab.ReporterPermissions)})
	if err == nil || !strings.Contains(err.Error(), "inherited membership from group Acme") {
		t.Fatalf("project level below the inherited one: got %v", err)
	}
	pms, _, err := gl.ProjectMembers.ListProjectMembers("acme/platform/api", nil)
	if err != nil || len(pms) != 1 {
		t.Fatalf("list project members: %d (%v)", len(pms), err)
	}
	apms, _, err := gl.ProjectMembers.ListAllProjectMembers(proj.ID, nil)
	if err != nil || len(apms) != 3 {
		t.Fatalf("list all project members: %d (%v)", len(apms), err)
	}
	if _, _, err := gl.ProjectMembers.EditProjectMember(proj.ID, users["alice"].ID, &gitlab.EditProjectMemberOptions{AccessLevel: gitlab.Ptr(gitlab.MaintainerPermissions)}); err != nil {
		t.Fatalf("edit project member: %v", err)
	}
	if _, err := gl.ProjectMembers.DeleteProjectMember(proj.ID, users["alice"].ID); err != nil {
		t.Fatalf("delete project member: %v", err)
	}

	// Invitations.
	res, _, err := gl.Invites.GroupInvites(acme.ID, &gitlab.InvitesOptions{Email: gitlab.Ptr("new@example.org"), AccessLevel: gitlab.Ptr(gitlab.DeveloperPermissions)})
	if err != nil || res.Status != "success" {
		t.Fatalf("group invite: %+v (%v)", res, err)
	}
	res, _, err = gl.Invites.GroupInvites(acme.ID, &gitlab.InvitesOptions{Email: gitlab.Ptr("new@example.org"), AccessLevel: gitlab.Ptr(gitlab.DeveloperPermissions)})
	if err != nil || res.Status != "error" || res.Message["new@example.org"] != "Invite email has already been taken" {
		t.Fatalf("duplicate group invite: %+v (%v)", res, err)
	}
	if res, _, err = gl.Invites.ProjectInvites("acme/platform/api", &gitlab.InvitesOptions{Email: gitlab.Ptr("other@example.org"), AccessLevel: gitlab.Ptr(gitlab.GuestPermissions)}); err != nil || res.Status != "success" {
		t.Fatalf("project invite: %+v (%v)", res, err)
	}
	pending, _, err := gl.Invites.ListPendingGroupInvitations(acme.ID, nil)
	if err != nil || len(pending) != 1 || pending[0].InviteEmail != "new@example.org" || pending[0].AccessLevel != gitlab.DeveloperPermissions ||
		pending[0].CreatedByName != "Administrator" || pending[0].CreatedAt == nil {
		t.Fatalf("pending group invitations: %+v (%v)", pending, err)
	}
	if pp, _, err := gl.Invites.ListPendingProjectInvitations(proj.ID, nil); err != nil || len(pp) != 1 {
		t.Fatalf("pending project invitations: %d (%v)", len(pp), err)
	}
	var tags []string
	for _, m := range inst.mails() {
		tags = append(tags, m.To+":"+m.Tag)
		if m.Variables["invite_token"] == "" || !strings.Contains(m.Body, inst.URL+"/-/invites/"+m.Variables["invite_token"]) {
			t.Errorf("mail to %s has no matching token and link", m.To)
		}
	}
	if strings.Join(tags, ",") != "new@example.org:invite_email,other@example.org:invite_email" {
		t.Fatalf("got mails %v", tags)
	}
}
