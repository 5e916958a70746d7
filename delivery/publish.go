package delivery

import (
	"context"
	"fmt"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// Publish prepares events for sending once — image URLs made absolute, the
// logged copy with e-mail values redacted, the push limit applied — stores
// them with their deliveries in one transaction, and wakes the engine. It
// returns only after the outbox is on disk.
//
// Events are for projectID, or for groupID when projectID is 0. uuid, when
// the publishing request carried X-Gitlab-Event-UUID, is reused and
// recursion detection applies.
func (e *Engine) PublishEvents(ctx context.Context, projectID, groupID int64, events []*model.Event, uuid string) (db.PublishResult, error) {
	st, err := e.currentSettings(ctx)
	if err != nil {
		return db.PublishResult{}, err
	}
	payloads := make([]*model.JSONObject, len(events))
	for i, ev := range events {
		payloads[i] = ev.Payload
	}
	fire := model.PushHooksAllowed(payloads, st.PushEventHooksLimit)
	p := db.Publication{UUID: uuid, Recursive: uuid != "", ProjectID: projectID, GroupID: groupID}
	for i, ev := range events {
		model.RewriteImageURLs(ev.Payload, e.opt.ExternalURL)
		body, err := model.EncodeJSON(ev.Payload)
		if err != nil {
			return db.PublishResult{}, fmt.Errorf("encode event: %w", err)
		}
		logged, err := model.RedactEmailsJSON(body)
		if err != nil {
			return db.PublishResult{}, fmt.Errorf("redact event: %w", err)
		}
		p.Events = append(p.Events, db.PublishEvent{Event: ev, Payload: body, LoggedPayload: logged, FireHooks: fire[i]})
	}
	res, err := e.store.Publish(ctx, p)
	if err != nil {
		return res, err
	}
	if res.Deliveries > 0 {
		e.Notify()
	}
	return res, nil
}
