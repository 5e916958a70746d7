package delivery

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// Job is one delivery to attempt.
type Job struct {
	DeliveryID     int64
	Hook           *model.Hook
	Event          *db.DeliveryEvent
	Payload        *Payload
	IdempotencyKey string
	// Settings are the application settings read when the job was taken.
	Settings model.Settings
}

// EngineOptions tune the engine; zero values take the defaults.
type EngineOptions struct {
	// Workers is how many deliveries are sent at once (default 64).
	Workers int
	// PerHook caps concurrent sends to one hook so a slow receiver cannot
	// take every worker (default 8).
	PerHook int
	// BatchSize and BatchWait bound how many outcomes are written in one
	// transaction and how long the first of them waits (256, 5ms).
	BatchSize int
	BatchWait time.Duration
	// Poll is how often the outbox is checked without a wake-up, which
	// finds deliveries whose lease expired (default 1s).
	Poll time.Duration
	// PruneEvery is how often old log rows are deleted (default 10m).
	PruneEvery time.Duration
	// ExternalURL makes image URLs in payloads absolute.
	ExternalURL string
	Logger      *slog.Logger
	Now         func() time.Time
}

// Engine delivers the outbox. Publishing stores events and their
// deliveries in one transaction (concurrent publishes commit together);
// while the engine runs and has room, new deliveries are created leased to
// it and go straight to its workers. Everything else — deliveries
// published by another process, left over by a restart, or whose worker
// died — is claimed from the outbox with a lease. A bounded pool of
// workers sends, capped per hook, and outcomes are written in batches
// with their log rows and the hooks' auto-disable state.
type Engine struct {
	store   *db.Store
	sender  *Sender
	opt     EngineOptions
	log     *slog.Logger
	now     func() time.Time
	wake    chan struct{}
	limiter *callLimiter

	running atomic.Bool
	hot     chan []hotJob // deliveries created leased to this engine
	claimed chan []Job    // deliveries claimed from the outbox
	room    chan struct{} // a held delivery finished: the claimer may take more
	load    load          // deliveries held in memory: queued or in flight

	pubMu      sync.Mutex
	pubPending []*pubReq
	pubLeader  bool
}

// hotJob is a delivery created leased to the running engine, with its
// event already in memory.
type hotJob struct {
	d     db.NewDelivery
	event *db.DeliveryEvent
	p     *Payload
}

// load counts the deliveries the engine holds, in total and per hook, to
// bound memory and to keep every held delivery sent well within its lease.
type load struct {
	mu      sync.Mutex
	total   int
	perHook map[int64]int
}

func (l *load) add(hookID int64, n int) {
	l.mu.Lock()
	l.total += n
	l.perHook[hookID] += n
	l.mu.Unlock()
}

func (l *load) done(hookID int64) {
	l.mu.Lock()
	l.total--
	if l.perHook[hookID]--; l.perHook[hookID] <= 0 {
		delete(l.perHook, hookID)
	}
	l.mu.Unlock()
}

