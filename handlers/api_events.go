package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// Publisher stores published events with their deliveries (the outbox) and
// wakes the delivery engine.
type Publisher interface {
	PublishEvents(ctx context.Context, projectID, groupID int64, events []*model.Event, uuid string) (db.PublishResult, error)
}

// MaxEventBody is the largest publish request accepted (GitLab's 25 MiB
// webhook request limit).
const MaxEventBody = 25 << 20

// MaxBatchEvents is the most events one publish request may carry: each
// becomes a row and fans out to every matching hook inside the publish
// transaction every publisher shares.
const MaxBatchEvents = 1000

// groupEventKinds are the events a group publishes itself (SPEC §4.1).
var groupEventKinds = map[string]bool{model.KindMember: true, model.KindProject: true, model.KindSubgroup: true}

// GroupEventKind reports whether events of kind are published for a group
// rather than a project.
func GroupEventKind(kind string) bool { return groupEventKinds[kind] }

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
		if groupEventKinds[ev.Kind] {
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
		if !groupEventKinds[ev.Kind] {
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
// body over MaxEventBody, invalid JSON and unknown kinds with a message
// that says what is wrong.
func readEvents(c echo.Context) ([]*model.Event, error) {
	// Start with room for the whole of a usual body (its Content-Length,
	// up to 64 KiB) and the read that finds its end, so that reading it
	// does not grow the buffer step by step.
	buf := bytes.NewBuffer(make([]byte, 0, min(max(c.Request().ContentLength, 0), 64<<10)+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(c.Request().Body, MaxEventBody+1))
	body := buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge()
		}
		return nil, err
	}
	if len(body) > MaxEventBody {
		return nil, tooLarge()
	}
	return ParseEvents(body)
}

// ParseEvents parses a publish body: one event, or {"events": [...]}. The
// body is decoded once, and each event keeps the bytes it arrived as
// (compacted), to be sent as they are.
func ParseEvents(body []byte) ([]*model.Event, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, model.BadRequest("The request body is empty: send one GitLab event payload or {\"events\": [...]}")
	}
	// JSON must be UTF-8 (RFC 8259), and encoding/json lets invalid bytes
	// through inside strings: stored, they would make every later JSON
	// answer that shows the event (Recent events, the events API) invalid.
	if !utf8.Valid(body) {
		return nil, model.BadRequest("The request body is not valid UTF-8: JSON text must be encoded in UTF-8")
	}
	top, raw, err := model.ParsePayloadRaw(body)
	if err != nil {
		if !json.Valid(body) {
			var v any
			err := json.Unmarshal(body, &v)
			return nil, model.BadRequest("The request body is not valid JSON: %v", err)
		}
		return nil, model.BadRequest("The request body must be a JSON object: one GitLab event payload or {\"events\": [...]}")
	}
	_, kind := top.Get("object_kind")
	_, name := top.Get("event_name")
	if events, ok := top.Get("events"); ok && !kind && !name {
		return parseBatch(events, model.ArrayElementsRaw(raw, "events"))
	}
	ev, err := model.NewEvent(top)
	if err != nil {
		return nil, err
	}
	ev.Raw = raw
	return []*model.Event{ev}, nil
}

// parseBatch reads the decoded "events" of {"events": [...]}; raws are
// their bytes.
func parseBatch(events any, raws [][]byte) ([]*model.Event, error) {
	batch, ok := events.([]any)
	if !ok {
		return nil, model.BadRequest("events must be an array of event payloads")
	}
	if len(batch) == 0 {
		return nil, model.BadRequest("events is empty: send at least one event")
	}
	if len(batch) > MaxBatchEvents {
		return nil, &model.Error{Kind: model.ErrTooLarge, Message: fmt.Sprintf("413 Request Entity Too Large: one request may publish at most %d events, this one has %d", MaxBatchEvents, len(batch))}
	}
	out := make([]*model.Event, 0, len(batch))
	for i, v := range batch {
		var ev *model.Event
		obj, ok := v.(*model.JSONObject)
		err := model.BadRequest("event payload must be a JSON object")
		if ok {
			ev, err = model.NewEvent(obj)
		}
		if err != nil {
			if len(batch) > 1 {
				return nil, model.BadRequest("events[%d]: %s", i, err.Error())
			}
			return nil, err
		}
		if len(raws) == len(batch) {
			ev.Raw = raws[i]
		}
		out = append(out, ev)
	}
	return out, nil
}

// eventError names the event of a batch an error is about.
func eventError(events []*model.Event, i int, err error) error {
	if len(events) == 1 {
		return err
	}
	return model.Unprocessable("events[%d]: %s", i, err.Error())
}

func tooLarge() error {
	return &model.Error{Kind: model.ErrTooLarge, Message: fmt.Sprintf("413 Request Entity Too Large: an event body may be at most %d MiB", MaxEventBody>>20)}
}
