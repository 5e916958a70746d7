package delivery

import (
	"context"
	"errors"
	"log/slog"
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

	size int64 // the event's payload size, counted against MaxHeldBytes
}

// EngineOptions tune the engine; zero values take the defaults.
type EngineOptions struct {
	// Workers is how many deliveries are sent at once (default 64).
	Workers int
	// PerHook caps concurrent sends to one hook so a slow receiver cannot
	// take every worker (default 8).
	PerHook int
	// MaxHeldBytes bounds the payloads of the deliveries held in memory,
	// each delivery counted with its event's payload size (default 64
	// MiB). So that nothing is stuck, a claim takes its first delivery and
	// an engine holding nothing takes a publish's deliveries whatever their
	// size: the bound is overshot by at most one payload or one publish.
	MaxHeldBytes int64
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
	events  *eventCache   // recent events with their prepared payloads

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
	size  int64
}

// load counts the deliveries the engine holds, in total and per hook, and
// their payload bytes, to bound memory and to keep every held delivery
// sent well within its lease.
type load struct {
	mu      sync.Mutex
	total   int
	bytes   int64
	perHook map[int64]int
}

func (l *load) add(hookID int64, size int64) {
	l.mu.Lock()
	l.total++
	l.bytes += size
	l.perHook[hookID]++
	l.mu.Unlock()
}

func (l *load) done(hookID int64, size int64) {
	l.mu.Lock()
	l.total--
	l.bytes -= size
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
	if opt.MaxHeldBytes <= 0 {
		opt.MaxHeldBytes = 64 << 20
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
		load: load{perHook: map[int64]int{}}, events: newEventCache(eventCacheEvents, eventCacheBytes)}
}

// Notify wakes the engine: deliveries are due in the outbox.
func (e *Engine) Notify() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// The engine keeps up to eventCacheEvents recent events in memory, with at
// most eventCacheBytes of payloads (see eventCache).
const (
	eventCacheEvents = 4096
	eventCacheBytes  = 8 << 20
)

// heldRounds is how many times over a hook's concurrency cap the engine
// holds deliveries for it: the last of them waits that many timeouts. A
// delivery that finds no room is written to the outbox unleased and
// claimed later, which costs a write transaction and a read of its event;
// under a sustained load of fast hooks that path took 45% of deliveries
// with 8 rounds and takes 20% with 32. The price is a longer lease, which
// is how long a crash keeps held deliveries waiting.
const heldRounds = 32

// lease is how long a delivery held by the engine stays its own: long
// enough to wait its turn behind heldRounds rounds of timeouts, and send.
func lease(st model.Settings) time.Duration {
	return (heldRounds+1)*time.Duration(st.WebhookTimeout)*time.Second + 30*time.Second
}

// maxHeld bounds the deliveries held in memory; maxHeldPerHook keeps a
// slow hook's queue short enough to drain within the lease.
func (e *Engine) maxHeld() int        { return 32 * e.opt.Workers }
func (e *Engine) maxHeldPerHook() int { return heldRounds * e.opt.PerHook }

// bytesFull reports whether the held payloads leave no room for one of
// size; the caller holds e.load.mu.
func (e *Engine) bytesFull(size int64) bool {
	return e.load.total > 0 && e.load.bytes+size > e.opt.MaxHeldBytes
}

// admit reserves room for new deliveries to hooks with payloadBytes of
// payloads in all, all or nothing.
func (e *Engine) admit(hookIDs []int64, payloadBytes int64) bool {
	if !e.running.Load() {
		return false
	}
	per := map[int64]int{}
	for _, id := range hookIDs {
		per[id]++
	}
	e.load.mu.Lock()
	defer e.load.mu.Unlock()
	if e.load.total+len(hookIDs) > e.maxHeld() || e.bytesFull(payloadBytes) {
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
	e.load.bytes += payloadBytes
	return true
}

// unadmit gives back what admit reserved.
func (e *Engine) unadmit(hookIDs []int64, payloadBytes int64) {
	e.load.mu.Lock()
	defer e.load.mu.Unlock()
	for _, id := range hookIDs {
		if e.load.perHook[id]--; e.load.perHook[id] <= 0 {
			delete(e.load.perHook, id)
		}
	}
	e.load.total -= len(hookIDs)
	e.load.bytes -= payloadBytes
}

type finished struct {
	hookID int64
	size   int64
}

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
				done <- finished{j.Hook.ID, j.size}
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
	e.load.total, e.load.bytes, e.load.perHook = 0, 0, map[int64]int{}
	e.load.mu.Unlock()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
