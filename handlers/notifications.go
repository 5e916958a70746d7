package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// notificationsPage is profile → Notifications.
func (h *Handler) notificationsPage(c echo.Context) error {
	v, err := h.notificationsView(c)
	if err != nil {
		return err
	}
	return h.renderNotifications(c, http.StatusOK, v)
}

func (h *Handler) renderNotifications(c echo.Context, status int, v views.NotificationsView) error {
	if web.IsFragment(c) {
		return web.Render(c, status, views.NotificationSettings(v))
	}
	return web.Render(c, status, views.NotificationsPage(h.notificationsLayout(c, "Notifications"), v))
}

func (h *Handler) notificationsLayout(c echo.Context, title string) views.Page {
	p := h.srv.Page(c, title)
	p.Nav = views.ProfileNav("notifications")
	p.Crumbs = []views.Crumb{{Label: "User settings", URL: "/-/profile"}, {Label: "Notifications", URL: views.NotificationsPath}}
	return p
}

// notificationsView gathers the user's global setting, verified e-mails and
// a row for every group and project they belong to, each with what "global"
// resolves to there.
func (h *Handler) notificationsView(c echo.Context) (views.NotificationsView, error) {
	ctx, u := h.ctx(c), user(c)
	v := views.NotificationsView{CSRF: web.CSRFToken(c)}
	global, err := h.store.GlobalNotificationSetting(ctx, u.ID)
	if err != nil {
		return v, err
	}
	if v.Emails, err = h.store.VerifiedEmails(ctx, u.ID); err != nil {
		return v, err
	}
	v.Email = model.NotificationEmailOrDefault(global.NotificationEmail, v.Emails)
	v.Global = views.NotificationRow{Setting: global}

	stored, err := h.store.UserNotificationSettings(ctx, u.ID)
	if err != nil {
		return v, err
	}
	type source struct {
		kind string
		id   int64
	}
	settings := map[source]model.NotificationSetting{}
	for _, st := range stored {
		settings[source{st.SourceType, st.SourceID}] = st
	}
	setting := func(kind string, id int64) model.NotificationSetting {
		if st, ok := settings[source{kind, id}]; ok {
			return st
		}
		return model.DefaultNotificationSetting(u.ID, kind, id)
	}

	// Membership, not admin rights, decides what is listed: the groups and
	// projects the user reaches through their memberships.
	all := db.Page{Page: 1, PerPage: 1000}
	groups, _, err := h.store.Groups(ctx, db.GroupFilter{VisibleTo: u.ID, Page: all})
	if err != nil {
		return v, err
	}
	projects, _, err := h.store.Projects(ctx, db.ProjectFilter{VisibleTo: u.ID, Page: all})
	if err != nil {
		return v, err
	}
	byID := make(map[int64]*model.Group, len(groups))
	for i := range groups {
		byID[groups[i].ID] = &groups[i]
	}
	// chainFrom is the user's settings from group id up to the root, for
	// model.EffectiveNotificationLevel.
	chainFrom := func(id *int64) ([]model.NotificationSetting, error) {
		var chain []model.NotificationSetting
		for id != nil {
			g, ok := byID[*id]
			if !ok {
				var err error
				if g, err = h.store.Group(ctx, *id); err != nil {
					return nil, err
				}
				byID[g.ID] = g
			}
			chain = append(chain, setting(model.SourceGroup, g.ID))
			id = g.ParentID
		}
		return chain, nil
	}
	// inherited is what "global" resolves to under the chain, and the name
	// of the group it comes from ("" for the user's global level).
	inherited := func(chain []model.NotificationSetting) (model.NotificationLevel, string) {
		eff := model.EffectiveNotificationSetting(global, chain...)
		if eff.SourceType == model.SourceGroup {
			if g, ok := byID[eff.SourceID]; ok {
				return eff.Level, g.FullName
			}
		}
		return eff.Level, ""
	}
	for _, g := range groups {
		above, err := chainFrom(g.ParentID)
		if err != nil {
			return v, err
		}
		level, from := inherited(above)
		v.Groups = append(v.Groups, views.NotificationRow{Name: g.FullName, URL: views.GroupURL(&g),
			Setting: setting(model.SourceGroup, g.ID), Inherited: level, InheritedFrom: from})
	}
	for _, p := range projects {
		above, err := chainFrom(&p.GroupID)
		if err != nil {
			return v, err
		}
		level, from := inherited(above)
		v.Projects = append(v.Projects, views.NotificationRow{Name: p.FullName, URL: views.ProjectURL(&p),
			Setting: setting(model.SourceProject, p.ID), Inherited: level, InheritedFrom: from})
	}
	return v, nil
}

