package model

import (
	"encoding/json"
	"strconv"
	"strings"
)

// An event is published for the project (or group) in the request's path,
// which is what the publisher's access was checked against. Group and
// system hooks deliver it with their secret tokens, so a payload that
// names another project or group — one the publisher may not even see —
// is refused. Fields that are absent or null are fine.

// CheckEventProject refuses a project event whose project_id, project.id,
// object_attributes.project_id or project.path_with_namespace is not the
// project's.
func CheckEventProject(p *JSONObject, project Project) error {
	for _, path := range [][]string{{"project_id"}, {"project", "id"}, {"object_attributes", "project_id"}} {
		if err := idField(p, path, project.ID, "project "+project.FullPath); err != nil {
			return err
		}
	}
	return pathField(p, []string{"project", "path_with_namespace"}, "project "+project.FullPath, func(s string) bool {
		return strings.EqualFold(s, project.FullPath)
	})
}

// CheckEventGroup refuses a group event (member, project, subgroup) about
// something outside the group: a member event's group_id and group_path
// must be the group's; a project event's path_with_namespace and a
// subgroup event's full_path must lie under it, and a subgroup event's
// parent_full_path must be the group or under it, its parent_group_id the
// group's when the parent is the group itself.
func CheckEventGroup(p *JSONObject, kind string, g Group) error {
	what := "group " + g.FullPath
	under := func(s string) bool {
		return len(s) > len(g.FullPath)+1 && strings.EqualFold(s[:len(g.FullPath)+1], g.FullPath+"/")
	}
	switch kind {
	case KindMember:
		if err := idField(p, []string{"group_id"}, g.ID, what); err != nil {
			return err
		}
		return pathField(p, []string{"group_path"}, what, func(s string) bool { return strings.EqualFold(s, g.Path) })
	case KindProject:
		return pathField(p, []string{"path_with_namespace"}, what, under)
	case KindSubgroup:
		if err := pathField(p, []string{"full_path"}, what, under); err != nil {
			return err
		}
		parentIsGroup := strings.EqualFold(p.String("parent_full_path"), g.FullPath)
		if err := pathField(p, []string{"parent_full_path"}, what, func(s string) bool { return parentIsGroup || under(s) }); err != nil {
			return err
		}
		if parentIsGroup {
			return idField(p, []string{"parent_group_id"}, g.ID, what)
		}
	}
	return nil
}

// idField checks the ID at path, when present, is id.
func idField(p *JSONObject, path []string, id int64, what string) error {
	v, ok := p.Lookup(path...)
	if !ok || v == nil {
		return nil
	}
	var text string
	switch x := v.(type) {
	case json.Number:
		text = x.String()
	case string:
		text = x
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil && n == id {
		return nil
	}
	return Unprocessable("%s does not match the %s (ID %d) the event is published for", strings.Join(path, "."), what, id)
}

// pathField checks the string at path, when present, with ok.
func pathField(p *JSONObject, path []string, what string, ok func(string) bool) error {
	v, found := p.Lookup(path...)
	if !found || v == nil {
		return nil
	}
	if s, isString := v.(string); isString && ok(s) {
		return nil
	}
	return Unprocessable("%s does not match the %s the event is published for", strings.Join(path, "."), what)
}
