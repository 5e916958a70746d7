package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

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

	size int64 // the room it holds in memory (see room)
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
	// MiB); see room for the one exception.
	MaxHeldBytes int64
	// Lease is how long a delivery leased to this engine stays its own
	// without a heartbeat (default 30s); Heartbeat is how often the engine
	// renews its leases (default 5s). A delivery held in memory or on the
	// wire is renewed until its outcome is recorded.
	Lease     time.Duration
	Heartbeat time.Duration
	// SoleInstance says no other engine can use the store (SQLite, with the
	// data directory locked): every lease left by an earlier process is
	// released when the engine starts, so its deliveries go out at once.
	SoleInstance bool
	// BatchSize and BatchWait bound how many outcomes are written in one
	// transaction and how long the first of them waits (256, 5ms).
	BatchSize int
	BatchWait time.Duration
	// Poll is how often the outbox is checked without a wake-up, which
	// finds deliveries published by another process and leases that ran
	// out (default 1s).
	Poll time.Duration
	// Calls counts deliveries against web_hook_calls; nil counts in this
	// process's memory (one instance). Instances sharing a database use
	// SharedCalls.
	Calls CallCounter
	// PruneEvery is how often old log rows are deleted (default 10m).
	PruneEvery time.Duration
	// ExternalURL makes image URLs in payloads absolute.
	ExternalURL string
	// Registerer, when set, gets the engine's Prometheus metrics.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	Now        func() time.Time
}

