package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// Publisher stores published events with their deliveries (the outbox) and
// wakes the delivery engine.
type Publisher interface {
	PublishEvents(ctx context.Context, projectID, groupID int64, events []*model.Event, uuid string) (db.PublishResult, error)
}

// apiPublishProjectEvents is POST /projects/:id/hook_events.
func (h *Handler) apiPublishProjectEvents(c echo.Context) error {
	p, level, err := h.projectAccess(c, pathParam(c, "id"))
	if err != nil {
		return err
	}
	if err := requireLevel(level, model.Maintainer); err != nil {
		return err
	}
	events, err := readEvents(c)
	if err != nil {
		return err
	}
	for i, ev := range events {
		if model.IsGroupEventKind(ev.Kind) {
			return model.BadRequest("%s events are group events: publish them with POST /groups/:id/hook_events", ev.Kind)
		}
		if err := model.CheckEventProject(ev.Payload, *p); err != nil {
			return eventError(events, i, err)
		}
	}
	return h.publish(c, p.ID, 0, events)
}

// apiPublishGroupEvents is POST /groups/:id/hook_events.
func (h *Handler) apiPublishGroupEvents(c echo.Context) error {
	g, level, err := h.groupAccess(c, pathParam(c, "id"))
	if err != nil {
		return err
	}
	if err := requireLevel(level, model.Owner); err != nil {
		return err
	}
	events, err := readEvents(c)
	if err != nil {
		return err
	}
	for i, ev := range events {
		if !model.IsGroupEventKind(ev.Kind) {
			return model.BadRequest("%s events belong to a project: publish them with POST /projects/:id/hook_events (groups publish member, project and subgroup events)", ev.Kind)
		}
		if err := model.CheckEventGroup(ev.Payload, ev.Kind, *g); err != nil {
			return eventError(events, i, err)
		}
	}
	return h.publish(c, 0, g.ID, events)
}

func (h *Handler) publish(c echo.Context, projectID, groupID int64, events []*model.Event) error {
	uuid := strings.TrimSpace(c.Request().Header.Get("X-Gitlab-Event-UUID"))
	if len(uuid) > 128 {
		return model.BadRequest("X-Gitlab-Event-UUID is too long (maximum is 128 characters)")
	}
	res, err := h.publisher.PublishEvents(h.ctx(c), projectID, groupID, events, uuid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, publishAnswer{Deliveries: res.Deliveries, EventUUID: res.UUID})
}

// publishAnswer is the 202 body of a publish request.
type publishAnswer struct {
	Deliveries int    `json:"deliveries"`
	EventUUID  string `json:"event_uuid"`
}

// readEvents reads one GitLab-shaped event or {"events": [...]}, refusing a
// body over model.MaxEventBody, invalid JSON and unknown kinds with a message
// that says what is wrong.
func readEvents(c echo.Context) ([]*model.Event, error) {
	// Start with room for the whole of a usual body (its Content-Length,
	// up to 64 KiB) and the read that finds its end, so that reading it
	// does not grow the buffer step by step.
	buf := bytes.NewBuffer(make([]byte, 0, min(max(c.Request().ContentLength, 0), 64<<10)+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(c.Request().Body, model.MaxEventBody+1))
	body := buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, model.EventBodyTooLarge()
		}
		return nil, err
	}
	if len(body) > model.MaxEventBody {
		return nil, model.EventBodyTooLarge()
	}
	return model.ParseEvents(body)
}

// eventError names the event of a batch an error is about.
func eventError(events []*model.Event, i int, err error) error {
	if len(events) == 1 {
		return err
	}
	return model.Unprocessable("events[%d]: %s", i, err.Error())
}
