package delivery

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
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
	// Settings are the application settings read when the job was claimed.
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

// Engine delivers the outbox: it claims due deliveries with a lease, sends
// them with a bounded pool of workers (capped per hook), and records each
// outcome with its log row and the hook's auto-disable state, batching the
// writes so the store is not the bottleneck.
type Engine struct {
	store   *db.Store
	sender  *Sender
	opt     EngineOptions
	log     *slog.Logger
	now     func() time.Time
	wake    chan struct{}
	limiter *callLimiter
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
		wake: make(chan struct{}, 1), limiter: newCallLimiter()}
}

// Notify wakes the engine: new deliveries are due.
func (e *Engine) Notify() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// currentSettings reads the application settings. It is called once per
// claimed batch, not per delivery, so a change takes effect at once.
func (e *Engine) currentSettings(ctx context.Context) (model.Settings, error) {
	return e.store.Settings(ctx)
}

// lease is how long a claimed delivery stays with its worker: long enough
// to wait for the hook's turn and to time out.
func lease(st model.Settings) time.Duration {
	return 3*time.Duration(st.WebhookTimeout)*time.Second + 30*time.Second
}

type finished struct{ hookID int64 }

// Run delivers until ctx is cancelled, then shuts down gracefully: it stops
// claiming, hands back deliveries it had claimed but not started, lets
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

	d := &dispatcher{e: e, inflight: map[int64]int{}, queued: map[int64][]Job{}}
	err := d.loop(ctx, jobs, done, outcomes)

	// Shutdown: hand back what was claimed but never started.
	var release []int64
	for _, q := range d.queued {
		for _, j := range q {
			release = append(release, j.DeliveryID)
		}
	}
	if len(release) > 0 {
		if rerr := e.store.ReleaseDeliveries(sendCtx, release); rerr != nil {
			e.log.Error("release claimed deliveries", "err", rerr, "count", len(release))
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
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// dispatcher owns the claimed-but-unsent deliveries and per-hook counts.
type dispatcher struct {
	e        *Engine
	inflight map[int64]int   // hook → sends in progress
	queued   map[int64][]Job // hook → claimed, waiting for the hook's turn
	nQueued  int
	nBusy    int
}

func (d *dispatcher) loop(ctx context.Context, jobs chan<- Job, done <-chan finished, outcomes chan<- db.Outcome) error {
	e := d.e
	poll := time.NewTicker(e.opt.Poll)
	defer poll.Stop()
	more := true // there may be due rows beyond what was claimed
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if more {
			n, err := d.claim(ctx, outcomes)
			if err != nil && ctx.Err() == nil {
				e.log.Error("claim deliveries", "err", err)
			}
			more = err == nil && n > 0 && d.free() > 0
		}
		// Hand queued jobs to idle workers, respecting each hook's cap.
		for hookID, q := range d.queued {
			for len(q) > 0 && d.inflight[hookID] < e.opt.PerHook {
				select {
				case jobs <- q[0]:
					d.inflight[hookID]++
					d.nBusy++
					d.nQueued--
					q = q[1:]
				case f := <-done:
					d.finish(f)
					continue
				case <-ctx.Done():
					d.queued[hookID] = q
					return ctx.Err()
				}
			}
			if len(q) == 0 {
				delete(d.queued, hookID)
			} else {
				d.queued[hookID] = q
			}
		}
		if more {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case f := <-done:
			d.finish(f)
			more = true
		case <-e.wake:
			more = true
		case <-poll.C:
			more = true
		}
	}
}

func (d *dispatcher) finish(f finished) {
	d.nBusy--
	if d.inflight[f.hookID]--; d.inflight[f.hookID] <= 0 {
		delete(d.inflight, f.hookID)
	}
}

// free is how many more deliveries may be claimed.
func (d *dispatcher) free() int { return d.e.opt.Workers - d.nBusy - d.nQueued }

// claim leases due deliveries for free workers, skipping hooks at their
// cap, and queues them per hook. It returns how many it claimed.
func (d *dispatcher) claim(ctx context.Context, outcomes chan<- db.Outcome) (int, error) {
	e := d.e
	free := d.free()
	if free <= 0 {
		return 0, nil
	}
	st, err := e.currentSettings(ctx)
	if err != nil {
		return 0, err
	}
	var skip []int64
	for id, n := range d.inflight {
		if n+len(d.queued[id]) >= e.opt.PerHook {
			skip = append(skip, id)
		}
	}
	now := e.now()
	claims, err := e.store.ClaimDeliveries(ctx, now, now.Add(lease(st)), free, skip)
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
	for _, c := range claims {
		h, ev := hooks[c.HookID], events[c.EventID]
		if h == nil || ev == nil {
			// Deleted meanwhile: nothing to send.
			outcomes <- db.Outcome{DeliveryID: c.ID}
			continue
		}
		d.queued[c.HookID] = append(d.queued[c.HookID], Job{DeliveryID: c.ID, Hook: h, Event: ev,
			Payload: payloads[c.EventID], IdempotencyKey: c.IdempotencyKey, Settings: st})
		d.nQueued++
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
		st, err := e.currentSettings(ctx)
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
