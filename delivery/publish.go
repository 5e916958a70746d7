package delivery

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// PublisherOptions configure a Publisher.
type PublisherOptions struct {
	// ExternalURL makes image URLs in payloads absolute.
	ExternalURL string
}

// Publisher is the way into the outbox: it stores events and one delivery
// per matching hook, and returns only once they are on disk. Concurrent
// calls are committed in one transaction (group commit). It needs no
// Sender: `hooklab publish` uses one on its own, and a running server's
// engine delivers what it wrote. Inside the server the engine's own
// publisher creates the deliveries it has room for leased to it, and hands
// them straight to its workers.
type Publisher struct {
	store  *db.Store
	opt    PublisherOptions
	engine *Engine // set for the engine's own publisher

	mu      sync.Mutex
	pending []*pubReq
	leading bool
	// For tests: group commits made, and the most one call made.
	commits     atomic.Int64
	mostByACall atomic.Int64
}

// NewPublisher makes a publisher over the store.
func NewPublisher(store *db.Store, opt PublisherOptions) *Publisher {
	return &Publisher{store: store, opt: opt}
}

// pubReq is one publish call waiting for its group commit.
type pubReq struct {
	pub      db.Publication
	payloads map[int]*Payload // event index → prepared payload
	res      db.PublishResult
	err      error
	done     chan struct{} // closed when committed
	lead     chan struct{} // closed when this call is to commit for the others
}

// PublishEvents publishes events through the engine's publisher.
func (e *Engine) PublishEvents(ctx context.Context, projectID, groupID int64, events []*model.Event, uuid string) (db.PublishResult, error) {
	return e.pub.Publish(ctx, projectID, groupID, events, uuid)
}

// Publish prepares events for sending once — image URLs made absolute, the
// push limit applied — and stores them with their deliveries.
//
// Events are for projectID, or for groupID when projectID is 0. uuid, when
// the publishing request carried X-Gitlab-Event-UUID, is reused and
// recursion detection applies.
//
// One caller at a time commits (the leader), for itself and everyone who
// arrived while the previous commit ran. When it is done, it passes the
// lead to the first of those still waiting: no caller commits more than
// its own batch, so however sustained the load, a call waits for at most
// the commit in progress and its own.
func (p *Publisher) Publish(ctx context.Context, projectID, groupID int64, events []*model.Event, uuid string) (db.PublishResult, error) {
	st, err := p.store.CachedSettings(ctx)
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
		lead:     make(chan struct{}),
	}
	for i, ev := range events {
		body, err := eventBody(ev, p.opt.ExternalURL)
		if err != nil {
			return db.PublishResult{}, err
		}
		r.pub.Events = append(r.pub.Events, db.PublishEvent{Event: ev, Payload: body, FireHooks: fire[i]})
		r.payloads[i] = NewStoredPayload(body, nil)
	}
	// Branch filters are decided here, on a reader, so that each publisher
	// pays for its own refs and filters — never inside the write
	// transaction every publisher shares.
	if err := p.store.DecideBranchFilters(ctx, &r.pub); err != nil {
		return db.PublishResult{}, err
	}

	p.mu.Lock()
	p.pending = append(p.pending, r)
	if p.leading {
		p.mu.Unlock()
		select {
		case <-r.done:
			return r.res, r.err
		case <-r.lead:
		}
	} else {
		p.leading = true
		p.mu.Unlock()
	}
	// Leading: commit everyone waiting (r among them), then pass the lead.
	p.mu.Lock()
	batch := p.pending
	p.pending = nil
	p.mu.Unlock()
	p.commit(context.WithoutCancel(ctx), batch)
	p.commits.Add(1)
	made := int64(1)
	p.mu.Lock()
	if len(p.pending) > 0 {
		close(p.pending[0].lead)
	} else {
		p.leading = false
	}
	p.mu.Unlock()
	raiseTo(&p.mostByACall, made)
	return r.res, r.err
}

// raiseTo sets v to n when n is larger.
func raiseTo(v *atomic.Int64, n int64) {
	for {
		old := v.Load()
		if n <= old || v.CompareAndSwap(old, n) {
			return
		}
	}
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

// commit stores a batch of publications in one transaction and, for the
// engine's publisher, hands the deliveries created leased to its workers.
func (p *Publisher) commit(ctx context.Context, batch []*pubReq) {
	pubs := make([]db.Publication, len(batch))
	for i, r := range batch {
		pubs[i] = r.pub
	}
	e := p.engine
	var opt db.PublishOptions
	type admitted struct {
		hookIDs []int64
		bytes   int64
	}
	var reserved []admitted
	if e != nil && e.isRunning() {
		opt.LeaseOwner = e.id
		opt.LeaseUntil = e.leaseUntil(e.now())
		opt.Admit = func(hookIDs []int64, bytes int64) bool {
			if !e.room.admit(hookIDs, bytes) {
				return false
			}
			reserved = append(reserved, admitted{hookIDs, bytes})
			return true
		}
	}
	results, created, errs, err := p.store.PublishBatch(ctx, pubs, opt)
	if err != nil {
		for _, a := range reserved {
			e.room.unadmit(a.hookIDs, a.bytes)
		}
		for _, r := range batch {
			r.err = err
			close(r.done)
		}
		return
	}
	if e != nil {
		e.took(ctx, batch, pubs, results, created)
	}
	for i, r := range batch {
		r.res, r.err = results[i], errs[i]
		close(r.done)
	}
}

// took hands the deliveries a commit created leased to this engine to its
// workers, and keeps the events of the others at hand for their claim.
func (e *Engine) took(ctx context.Context, batch []*pubReq, pubs []db.Publication, results []db.PublishResult, created []db.NewDelivery) {
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
		hot = append(hot, hotJob{d: d, event: de, p: o.r.payloads[o.i], size: d.Size})
	}
	if len(hot) > 0 && !e.handOver(hot) {
		// The engine stopped meanwhile: the outbox keeps them.
		jobs := make([]Job, len(hot))
		for i, h := range hot {
			jobs[i] = Job{DeliveryID: h.d.ID, Hook: &model.Hook{ID: h.d.HookID}, size: h.size}
		}
		e.handBack(ctx, jobs)
	}
	if unleased {
		e.Notify()
	}
}

// handOver gives hot deliveries to the running engine; false when it is
// not running or cannot take them now.
func (e *Engine) handOver(hot []hotJob) bool {
	e.handoff.RLock()
	defer e.handoff.RUnlock()
	if !e.running {
		return false
	}
	select {
	case e.hot <- hot:
		return true
	default:
		return false
	}
}
