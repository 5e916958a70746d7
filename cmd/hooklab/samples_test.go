package main

import (
	"encoding/json"
	"testing"

	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/model"
)

// sampleFor is GitLab's sample event of a trigger made about the project
// it is published for: publishing refuses a payload whose project_id,
// project.id, object_attributes.project_id or project.path_with_namespace
// names another project.
func sampleFor(t *testing.T, gl *gitlab.Client, scope, project string) []byte {
	t.Helper()
	tr, _ := model.TriggerByScope(scope)
	body, ok := model.SampleJSON(tr)
	if !ok {
		t.Fatalf("no sample for %s", scope)
	}
	return aboutProject(t, gl, body, project)
}

// aboutProject rewrites a project event's payload (its project_id,
// project.id, object_attributes.project_id and project.path_with_namespace,
// where present) to name the project (full path).
func aboutProject(t *testing.T, gl *gitlab.Client, body []byte, project string) []byte {
	t.Helper()
	p, _, err := gl.Projects.GetProject(project, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := model.ParsePayload(body)
	if err != nil {
		t.Fatal(err)
	}
	id := json.Number(itoa(int64(p.ID)))
	if _, ok := payload.Get("project_id"); ok {
		payload.Set("project_id", id)
	}
	if attrs := payload.Object("object_attributes"); attrs != nil {
		if _, ok := attrs.Get("project_id"); ok {
			attrs.Set("project_id", id)
		}
	}
	if proj := payload.Object("project"); proj != nil {
		proj.Set("id", id)
		if _, ok := proj.Get("path_with_namespace"); ok {
			proj.Set("path_with_namespace", p.PathWithNamespace)
		}
	}
	out, err := model.EncodeJSON(payload)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// groupSampleFor is GitLab's sample of a group event (member, project,
// subgroup) made about the group (full path): what the payload names lies
// in the group, as publishing requires.
func groupSampleFor(t *testing.T, gl *gitlab.Client, scope, group string) []byte {
	t.Helper()
	g, _, err := gl.Groups.GetGroup(group, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := model.TriggerByScope(scope)
	body, ok := model.SampleJSON(tr)
	if !ok {
		t.Fatalf("no sample for %s", scope)
	}
	payload, err := model.ParsePayload(body)
	if err != nil {
		t.Fatal(err)
	}
	set := func(key string, v any) {
		if _, ok := payload.Get(key); ok {
			payload.Set(key, v)
		}
	}
	set("group_id", json.Number(itoa(int64(g.ID))))
	set("group_path", g.Path)
	set("path_with_namespace", g.FullPath+"/sample-project")
	set("full_path", g.FullPath+"/sample-subgroup")
	set("parent_full_path", g.FullPath)
	set("parent_group_id", json.Number(itoa(int64(g.ID))))
	out, err := model.EncodeJSON(payload)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