// notificationSetting loads the setting a page route is about: the global
// one, or the user's for the group or project :id (404 when not visible).
func (h *Handler) notificationSetting(c echo.Context, sourceType string) (model.NotificationSetting, string, error) {
	ctx, u := h.ctx(c), user(c)
	if sourceType == model.SourceGlobal {
		st, err := h.store.GlobalNotificationSetting(ctx, u.ID)
		return st, "", err
	}
	if _, err := strconv.ParseInt(c.Param("id"), 10, 64); err != nil {
		return model.NotificationSetting{}, "", model.NotFound("Page")
	}
	id, err := h.notificationSource(c, sourceType, c.Param("id"))
	if err != nil {
		return model.NotificationSetting{}, "", err
	}
	name := ""
	if sourceType == model.SourceProject {
		p, err := h.store.Project(ctx, id)
		if err != nil {
			return model.NotificationSetting{}, "", err
		}
		name = p.FullName
	} else {
		g, err := h.store.Group(ctx, id)
		if err != nil {
			return model.NotificationSetting{}, "", err
		}
		name = g.FullName
	}
	st, err := h.store.NotificationSetting(ctx, u.ID, sourceType, id)
	return st, name, err
}

// updateNotifications saves a level (and, for global, the notification
// e-mail) from the page. htmx gets the page body back with the change
// confirmed, and the events dialog open when the level just became custom;
// a plain form is redirected, to the events page after choosing custom.
func (h *Handler) updateNotifications(sourceType string) echo.HandlerFunc {
	return func(c echo.Context) error {
		st, name, err := h.notificationSetting(c, sourceType)
		if err != nil {
			return err
		}
		p, err := readParams(c)
		if err != nil {
			return err
		}
		form := params{}
		for _, k := range []string{"level", "notification_email"} {
			if p.Has(k) {
				form[k] = p[k]
			}
		}
		var verified []string
		if sourceType == model.SourceGlobal {
			if verified, err = h.store.VerifiedEmails(h.ctx(c), user(c).ID); err != nil {
				return err
			}
		}
		was := st.Level
		row := views.NotificationRow{Name: name, Setting: st}
		if err := h.changeNotificationSetting(c, form, &st, verified); err != nil {
			fields, err := web.FormErrors(err)
			if err != nil {
				return err
			}
			v, err := h.notificationsView(c)
			if err != nil {
				return err
			}
			v.Errors = formSentences(fields, notificationFormFields)
			return h.renderNotifications(c, http.StatusUnprocessableEntity, v)
		}
		row.Setting = st
		becameCustom := st.Level == model.NotificationCustom && was != model.NotificationCustom
		if web.IsFragment(c) {
			v, err := h.notificationsView(c)
			if err != nil {
				return err
			}
			v.Saved = row.Key()
			if becameCustom {
				v.Open = row.Key()
			}
			return web.Render(c, http.StatusOK, views.NotificationSettings(v))
		}
		if becameCustom {
			h.srv.Flash(c, "notice", "Notification settings saved. Choose the events you want e-mail about.")
			return web.Redirect(c, row.EventsURL())
		}
		h.srv.Flash(c, "notice", "Notification settings saved.")
		return web.Redirect(c, views.NotificationsPath)
	}
}

// notificationEventsPage lists a setting's custom events as one form, for
// browsers without JavaScript (the page's dialog does this with htmx).
func (h *Handler) notificationEventsPage(sourceType string) echo.HandlerFunc {
	return func(c echo.Context) error {
		st, name, err := h.notificationSetting(c, sourceType)
		if err != nil {
			return err
		}
		row := views.NotificationRow{Name: name, Setting: st}
		return web.Render(c, http.StatusOK, views.NotificationEventsPage(h.notificationsLayout(c, "Custom notification events"), row))
	}
}

// updateNotificationEvents saves custom events: one checkbox from the dialog
// (htmx gets that checkbox back, confirmed) or the whole events page.
func (h *Handler) updateNotificationEvents(sourceType string) echo.HandlerFunc {
	return func(c echo.Context) error {
		st, name, err := h.notificationSetting(c, sourceType)
		if err != nil {
			return err
		}
		p, err := readParams(c)
		if err != nil {
			return err
		}
		form := params{}
		var changed []model.NotificationEvent
		for _, e := range model.NotificationEventsFor(sourceType) {
			if p.Has(string(e)) {
				form[string(e)] = p[string(e)]
				changed = append(changed, e)
			}
		}
		if err := h.changeNotificationSetting(c, form, &st, nil); err != nil {
			return err
		}
		row := views.NotificationRow{Name: name, Setting: st}
		if web.IsFragment(c) {
			return web.Render(c, http.StatusOK, views.NotificationEventForms(web.CSRFToken(c), row, changed))
		}
		h.srv.Flash(c, "notice", "Notification events saved.")
		return web.Redirect(c, views.NotificationsPath)
	}
}
