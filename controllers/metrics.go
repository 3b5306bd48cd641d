package controllers

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Metrics are kubedhcp's Prometheus metrics, served with controller-
// runtime's on the manager's metrics endpoint.
type Metrics struct {
	Packets        *prometheus.CounterVec
	DroppedPkts    *prometheus.CounterVec
	ReplyLatency   prometheus.Histogram
	CommitLatency  *prometheus.HistogramVec
	InFlight       prometheus.Gauge
	Addresses      *prometheus.GaugeVec
	RateLimited    *prometheus.CounterVec
	Skipped        *prometheus.CounterVec
	UnusableLeases prometheus.Gauge
	StoreUp        prometheus.Gauge
}

// NewMetrics creates the metrics and registers them with reg (nil:
// controller-runtime's registry).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = metrics.Registry
	}
	m := &Metrics{
		Packets: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubedhcp_packets_total",
			Help: "DHCP messages handled, by message type received and outcome (offer, ack, nak, silent)."}, []string{"type", "outcome"}),
		DroppedPkts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubedhcp_packets_dropped_total",
			Help: "Messages dropped before or after the engine: malformed, panic, sendFailed."}, []string{"reason"}),
		ReplyLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kubedhcp_reply_duration_seconds",
			Help: "Time from receiving a message to having its reply ready, store commit included.", Buckets: prometheus.ExponentialBuckets(0.00005, 2, 18)}),
		CommitLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kubedhcp_store_commit_duration_seconds",
			Help: "Time the lease store took to make a binding durable, by result.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}, []string{"result"}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubedhcp_store_commits_in_flight",
			Help: "Lease store writes under way."}),
		Addresses: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kubedhcp_pool_addresses",
			Help: "Addresses of each pool by state: total, bound, declined, offered, free."}, []string{"subnet", "pool", "state"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubedhcp_rate_limited_total",
			Help: "Messages left unanswered because a rate limit bit: clientRateLimited (one client), " +
				"linkRateLimited (new clients of one relay or interface)."}, []string{"limit"}),
	}
	m.Skipped = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubedhcp_stored_objects_skipped_total",
		Help: "Stored objects left out of a list or watch because not even their metadata could be read, by resource."}, []string{"resource"})
	m.UnusableLeases = prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubedhcp_unusable_leases",
		Help: "Lease objects that do not read as a binding or claim an address under another Lease's name; their addresses are kept out of service."})
	m.StoreUp = prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubedhcp_lease_store_up",
		Help: "1 while Lease writes succeed; 0 while they fail: new clients get no address, renewals a stored Lease covers are ACKed."})
	m.StoreUp.Set(1)
	reg.MustRegister(m.StoreUp, m.Packets, m.DroppedPkts, m.ReplyLatency, m.CommitLatency, m.InFlight, m.Addresses, m.RateLimited,
		m.Skipped, m.UnusableLeases)
	return m
}

// Handled implements transport.Observer.
func (m *Metrics) Handled(res engine.Result, d time.Duration) {
	t := res.Type
	if t == "" {
		t = "NONE"
	}
	m.Packets.WithLabelValues(t, res.Outcome).Inc()
	if res.Reason == engine.ReasonClientRate || res.Reason == engine.ReasonLinkRate {
		m.RateLimited.WithLabelValues(res.Reason).Inc()
	}
	if res.Outcome != engine.OutcomeSilent {
		m.ReplyLatency.Observe(d.Seconds())
	}
}

// Dropped implements transport.Observer.
func (m *Metrics) Dropped(reason string) { m.DroppedPkts.WithLabelValues(reason).Inc() }

// InstrumentStore wraps a Store so its writes are timed and counted, and,
// when health is set, so that health hears of each.
func (m *Metrics) InstrumentStore(s lease.Store, health *StoreHealth) lease.Store {
	return &timedStore{Store: s, m: m, health: health}
}

type timedStore struct {
	lease.Store
	m      *Metrics
	health *StoreHealth
}

func (t *timedStore) observe(start time.Time, err error) {
	if t.health != nil {
		t.health.Observe(err)
	}
	t.m.InFlight.Dec()
	result := "ok"
	if err != nil {
		result = "error"
	}
	t.m.CommitLatency.WithLabelValues(result).Observe(time.Since(start).Seconds())
}

func (t *timedStore) Commit(ctx context.Context, b lease.Binding) (lease.Binding, error) {
	t.m.InFlight.Inc()
	start := time.Now()
	nb, err := t.Store.Commit(ctx, b)
	t.observe(start, err)
	return nb, err
}

func (t *timedStore) Release(ctx context.Context, b lease.Binding) (lease.Binding, error) {
	t.m.InFlight.Inc()
	start := time.Now()
	nb, err := t.Store.Release(ctx, b)
	t.observe(start, err)
	return nb, err
}
