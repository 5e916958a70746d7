package handlers

import (
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// The list filters of GET /groups and GET /projects, with GitLab's
// defaults and its 400 "does not have a valid value" for a bad choice.

// minAccessLevels are the levels min_access_level takes.
var minAccessLevels = []model.AccessLevel{model.Guest, model.Reporter, model.Developer, model.Maintainer, model.Owner}

// accessParams reads owned and min_access_level (and, for projects,
// membership) into a filter on the current user's access.
func accessParams(c echo.Context, p params, membership bool) (db.AccessFilter, error) {
	me := user(c)
	var f db.AccessFilter
	owned, _, err := p.Bool("owned")
	if err != nil {
		return f, err
	}
	if owned {
		f.User, f.Owned = me.ID, true
	}
	if n, ok, err := p.Int64("min_access_level"); err != nil {
		return f, err
	} else if ok {
		if !slices.Contains(minAccessLevels, model.AccessLevel(n)) {
			return f, notValidValue("min_access_level")
		}
		f.User, f.MinLevel = me.ID, model.AccessLevel(n)
	}
	if membership {
		m, _, err := p.Bool("membership")
		if err != nil {
			return f, err
		}
		if m {
			f.User = me.ID
		}
	}
	return f, nil
}

// sortParam reads sort: asc or desc, defaulting to desc when defDesc.
func sortParam(p params, defDesc bool) (bool, error) {
	s, ok := p.String("sort")
	if !ok || s == "" {
		return defDesc, nil
	}
	switch s {
	case "asc":
		return false, nil
	case "desc":
		return true, nil
	}
	return false, notValidValue("sort")
}

// groupListParams reads GET /groups' filters: all_available (by default
// true for administrators), owned, min_access_level, top_level_only,
// skip_groups, search, order_by (name by default; path, id, similarity)
// and sort (asc by default).
func groupListParams(c echo.Context, f *db.GroupFilter) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	me := user(c)
	if all, ok, err := p.Bool("all_available"); err != nil {
		return err
	} else if ok && !all && me.Admin {
		f.Access = db.AccessFilter{User: me.ID}
	}
	access, err := accessParams(c, p, false)
	if err != nil {
		return err
	}
	if access.User != 0 {
		f.Access = access
	}
	if top, _, err := p.Bool("top_level_only"); err != nil {
		return err
	} else if top {
		f.TopLevel = true
	}
	if skip, ok := p.StringList("skip_groups"); ok {
		for _, s := range skip {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return invalidParam("skip_groups")
			}
			f.SkipIDs = append(f.SkipIDs, id)
		}
	}
	f.Search, _ = p.String("search")
	f.Order = db.GroupByName
	if s, ok := p.String("order_by"); ok && s != "" {
		switch s {
		case "name", "similarity":
		case "path":
			f.Order = db.GroupByPath
		case "id":
			f.Order = db.GroupByID
		default:
			return notValidValue("order_by")
		}
	}
	f.Desc, err = sortParam(p, false)
	return err
}

// projectOrders maps GitLab's order_by values for projects onto what the
// store orders by: columns Hooklab does not keep (activity, stars, sizes)
// fall back to the creation time.
var projectOrders = map[string]db.ProjectOrder{
	"id": db.ProjectByID, "name": db.ProjectByName, "path": db.ProjectByPath, "similarity": db.ProjectByName,
	"created_at": db.ProjectByCreatedAt, "updated_at": db.ProjectByCreatedAt, "last_activity_at": db.ProjectByCreatedAt,
	"star_count": db.ProjectByCreatedAt, "storage_size": db.ProjectByCreatedAt, "repository_size": db.ProjectByCreatedAt,
	"wiki_size": db.ProjectByCreatedAt, "packages_size": db.ProjectByCreatedAt,
}

// projectListParams reads the project list filters: owned, membership
// (GET /projects only), min_access_level, visibility (every Hooklab
// project is private), search with search_namespaces, order_by
// (created_at by default) and sort (desc by default).
func projectListParams(c echo.Context, f *db.ProjectFilter, membership bool) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	if f.Access, err = accessParams(c, p, membership); err != nil {
		return err
	}
	if v, ok := p.String("visibility"); ok && v != "" {
		switch v {
		case "private":
		case "internal", "public":
			f.None = true
		default:
			return notValidValue("visibility")
		}
	}
	f.Search, _ = p.String("search")
	if f.SearchNamespaces, _, err = p.Bool("search_namespaces"); err != nil {
		return err
	}
	f.Order = db.ProjectByCreatedAt
	if s, ok := p.String("order_by"); ok && s != "" {
		o, known := projectOrders[s]
		if !known {
			return notValidValue("order_by")
		}
		f.Order = o
	}
	f.Desc, err = sortParam(p, true)
	return err
}
