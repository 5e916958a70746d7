// Package views holds Hooklab's templ components. Templates only render:
// every value they show comes in through their arguments.
package views

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hooklab/hooklab/model"
)

// Page is what every full page's layout needs.
type Page struct {
	Title       string
	User        *model.User
	CSRF        string
	Flashes     []Flash
	Nav         Nav
	Crumbs      []Crumb
	Now         time.Time
	ExternalURL string
}

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind    string // notice, alert, warning
	Message string
}

// Crumb is one breadcrumb link.
type Crumb struct {
	Label, URL string
}

// Nav is the sidebar of a section (project, group, admin, profile).
type Nav struct {
	Title  string
	Items  []NavItem
	Active string
}

// NavItem is one sidebar link.
type NavItem struct {
	Key, Label, URL string
}

// FieldErrors returns the messages for a field of a validation error.
func FieldErrors(v *model.ValidationError, field string) []string { return v.For(field) }

// ProjectURL returns the URL of a project page: ProjectURL(p) is the
// project itself, ProjectURL(p, "hooks", 3, "edit") "/acme/api/-/hooks/3/edit".
func ProjectURL(p *model.Project, parts ...any) string {
	return scoped("/"+p.FullPath, parts)
}

// GroupURL returns the URL of a group page under /groups/<full path>.
func GroupURL(g *model.Group, parts ...any) string {
	return scoped("/groups/"+g.FullPath, parts)
}

func scoped(base string, parts []any) string {
	if len(parts) == 0 {
		return base
	}
	var b strings.Builder
	b.WriteString(base)
	b.WriteString("/-")
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(fmt.Sprint(p)))
	}
	return b.String()
}

// ProjectNav is the sidebar of a project's pages.
func ProjectNav(p *model.Project, active string, canAdmin bool) Nav {
	n := Nav{Title: p.Name, Active: active, Items: []NavItem{
		{"overview", "Overview", ProjectURL(p)},
		{"members", "Members", ProjectURL(p, "project_members")},
	}}
	if canAdmin {
		n.Items = append(n.Items, NavItem{"hooks", "Webhooks", ProjectURL(p, "hooks")})
	}
	return n
}

// GroupNav is the sidebar of a group's pages.
func GroupNav(g *model.Group, active string, canAdmin bool) Nav {
	n := Nav{Title: g.Name, Active: active, Items: []NavItem{
		{"overview", "Overview", GroupURL(g)},
		{"members", "Members", GroupURL(g, "group_members")},
	}}
	if canAdmin {
		n.Items = append(n.Items, NavItem{"hooks", "Webhooks", GroupURL(g, "hooks")})
	}
	return n
}

// AdminNav is the sidebar of the admin area.
func AdminNav(active string) Nav {
	return Nav{Title: "Admin area", Active: active, Items: []NavItem{
		{"overview", "Overview", "/admin"},
		{"users", "Users", "/admin/users"},
		{"groups", "Groups", "/admin/groups"},
		{"projects", "Projects", "/admin/projects"},
		{"hooks", "System hooks", "/admin/hooks"},
		{"settings", "Settings", "/admin/application_settings/general"},
		{"mailgun", "Mailgun failures", "/admin/mailgun/failures"},
	}}
}

// ProfileNav is the sidebar of the user's own settings.
func ProfileNav(active string) Nav {
	return Nav{Title: "User settings", Active: active, Items: []NavItem{
		{"account", "Account", "/-/profile"},
		{"password", "Password", "/-/profile/password/edit"},
		{"emails", "Emails", "/-/profile/emails"},
		{"tokens", "Access tokens", "/-/profile/personal_access_tokens"},
		{"active_sessions", "Active sessions", ActiveSessionsPath},
		{"notifications", "Notifications", "/-/profile/notifications"},
	}}
}

// GroupCrumbs returns breadcrumbs for a group's ancestors and itself.
func GroupCrumbs(ancestors []model.Group, g *model.Group) []Crumb {
	out := make([]Crumb, 0, len(ancestors)+1)
	for i := range ancestors {
		out = append(out, Crumb{ancestors[i].Name, GroupURL(&ancestors[i])})
	}
	if g != nil {
		out = append(out, Crumb{g.Name, GroupURL(g)})
	}
	return out
}

// TimeAgo renders a duration before now the way GitLab's UI does.
func TimeAgo(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = "just now"
		return s
	case d < time.Hour:
		s = plural(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		s = plural(int(d/time.Hour), "hour")
	case d < 30*24*time.Hour:
		s = plural(int(d/(24*time.Hour)), "day")
	case d < 365*24*time.Hour:
		s = plural(int(d/(30*24*time.Hour)), "month")
	default:
		s = plural(int(d/(365*24*time.Hour)), "year")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// ExactTime is the precise time shown on hover.
func ExactTime(t time.Time) string { return t.UTC().Format("Jan 2, 2006 15:04:05 UTC") }
