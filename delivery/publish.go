package delivery

import (
	"context"
	"fmt"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// pubReq is one publish call waiting for its group commit.
type pubReq struct {
	pub      db.Publication
	payloads map[int]*Payload // event index → prepared payload
	res      db.PublishResult
	err      error
	done     chan struct{}
}

// PublishEvents prepares events for sending once — image URLs made
// absolute, the push limit applied — and stores them with their
// deliveries. It returns only after the outbox is on disk. Concurrent calls
// are committed in one transaction (group commit): the first caller writes
// for everyone waiting.
//
// Events are for projectID, or for groupID when projectID is 0. uuid, when
// the publishing request carried X-Gitlab-Event-UUID, is reused and
// recursion detection applies.
func (e *Engine) PublishEvents(ctx context.Context, projectID, groupID int64, events []*model.Event, uuid string) (db.PublishResult, error) {
	st, err := e.store.CachedSettings(ctx)
	if err != nil {
		return db.PublishResult{}, err
	}
	payloads := make([]*model.JSONObject, len(events))
	for i, ev := range events {
		payloads[i] = ev.Payload
	}
	fire := model.PushHooksAllowed(payloads, st.PushEventHooksLimit)
	r := &pubReq{
		pub:      db.Publication{UUID: uuid, Recursive: uuid != "", ProjectID: projectID, GroupID: groupID},
		payloads: map[int]*Payload{},
		done:     make(chan struct{}),
	}
	for i, ev := range events {
		body, err := eventBody(ev, e.opt.ExternalURL)
		if err != nil {
			return db.PublishResult{}, err
		}
		r.pub.Events = append(r.pub.Events, db.PublishEvent{Event: ev, Payload: body, FireHooks: fire[i]})
		r.payloads[i] = NewStoredPayload(body, nil)
	}

	e.pubMu.Lock()
	e.pubPending = append(e.pubPending, r)
	if e.pubLeader {
		e.pubMu.Unlock()
		<-r.done
		return r.res, r.err
	}
	e.pubLeader = true
	e.pubMu.Unlock()
	for {
		e.pubMu.Lock()
		batch := e.pubPending
		e.pubPending = nil
		if len(batch) == 0 {
			e.pubLeader = false
			e.pubMu.Unlock()
			break
		}
		e.pubMu.Unlock()
		e.commit(context.WithoutCancel(ctx), batch, st)
	}
	<-r.done
	return r.res, r.err
}

// eventBody is what receivers get: the payload with image URLs made
// absolute, re-encoded only when that changed it, else as it arrived
// (compacted when it was parsed).
func eventBody(ev *model.Event, externalURL string) ([]byte, error) {
	if !model.RewriteImageURLs(ev.Payload, externalURL) && ev.Raw != nil {
		return ev.Raw, nil
	}
	body, err := model.EncodeJSON(ev.Payload)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	return body, nil
}

// commit stores a batch of publications in one transaction and hands the
// deliveries created leased to the running engine's workers.
func (e *Engine) commit(ctx context.Context, batch []*pubReq, st model.Settings) {
	pubs := make([]db.Publication, len(batch))
	for i, r := range batch {
		pubs[i] = r.pub
	}
	type reserved struct {
		hookIDs []int64
		bytes   int64
	}
	var admitted []reserved
	admit := func(hookIDs []int64, payloadBytes int64) bool {
		if !e.admit(hookIDs, payloadBytes) {
			return false
		}
		admitted = append(admitted, reserved{hookIDs, payloadBytes})
		return true
	}
	results, created, errs, err := e.store.PublishBatch(ctx, pubs, db.PublishOptions{Admit: admit, LeaseUntil: e.now().Add(lease(st))})
	if err != nil {
		for _, r := range admitted {
			e.unadmit(r.hookIDs, r.bytes)
		}
		for _, r := range batch {
			r.err = err
			close(r.done)
		}
		return
	}
	// Map each created delivery back to its request's prepared payload.
	type owner struct {
		r    *pubReq
		uuid string
		i    int
	}
	eventOwner := map[int64]owner{}
	for bi, r := range batch {
		for i, ev := range pubs[bi].Events {
			if ev.EventID != 0 {
				eventOwner[ev.EventID] = owner{r, results[bi].UUID, i}
			}
		}
	}
	var hot []hotJob
	var unleased bool
	events := map[int64]*db.DeliveryEvent{}
	for _, d := range created {
		o := eventOwner[d.EventID]
		de := events[d.EventID]
		if de == nil {
			ev := o.r.pub.Events[o.i]
			de = &db.DeliveryEvent{ID: d.EventID, UUID: o.uuid, Scope: ev.Event.Trigger.Scope,
				Payload: ev.Payload, RootGroupID: ev.RootGroupID}
			if o.r.pub.ProjectID != 0 {
				pid := o.r.pub.ProjectID
				de.ProjectID = &pid
			}
			events[d.EventID] = de
		}
		if !d.Leased {
			// Claimed from the outbox later: keep its event at hand.
			unleased = true
			e.events.put(de, o.r.payloads[o.i])
			continue
		}
		hot = append(hot, hotJob{d: d, event: de, p: o.r.payloads[o.i], size: int64(len(o.r.pub.Events[o.i].Payload))})
	}
	if len(hot) > 0 {
		select {
		case e.hot <- hot:
		default:
			// The engine is not taking work: the outbox keeps them.
			ids := make([]int64, len(hot))
			for i, h := range hot {
				ids[i] = h.d.ID
				e.load.done(h.d.HookID, h.size)
			}
			if err := e.store.ReleaseDeliveries(ctx, ids); err != nil {
				e.log.Error("release deliveries", "err", err)
			}
			unleased = true
		}
	}
	if unleased {
		e.Notify()
	}
	for i, r := range batch {
		r.res, r.err = results[i], errs[i]
		close(r.done)
	}
}
