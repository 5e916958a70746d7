package handlers

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
)

// apiNotificationSetting is GitLab's NotificationSetting entity (level, and
// events for custom only) and, with the e-mail, its
// GlobalNotificationSetting entity; fields in GitLab's order.
type apiNotificationSetting struct {
	Level             string             `json:"level"`
	Events            *notificationsJSON `json:"events,omitempty"`
	NotificationEmail *string            `json:"notification_email,omitempty"`
}

// notificationsJSON writes a setting's events in GitLab's order with their
// stored values: true, false or null (a null failed_pipeline is shown as
// null, as GitLab's entity reads the raw column).
type notificationsJSON struct{ st model.NotificationSetting }

func (e notificationsJSON) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, ev := range model.NotificationEventsFor(e.st.SourceType) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + string(ev) + `":`)
		switch v := e.st.Event(ev); {
		case v == nil:
			b.WriteString("null")
		case *v:
			b.WriteString("true")
		default:
			b.WriteString("false")
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func notificationEntity(st model.NotificationSetting) apiNotificationSetting {
	out := apiNotificationSetting{Level: st.Level.String()}
	if st.Level == model.NotificationCustom {
		out.Events = &notificationsJSON{st}
	}
	return out
}

// globalNotificationEntity adds the address notifications go to: the
// chosen one while verified, else the primary address.
func globalNotificationEntity(st model.NotificationSetting, verified []string) apiNotificationSetting {
	out := notificationEntity(st)
	email := model.NotificationEmailOrDefault(st.NotificationEmail, verified)
	out.NotificationEmail = &email
	return out
}

func (h *Handler) apiGetGlobalNotificationSettings(c echo.Context) error {
	ctx, u := h.ctx(c), user(c)
	st, err := h.store.GlobalNotificationSetting(ctx, u.ID)
	if err != nil {
		return err
	}
	verified, err := h.store.VerifiedEmails(ctx, u.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, globalNotificationEntity(st, verified))
}

func (h *Handler) apiUpdateGlobalNotificationSettings(c echo.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	ctx, u := h.ctx(c), user(c)
	st, err := h.store.GlobalNotificationSetting(ctx, u.ID)
	if err != nil {
		return err
	}
	verified, err := h.store.VerifiedEmails(ctx, u.ID)
	if err != nil {
		return err
	}
	if err := h.changeNotificationSetting(c, p, &st, verified); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, globalNotificationEntity(st, verified))
}

// apiGetSourceNotificationSettings answers GET /groups/:id/notification_settings
// and GET /projects/:id/notification_settings.
func (h *Handler) apiGetSourceNotificationSettings(sourceType string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := h.notificationSource(c, sourceType, pathParam(c, "id"))
		if err != nil {
			return err
		}
		st, err := h.store.NotificationSetting(h.ctx(c), user(c).ID, sourceType, id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, notificationEntity(st))
	}
}

// apiUpdateSourceNotificationSettings answers PUT on the same paths.
func (h *Handler) apiUpdateSourceNotificationSettings(sourceType string) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := readParams(c)
		if err != nil {
			return err
		}
		id, err := h.notificationSource(c, sourceType, pathParam(c, "id"))
		if err != nil {
			return err
		}
		st, err := h.store.NotificationSetting(h.ctx(c), user(c).ID, sourceType, id)
		if err != nil {
			return err
		}
		if err := h.changeNotificationSetting(c, p, &st, nil); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, notificationEntity(st))
	}
}

// notificationSource finds the group or project a setting is for by ID or
// full path; one the user cannot see is 404.
func (h *Handler) notificationSource(c echo.Context, sourceType, ref string) (int64, error) {
	if sourceType == model.SourceProject {
		p, _, err := h.projectAccess(c, ref)
		if err != nil {
			return 0, err
		}
		return p.ID, nil
	}
	g, _, err := h.groupAccess(c, ref)
	if err != nil {
		return 0, err
	}
	return g.ID, nil
}

// changeNotificationSetting applies the parameters GitLab declares for a
// setting's source — level, the events the source has and, for the global
// setting, notification_email — and stores the result. Anything else is
// ignored, as Grape's declared params drop it. Nothing is stored when a
// parameter is refused. The API and the preferences page share it.
//
// Errors in GitLab's order: a malformed event boolean ({"error":"new_note is
// invalid"}), an unknown level (400 {"message":"'x' is not a valid level..."}),
// an unverified e-mail and then a blank level (400 {"message":{field:[...]}}).
func (h *Handler) changeNotificationSetting(c echo.Context, p params, st *model.NotificationSetting, verified []string) error {
	for _, e := range model.NotificationEventsFor(st.SourceType) {
		v, given, err := notificationEventParam(p, e)
		if err != nil {
			return err
		}
		if given {
			st.SetEvent(e, v)
		}
	}
	var blankLevel error
	if p.Has("level") {
		name, _ := p.String("level")
		l, err := model.ParseNotificationLevel(st.SourceType, name)
		if _, invalid := model.AsValidation(err); invalid {
			blankLevel = err
		} else if err != nil {
			return err
		} else {
			st.Level = l
		}
	}
	// A null notification_email leaves it as it is; "" goes back to the
	// primary address.
	if raw, ok := p["notification_email"]; ok && raw != nil && st.SourceType == model.SourceGlobal {
		email, _ := p.String("notification_email")
		checked, err := model.CheckNotificationEmail(email, verified)
		if err != nil {
			// Both fields' problems at once, as GitLab's validations do.
			if bl, ok := model.AsValidation(blankLevel); ok {
				if ev, ok := model.AsValidation(err); ok {
					return &model.ValidationError{Errors: append(append([]model.FieldError{}, bl.Errors...), ev.Errors...)}
				}
			}
			return err
		}
		st.NotificationEmail = checked
	}
	if blankLevel != nil {
		return blankLevel
	}
	return h.store.SaveNotificationSetting(h.ctx(c), *st)
}

// notificationEventParam reads one tri-state event: true/false in any of
// Grape's boolean spellings, and null (JSON null or an empty value) to go
// back to the default.
func notificationEventParam(p params, e model.NotificationEvent) (*bool, bool, error) {
	raw, ok := p[string(e)]
	if !ok {
		return nil, false, nil
	}
	if raw == nil {
		return nil, true, nil
	}
	if s, isString := raw.(string); isString && strings.TrimSpace(s) == "" {
		return nil, true, nil
	}
	b, _, err := p.Bool(string(e))
	if err != nil {
		return nil, true, err
	}
	return &b, true, nil
}