// NewEngine makes an engine over the store.
func NewEngine(store *db.Store, sender *Sender, opt EngineOptions) *Engine {
	if opt.Workers <= 0 {
		opt.Workers = 64
	}
	if opt.PerHook <= 0 {
		opt.PerHook = 8
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 256
	}
	if opt.BatchWait <= 0 {
		opt.BatchWait = 5 * time.Millisecond
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.PruneEvery <= 0 {
		opt.PruneEvery = 10 * time.Minute
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Engine{store: store, sender: sender, opt: opt, log: opt.Logger, now: opt.Now,
		wake: make(chan struct{}, 1), limiter: newCallLimiter(), hot: make(chan []hotJob, 256),
		claimed: make(chan []Job, 4), room: make(chan struct{}, 1),
		load: load{perHook: map[int64]int{}}}
}

// Notify wakes the engine: deliveries are due in the outbox.
func (e *Engine) Notify() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// heldRounds is how many times over a hook's concurrency cap the engine
// holds deliveries for it: the last of them waits that many timeouts.
const heldRounds = 4

// lease is how long a delivery held by the engine stays its own: long
// enough to wait its turn behind heldRounds rounds of timeouts, and send.
func lease(st model.Settings) time.Duration {
	return (heldRounds+1)*time.Duration(st.WebhookTimeout)*time.Second + 30*time.Second
}

// maxHeld bounds the deliveries held in memory; maxHeldPerHook keeps a
// slow hook's queue short enough to drain within the lease.
func (e *Engine) maxHeld() int        { return 16 * e.opt.Workers }
func (e *Engine) maxHeldPerHook() int { return heldRounds * e.opt.PerHook }

// admit reserves room for new deliveries to hooks, all or nothing.
func (e *Engine) admit(hookIDs []int64) bool {
	if !e.running.Load() {
		return false
	}
	per := map[int64]int{}
	for _, id := range hookIDs {
		per[id]++
	}
	e.load.mu.Lock()
	defer e.load.mu.Unlock()
	if e.load.total+len(hookIDs) > e.maxHeld() {
		return false
	}
	for id, n := range per {
		if e.load.perHook[id]+n > e.maxHeldPerHook() {
			return false
		}
	}
	for id, n := range per {
		e.load.perHook[id] += n
	}
	e.load.total += len(hookIDs)
	return true
}

type finished struct{ hookID int64 }

// Run delivers until ctx is cancelled, then shuts down gracefully: it stops
// taking work, hands back deliveries it held but had not started, lets
// in-flight sends finish (each is bounded by the webhook timeout), and
// writes their outcomes before returning.
func (e *Engine) Run(ctx context.Context) error {
	jobs := make(chan Job)
	done := make(chan finished, e.opt.Workers)
	outcomes := make(chan db.Outcome, e.opt.BatchSize*2)

	// Sends are not cancelled by shutdown: a request already on the wire
	// finishes (or times out) and its outcome is recorded.
	sendCtx := context.WithoutCancel(ctx)
	var workers sync.WaitGroup
	for i := 0; i < e.opt.Workers; i++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range jobs {
				outcomes <- e.attempt(sendCtx, j)
				done <- finished{j.Hook.ID}
			}
		}()
	}
	recorderDone := make(chan struct{})
	go func() {
		defer close(recorderDone)
		e.record(sendCtx, outcomes)
	}()
	pruneDone := make(chan struct{})
	go func() {
		defer close(pruneDone)
		e.pruneLoop(ctx)
	}()

	e.running.Store(true)
	claimerDone := make(chan struct{})
	go func() {
		defer close(claimerDone)
		e.claimLoop(ctx, outcomes)
	}()
	d := &dispatcher{e: e, inflight: map[int64]int{}, queued: map[int64][]Job{}}
	err := d.loop(ctx, jobs, done, outcomes)
	e.running.Store(false)
	<-claimerDone

	// Shutdown: hand back what was held but never started, including hot
	// deliveries published while the loop was stopping.
	var release []int64
	for _, q := range d.queued {
		for _, j := range q {
			release = append(release, j.DeliveryID)
		}
	}
	for {
		select {
		case batch := <-e.hot:
			for _, h := range batch {
				release = append(release, h.d.ID)
			}
			continue
		case batch := <-e.claimed:
			for _, j := range batch {
				release = append(release, j.DeliveryID)
			}
			continue
		default:
		}
		break
	}
	if len(release) > 0 {
		if rerr := e.store.ReleaseDeliveries(sendCtx, release); rerr != nil {
			e.log.Error("release held deliveries", "err", rerr, "count", len(release))
		}
	}
	close(jobs)
	go func() {
		for range done { // drain so workers never block
		}
	}()
	workers.Wait()
	close(done)
	close(outcomes)
	<-recorderDone
	<-pruneDone
	e.load.mu.Lock()
	e.load.total, e.load.perHook = 0, map[int64]int{}
	e.load.mu.Unlock()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// dispatcher owns the held deliveries until a worker takes them.
type dispatcher struct {
	e        *Engine
	inflight map[int64]int   // hook → sends in progress
	queued   map[int64][]Job // hook → held, waiting for the hook's turn
}

func (d *dispatcher) loop(ctx context.Context, jobs chan<- Job, done <-chan finished, outcomes chan<- db.Outcome) error {
	e := d.e
	for {
		if err := d.dispatch(ctx, jobs, done, outcomes); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case f := <-done:
			d.finish(f)
		case batch := <-e.hot:
			d.takeHot(ctx, batch, outcomes)
		case batch := <-e.claimed:
			d.take(batch)
		}
	}
}

