package handlers

import (
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// JSON entities in GitLab's v4 shapes. Field names follow GitLab's API
// documentation so existing clients decode them unchanged.

type apiUserBasic struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	Name      string `json:"name"`
	State     string `json:"state"`
	Locked    bool   `json:"locked"`
	AvatarURL string `json:"avatar_url"`
	WebURL    string `json:"web_url"`
}

type apiUser struct {
	apiUserBasic
	CreatedAt    web.APITime `json:"created_at"`
	Email        string      `json:"email,omitempty"`
	PublicEmail  string      `json:"public_email"`
	IsAdmin      *bool       `json:"is_admin,omitempty"`
	Bot          bool        `json:"bot"`
	CanCreateGrp bool        `json:"can_create_group"`
}

func (h *Handler) userBasic(u *model.User) apiUserBasic {
	return apiUserBasic{ID: u.ID, Username: u.Username, Name: u.Name, State: u.State,
		Locked: u.Locked(h.srv.Now()), AvatarURL: "", WebURL: h.cfg.ExternalURL + "/" + u.Username}
}

// userEntity shows e-mail and admin flag only to the user and to admins.
func (h *Handler) userEntity(u *model.User, viewer *model.User) apiUser {
	e := apiUser{apiUserBasic: h.userBasic(u), CreatedAt: web.APITime(u.CreatedAt), CanCreateGrp: true}
	if viewer != nil && (viewer.Admin || viewer.ID == u.ID) {
		admin := u.Admin
		e.Email, e.IsAdmin = u.Email, &admin
	}
	return e
}

type apiGroup struct {
	ID          int64       `json:"id"`
	WebURL      string      `json:"web_url"`
	Name        string      `json:"name"`
	Path        string      `json:"path"`
	Description string      `json:"description"`
	Visibility  string      `json:"visibility"`
	FullName    string      `json:"full_name"`
	FullPath    string      `json:"full_path"`
	ParentID    *int64      `json:"parent_id"`
	CreatedAt   web.APITime `json:"created_at"`
	AvatarURL   *string     `json:"avatar_url"`
}

func (h *Handler) groupEntity(g *model.Group) apiGroup {
	return apiGroup{ID: g.ID, WebURL: h.cfg.ExternalURL + views.GroupURL(g), Name: g.Name, Path: g.Path,
		Description: g.Description, Visibility: "private", FullName: g.FullName, FullPath: g.FullPath,
		ParentID: g.ParentID, CreatedAt: web.APITime(g.CreatedAt)}
}

type apiNamespace struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Path     string `json:"path"`
	Kind     string `json:"kind"`
	FullPath string `json:"full_path"`
	ParentID *int64 `json:"parent_id"`
	WebURL   string `json:"web_url"`
}

type apiProject struct {
	ID                int64        `json:"id"`
	Description       string       `json:"description"`
	Name              string       `json:"name"`
	NameWithNamespace string       `json:"name_with_namespace"`
	Path              string       `json:"path"`
	PathWithNamespace string       `json:"path_with_namespace"`
	CreatedAt         web.APITime  `json:"created_at"`
	DefaultBranch     string       `json:"default_branch"`
	WebURL            string       `json:"web_url"`
	Visibility        string       `json:"visibility"`
	Namespace         apiNamespace `json:"namespace"`
}

func (h *Handler) projectEntity(p *model.Project, g *model.Group) apiProject {
	return apiProject{ID: p.ID, Description: p.Description, Name: p.Name, NameWithNamespace: p.FullName,
		Path: p.Path, PathWithNamespace: p.FullPath, CreatedAt: web.APITime(p.CreatedAt), DefaultBranch: p.DefaultBranch,
		WebURL: h.cfg.ExternalURL + views.ProjectURL(p), Visibility: "private",
		Namespace: apiNamespace{ID: g.ID, Name: g.Name, Path: g.Path, Kind: "group", FullPath: g.FullPath,
			ParentID: g.ParentID, WebURL: h.cfg.ExternalURL + views.GroupURL(g)}}
}
