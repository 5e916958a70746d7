package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// Outcome classes of hooklab_deliveries_total.
const (
	outcome2xx      = "2xx"
	outcome3xx      = "3xx"
	outcome4xx      = "4xx"
	outcome5xx      = "5xx"
	outcomeInternal = "internal_error"
	outcomeBlocked  = "blocked"
)

// metrics are the engine's Prometheus metrics. They are counted whether or
// not they are registered.
type metrics struct {
	deliveries    *prometheus.CounterVec
	duration      prometheus.Histogram
	batchDuration prometheus.Histogram
	batchFailures prometheus.Counter
	autoDisabled  prometheus.Counter
	rateLimited   prometheus.Counter
	leasesLost    prometheus.Counter
	collectors    []prometheus.Collector
}

func newMetrics(e *Engine) *metrics {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hooklab_deliveries_total",
			Help: "Webhook deliveries attempted from the outbox, by outcome: 2xx, 3xx, 4xx, 5xx, internal_error (no response), blocked (outbound network policy)."},
			[]string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hooklab_delivery_duration_seconds",
			Help:    "Time from the start of a delivery's request to the end of its response.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}}),
		batchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hooklab_outcome_batch_write_duration_seconds",
			Help: "Time to write one batch of delivery outcomes (log rows, outbox, hook states).", Buckets: prometheus.DefBuckets}),
		batchFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "hooklab_outcome_batch_write_failures_total",
			Help: "Batches of delivery outcomes whose write failed (each is tried again)."}),
		autoDisabled: prometheus.NewCounter(prometheus.CounterOpts{Name: "hooklab_hooks_auto_disabled_total",
			Help: "Hooks disabled (for a while or for good) by consecutive delivery failures."}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{Name: "hooklab_deliveries_rate_limited_total",
			Help: "Deliveries dropped because their top-level group was over web_hook_calls."}),
		leasesLost: prometheus.NewCounter(prometheus.CounterOpts{Name: "hooklab_delivery_leases_lost_total",
			Help: "Deliveries whose lease ended before their outcome was recorded; the outcome was dropped."}),
	}
	m.collectors = []prometheus.Collector{m.deliveries, m.duration, m.batchDuration, m.batchFailures, m.autoDisabled,
		m.rateLimited, m.leasesLost,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hooklab_delivery_held",
			Help: "Deliveries this instance holds in memory, queued or on the wire."},
			func() float64 { n, _ := e.room.held(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hooklab_delivery_held_bytes",
			Help: "Payload bytes of the deliveries this instance holds in memory."},
			func() float64 { _, b := e.room.held(); return float64(b) }),
		&outboxCollector{store: e.store, now: e.now},
	}
	for _, o := range []string{outcome2xx, outcome3xx, outcome4xx, outcome5xx, outcomeInternal, outcomeBlocked} {
		m.deliveries.WithLabelValues(o)
	}
	return m
}

func (m *metrics) register(reg prometheus.Registerer) {
	reg.MustRegister(m.collectors...)
}

// attempted counts one delivery attempt.
func (m *metrics) attempted(a Attempt) {
	m.deliveries.WithLabelValues(outcomeClass(a)).Inc()
	m.duration.Observe(a.ExecutionDuration.Seconds())
}

// recorded counts what a batch write did.
func (m *metrics) recorded(res db.RecordResult) {
	m.leasesLost.Add(float64(len(res.Lost)))
	m.autoDisabled.Add(float64(res.Disabled))
}

func outcomeClass(a Attempt) string {
	switch {
	case a.StatusCode == 0 && errors.Is(a.Err, model.ErrBlocked):
		return outcomeBlocked
	case a.StatusCode == 0:
		return outcomeInternal
	case a.StatusCode < 300:
		return outcome2xx
	case a.StatusCode < 400:
		return outcome3xx
	case a.StatusCode < 500:
		return outcome4xx
	default:
		return outcome5xx
	}
}

// outboxCollector reads the outbox's gauges from the store at each scrape.
type outboxCollector struct {
	store *db.Store
	now   func() time.Time
}

var (
	outboxPendingDesc = prometheus.NewDesc("hooklab_outbox_pending",
		"Deliveries in the outbox not leased to any instance (due now or later).", nil, nil)
	outboxLeasedDesc = prometheus.NewDesc("hooklab_outbox_leased",
		"Deliveries in the outbox leased to an instance (held in memory or on the wire).", nil, nil)
	outboxOldestDesc = prometheus.NewDesc("hooklab_outbox_oldest_pending_seconds",
		"How long the longest-waiting unleased delivery has been due (0 when none is).", nil, nil)
)

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxPendingDesc
	ch <- outboxLeasedDesc
	ch <- outboxOldestDesc
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.store.OutboxStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(outboxPendingDesc, err)
		return
	}
	age := 0.0
	if !st.OldestPending.IsZero() {
		age = max(c.now().Sub(st.OldestPending).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(outboxPendingDesc, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(outboxLeasedDesc, prometheus.GaugeValue, float64(st.Leased))
	ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, age)
}