// Engine delivers the outbox. Its roles, each in its own file:
//   - the publisher (publish.go) writes events and their deliveries in a
//     group commit; the deliveries the engine has room for are created
//     leased to it and handed over at once;
//   - the claimer (claim.go) leases due deliveries from the outbox —
//     published by another process, left by a crash, handed back;
//   - the dispatcher (dispatch.go) gives held deliveries to a bounded pool
//     of workers, capped per hook, and the workers send (attempt.go);
//   - the recorder (record.go) writes outcomes in batches, each only while
//     the delivery's lease is still this engine's;
//   - the heartbeat (lease.go) keeps this engine's leases;
//   - Test and Resend (manual.go) and the pruner (prune.go) stand apart.
//
// Every lease names this engine's instance ID. Room in memory (room.go) is
// reserved before deliveries are taken, so its bounds hold.
type Engine struct {
	store    *db.Store
	sender   *Sender
	opt      EngineOptions
	log      *slog.Logger
	now      func() time.Time
	id       string      // this instance: the owner of its leases
	instance db.Instance // its record, set by Run
	pub      *Publisher
	metrics  *metrics
	limiter  *callLimiter // drops logged this minute, and the default Calls
	calls    CallCounter
	room     *room
	events   *eventCache // recent events with their prepared payloads

	wake  chan struct{} // deliveries are due in the outbox
	freed chan struct{} // a held delivery finished: the claimer may take more
	hot   chan []hotJob // deliveries created leased to this engine
	ready chan []Job    // deliveries for the dispatcher

	handoff sync.RWMutex // running changes under it; hot hand-offs read it
	running bool

	claims atomic.Int64 // claims run (or skipped for want of room), for tests
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
	if opt.Lease <= 0 {
		opt.Lease = 30 * time.Second
	}
	if opt.Heartbeat <= 0 {
		opt.Heartbeat = 5 * time.Second
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
	e := &Engine{store: store, sender: sender, opt: opt, log: opt.Logger, now: opt.Now, id: uuid.NewString(),
		limiter: newCallLimiter(), calls: opt.Calls, events: newEventCache(eventCacheEvents, eventCacheBytes),
		room:  newRoom(heldPerWorker*opt.Workers, heldRounds*opt.PerHook, opt.MaxHeldBytes),
		wake:  make(chan struct{}, 1),
		freed: make(chan struct{}, 1),
		hot:   make(chan []hotJob, 256),
		ready: make(chan []Job, 4)}
	if e.calls == nil {
		e.calls = e.limiter
	}
	e.metrics = newMetrics(e)
	if opt.Registerer != nil {
		e.metrics.register(opt.Registerer)
	}
	e.pub = NewPublisher(store, PublisherOptions{ExternalURL: opt.ExternalURL})
	e.pub.engine = e
	return e
}

// InstanceID is the ID this engine's leases name as their owner.
func (e *Engine) InstanceID() string { return e.id }

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
// holds deliveries for it, and heldPerWorker how many per worker in all.
// A delivery that finds no room is written to the outbox unleased and
// claimed later, which costs a write transaction and a read of its event;
// under a sustained load of fast hooks that path took 45% of deliveries
// with 8 rounds and takes 20% with 32. Holding more costs nothing in
// recovery: the heartbeat keeps held deliveries leased however long they
// wait, and a restart releases them at once.
const (
	heldRounds    = 32
	heldPerWorker = 32
)

func (e *Engine) maxHeld() int { return heldPerWorker * e.opt.Workers }

// leaseUntil is when a lease taken or renewed now ends.
func (e *Engine) leaseUntil(now time.Time) time.Time { return now.Add(e.opt.Lease) }

type finished struct {
	hookID int64
	size   int64
}

// Run delivers until ctx is cancelled, then shuts down gracefully: it stops
// taking work, hands back deliveries it held but had not started, lets
// in-flight sends finish (each is bounded by the webhook timeout), and
// writes their outcomes before returning. Its leases are renewed until
// then.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.register(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return err
	}
	jobs := make(chan Job)
	done := make(chan finished, e.opt.Workers)
	outcomes := make(chan db.Outcome, e.opt.BatchSize*2)

	// Sends are not cancelled by shutdown: a request already on the wire
	// finishes (or times out) and its outcome is recorded, under leases
	// the heartbeat keeps until then.
	sendCtx := context.WithoutCancel(ctx)
	beatCtx, stopBeat := context.WithCancel(sendCtx)
	var background sync.WaitGroup
	background.Go(func() { e.heartbeatLoop(beatCtx) })
	var workers sync.WaitGroup
	for i := 0; i < e.opt.Workers; i++ {
		workers.Go(func() {
			for j := range jobs {
				outcomes <- e.attempt(sendCtx, j)
				done <- finished{j.Hook.ID, j.size}
			}
		})
	}
	recorderDone := make(chan struct{})
	go func() {
		defer close(recorderDone)
		e.record(sendCtx, outcomes)
	}()
	background.Go(func() { e.pruneLoop(ctx) })

	e.setRunning(true)
	var takers sync.WaitGroup
	takers.Go(func() { e.claimLoop(ctx, outcomes) })
	takers.Go(func() { e.prepareLoop(ctx, outcomes) })
	d := newDispatcher(e)
	err := d.loop(ctx, jobs, done)
	e.setRunning(false)
	takers.Wait()

	// Hand back what was held but never started.
	release := d.unstarted()
	for {
		select {
		case batch := <-e.hot:
			for _, h := range batch {
				release = append(release, Job{DeliveryID: h.d.ID, Hook: &model.Hook{ID: h.d.HookID}, size: h.size})
			}
			continue
		case batch := <-e.ready:
			release = append(release, batch...)
			continue
		default:
		}
		break
	}
	e.handBack(sendCtx, release)
	close(jobs)
	go func() {
		for range done { // drain so workers never block
		}
	}()
	workers.Wait()
	close(done)
	close(outcomes)
	<-recorderDone
	stopBeat()
	background.Wait()
	e.unregister(sendCtx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (e *Engine) setRunning(v bool) {
	e.handoff.Lock()
	e.running = v
	e.handoff.Unlock()
}

func (e *Engine) isRunning() bool {
	e.handoff.RLock()
	defer e.handoff.RUnlock()
	return e.running
}

// handBack gives back the room of held deliveries this engine will not
// send, and makes them due again at once for whoever claims next.
func (e *Engine) handBack(ctx context.Context, jobs []Job) {
	if len(jobs) == 0 {
		return
	}
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.DeliveryID
		e.room.release(j.Hook.ID, j.size)
	}
	if err := e.store.ReleaseDeliveries(ctx, e.id, ids); err != nil {
		e.log.Error("hand back deliveries", "err", err, "count", len(ids))
		return
	}
	e.Notify()
}