// dispatch hands queued jobs to idle workers, respecting each hook's cap,
// while taking in finished sends and hot deliveries.
func (d *dispatcher) dispatch(ctx context.Context, jobs chan<- Job, done <-chan finished, outcomes chan<- db.Outcome) error {
	for {
		hookID, ok := d.next()
		if !ok {
			return nil
		}
		q := d.queued[hookID]
		select {
		case jobs <- q[0]:
			d.inflight[hookID]++
			if len(q) == 1 {
				delete(d.queued, hookID)
			} else {
				d.queued[hookID] = q[1:]
			}
		case f := <-done:
			d.finish(f)
		case batch := <-d.e.hot:
			d.takeHot(ctx, batch, outcomes)
		case batch := <-d.e.claimed:
			d.take(batch)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// take queues jobs the claimer leased from the outbox.
func (d *dispatcher) take(batch []Job) {
	for _, j := range batch {
		d.queued[j.Hook.ID] = append(d.queued[j.Hook.ID], j)
	}
}

// next picks a hook with a queued job and room under its cap.
func (d *dispatcher) next() (int64, bool) {
	for id, q := range d.queued {
		if len(q) > 0 && d.inflight[id] < d.e.opt.PerHook {
			return id, true
		}
	}
	return 0, false
}

func (d *dispatcher) finish(f finished) {
	if d.inflight[f.hookID]--; d.inflight[f.hookID] <= 0 {
		delete(d.inflight, f.hookID)
	}
	d.e.load.done(f.hookID)
	select {
	case d.e.room <- struct{}{}:
	default:
	}
}

// takeHot queues deliveries created leased to this engine. Their room was
// reserved by admit.
func (d *dispatcher) takeHot(ctx context.Context, batch []hotJob, outcomes chan<- db.Outcome) {
	e := d.e
	st, err := e.store.CachedSettings(ctx)
	ids := make([]int64, 0, len(batch))
	for _, h := range batch {
		ids = append(ids, h.d.HookID)
	}
	var hooks map[int64]*model.Hook
	if err == nil {
		hooks, err = e.store.HooksByIDs(ctx, ids)
	}
	for _, h := range batch {
		hook := hooks[h.d.HookID]
		switch {
		case err != nil:
			// Leave it to the outbox: the lease runs out and it is claimed.
			e.log.Error("load hooks for delivery", "err", err)
			e.load.done(h.d.HookID)
		case hook == nil:
			outcomes <- db.Outcome{DeliveryID: h.d.ID} // deleted meanwhile
			e.load.done(h.d.HookID)
		default:
			d.queued[hook.ID] = append(d.queued[hook.ID], Job{DeliveryID: h.d.ID, Hook: hook, Event: h.event,
				Payload: h.p, IdempotencyKey: h.d.IdempotencyKey, Settings: st})
		}
	}
}

// claimLoop leases due deliveries from the outbox whenever there may be
// some (a wake-up, the poll, room freed by a finished send) and hands them
// to the dispatcher, so that claiming never holds up dispatching.
func (e *Engine) claimLoop(ctx context.Context, outcomes chan<- db.Outcome) {
	poll := time.NewTicker(e.opt.Poll)
	defer poll.Stop()
	more := true
	for {
		if more {
			n, err := e.claim(ctx, outcomes)
			if err != nil && ctx.Err() == nil {
				e.log.Error("claim deliveries", "err", err)
			}
			more = err == nil && n > 0
			if more {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		case <-e.room:
		case <-poll.C:
		}
		more = true
	}
}

// claim leases due deliveries for the room left in memory, at most
// maxHeldPerHook held per hook, and hands them to the dispatcher. It
// returns how many it claimed.
func (e *Engine) claim(ctx context.Context, outcomes chan<- db.Outcome) (int, error) {
	e.load.mu.Lock()
	free, busy := e.maxHeld()-e.load.total, e.load.total > 0
	held := make(map[int64]int, len(e.load.perHook))
	for id, n := range e.load.perHook {
		held[id] = n
	}
	e.load.mu.Unlock()
	// While busy, claim in big batches: a claim costs a transaction however
	// few rows it takes. The poll and every wake-up claim again.
	if free <= 0 || busy && free < e.maxHeld()/8 {
		return 0, nil
	}
	room := func(hookID int64) int { return e.maxHeldPerHook() - held[hookID] }
	st, err := e.store.CachedSettings(ctx)
	if err != nil {
		return 0, err
	}
	now := e.now()
	claims, err := e.store.ClaimDeliveries(ctx, now, now.Add(lease(st)), free, room)
	if err != nil || len(claims) == 0 {
		return 0, err
	}
	hookIDs := make([]int64, 0, len(claims))
	eventIDs := make([]int64, 0, len(claims))
	for _, c := range claims {
		hookIDs = append(hookIDs, c.HookID)
		eventIDs = append(eventIDs, c.EventID)
	}
	hooks, err := e.store.HooksByIDs(ctx, hookIDs)
	if err != nil {
		return 0, err
	}
	events, err := e.store.DeliveryEvents(ctx, eventIDs)
	if err != nil {
		return 0, err
	}
	// One prepared payload per event, shared by all its hooks.
	payloads := make(map[int64]*Payload, len(events))
	for id, ev := range events {
		payloads[id] = NewStoredPayload(ev.Payload, ev.LoggedPayload)
	}
	batch := make([]Job, 0, len(claims))
	for _, c := range claims {
		h, ev := hooks[c.HookID], events[c.EventID]
		if h == nil || ev == nil {
			outcomes <- db.Outcome{DeliveryID: c.ID} // deleted meanwhile
			continue
		}
		e.load.add(c.HookID, 1)
		batch = append(batch, Job{DeliveryID: c.ID, Hook: h, Event: ev,
			Payload: payloads[c.EventID], IdempotencyKey: c.IdempotencyKey, Settings: st})
	}
	if len(batch) > 0 {
		select {
		case e.claimed <- batch:
		case <-ctx.Done():
			// Shutting down: hand them back at once.
			ids := make([]int64, len(batch))
			for i, j := range batch {
				ids[i] = j.DeliveryID
			}
			if err := e.store.ReleaseDeliveries(context.WithoutCancel(ctx), ids); err != nil {
				e.log.Error("release claimed deliveries", "err", err)
			}
			return 0, nil
		}
	}
	return len(claims), nil
}

// attempt sends one delivery unless the hook was disabled meanwhile or its
// top-level group is over web_hook_calls; those are dropped without a log
// row and without counting as failures, as GitLab does.
func (e *Engine) attempt(ctx context.Context, j Job) db.Outcome {
	st := j.Settings
	now := e.now()
	if !j.Hook.Executable(now, st.AutoDisablingWebHooks) {
		return db.Outcome{DeliveryID: j.DeliveryID}
	}
	if j.Hook.Kind != model.SystemHookKind && j.Event.RootGroupID != nil &&
		!e.limiter.allow(*j.Event.RootGroupID, st.WebHookCalls, now) {
		e.log.Info("webhook rate limit exceeded", "hook_id", j.Hook.ID, "root_group_id", *j.Event.RootGroupID, "limit", st.WebHookCalls)
		if err := e.store.NoteRateLimited(ctx, *j.Event.RootGroupID, now); err != nil {
			e.log.Error("note rate limit", "err", err)
		}
		return db.Outcome{DeliveryID: j.DeliveryID}
	}
	trigger, _ := model.TriggerByScope(j.Event.Scope)
	a := e.sender.Send(ctx, Request{Hook: *j.Hook, Trigger: trigger, Payload: j.Payload,
		EventUUID: j.Event.UUID, IdempotencyKey: j.IdempotencyKey, Settings: st})
	l := LogRow(j.Hook.ID, &j.Event.ID, j.IdempotencyKey, a, j.Payload)
	return db.Outcome{DeliveryID: j.DeliveryID, Log: l, Success: a.Success(), CountsForState: j.Hook.Kind.AutoDisables()}
}

// LogRow turns an attempt into its log row. The request body is kept only
// when it differs from the event's logged payload (a custom template, an
// error); otherwise the row refers to the event's copy, stored once for
// all the hooks it went to.
func LogRow(hookID int64, eventID *int64, idempotencyKey string, a Attempt, p *Payload) *model.HookLog {
	l := &model.HookLog{
		HookID: hookID, EventID: eventID, Trigger: a.Trigger, URL: a.URL, URLHash: a.URLHash,
		RequestHeaders: headerList(a.RequestHeaders), RequestData: a.RequestData,
		ResponseStatus: a.ResponseStatus(), ResponseHeaders: headerList(a.ResponseHeaders),
		ResponseBody: []byte(a.ResponseBody), ExecutionDuration: a.ExecutionDuration.Seconds(),
		InternalErrorMessage: a.InternalErrorMessage, IdempotencyKey: idempotencyKey,
	}
	if eventID != nil && p != nil && p.stored && bytes.Equal(a.RequestData, p.logBody) {
		l.RequestData = nil
	}
	return l
}

// headerList orders headers by name for a stable log.
func headerList(m map[string]string) []model.Header {
	out := make([]model.Header, 0, len(m))
	for k, v := range m {
		out = append(out, model.Header{Name: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// record writes outcomes in batches: when BatchSize are waiting or the
// oldest has waited BatchWait. A failed write is logged; the deliveries
// stay leased and are sent again when the lease ends, never lost.
func (e *Engine) record(ctx context.Context, in <-chan db.Outcome) {
	batch := make([]db.Outcome, 0, e.opt.BatchSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := e.store.RecordOutcomes(ctx, batch); err != nil {
			e.log.Error("record delivery outcomes", "err", err, "count", len(batch))
		}
		batch = batch[:0]
	}
	for {
		select {
		case o, ok := <-in:
			if !ok {
				flush()
				return
			}
			if len(batch) == 0 {
				timer.Reset(e.opt.BatchWait)
			}
			batch = append(batch, o)
			if len(batch) >= e.opt.BatchSize {
				timer.Stop()
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

// pruneLoop deletes old log rows, events and finished deliveries.
func (e *Engine) pruneLoop(ctx context.Context) {
	t := time.NewTicker(e.opt.PruneEvery)
	defer t.Stop()
	for {
		st, err := e.store.CachedSettings(ctx)
		if err == nil {
			if n, err := e.store.Prune(ctx, e.now(), st.HookLogRetentionDays); err != nil {
				if ctx.Err() == nil {
					e.log.Error("prune hook logs", "err", err)
				}
			} else if n > 0 {
				e.log.Info("pruned old hook logs", "rows", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// callLimiter counts deliveries per top-level group in fixed one-minute
// windows (web_hook_calls, SPEC §4.5).
type callLimiter struct {
	mu     sync.Mutex
	window time.Time
	counts map[int64]int
}

func newCallLimiter() *callLimiter { return &callLimiter{counts: map[int64]int{}} }

func (l *callLimiter) allow(root int64, limit int, now time.Time) bool {
	if limit <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := now.Truncate(time.Minute); !w.Equal(l.window) {
		l.window, l.counts = w, map[int64]int{}
	}
	if l.counts[root] >= limit {
		return false
	}
	l.counts[root]++
	return true
}
