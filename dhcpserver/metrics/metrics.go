// Package metrics counts what the DHCP server does in Prometheus metrics:
// every message by type and outcome, every silence, NAK and drop by
// reason, reply and store latencies. It is the transport's Observer and
// wraps the engine's Store.
package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Metrics are the DHCP server's Prometheus metrics.
type Metrics struct {
	packets       *prometheus.CounterVec
	reasons       *prometheus.CounterVec
	dropped       *prometheus.CounterVec
	replyLatency  prometheus.Histogram
	commitLatency *prometheus.HistogramVec
	inFlight      prometheus.Gauge
}

// New creates the metrics and registers them with reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		packets: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubedhcp_packets_total",
			Help: "DHCP messages handled, by message type received and outcome (offer, ack, nak, silent)."}, []string{"type", "outcome"}),
		reasons: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubedhcp_packet_reasons_total",
			Help: "Messages answered with silence or a NAK, by outcome and reason (engine.Reason)."}, []string{"outcome", "reason"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubedhcp_packets_dropped_total",
			Help: "Messages dropped before the engine (the wire fault: truncated, badCookie, badHeader, badOptions) " +
				"or after it (panic, sendFailed)."}, []string{"reason"}),
		replyLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kubedhcp_reply_duration_seconds",
			Help: "Time from receiving a message to having its reply ready, store commit included.", Buckets: prometheus.ExponentialBuckets(0.00005, 2, 18)}),
		commitLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kubedhcp_store_commit_duration_seconds",
			Help: "Time the lease store took to make a binding durable, by result.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}, []string{"result"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubedhcp_store_commits_in_flight",
			Help: "Lease store writes under way."}),
	}
	reg.MustRegister(m.packets, m.reasons, m.dropped, m.replyLatency, m.commitLatency, m.inFlight)
	return m
}

// Handled implements transport.Observer.
func (m *Metrics) Handled(res engine.Result, d time.Duration) {
	t := res.Type
	if t == "" {
		t = "NONE"
	}
	m.packets.WithLabelValues(t, res.Outcome).Inc()
	if res.Reason != "" && res.Outcome != engine.OutcomeOffer && res.Outcome != engine.OutcomeAck {
		m.reasons.WithLabelValues(res.Outcome, string(res.Reason)).Inc()
	}
	if res.Outcome != engine.OutcomeSilent {
		m.replyLatency.Observe(d.Seconds())
	}
}

// Dropped implements transport.Observer.
func (m *Metrics) Dropped(reason string) { m.dropped.WithLabelValues(reason).Inc() }

// InstrumentStore wraps a Store so its writes are timed and counted, and
// observe, when set, hears the result of each.
func (m *Metrics) InstrumentStore(s lease.Store, observe func(error)) lease.Store {
	return &timedStore{Store: s, m: m, observe: observe}
}

type timedStore struct {
	lease.Store
	m       *Metrics
	observe func(error)
}

// timed runs one store write, counting it in flight and observing its
// latency and result.
func (t *timedStore) timed(write func() (lease.Binding, error)) (lease.Binding, error) {
	t.m.inFlight.Inc()
	start := time.Now()
	nb, err := write()
	if t.observe != nil {
		t.observe(err)
	}
	t.m.inFlight.Dec()
	result := "ok"
	if err != nil {
		result = "error"
	}
	t.m.commitLatency.WithLabelValues(result).Observe(time.Since(start).Seconds())
	return nb, err
}

func (t *timedStore) Commit(ctx context.Context, b lease.Binding) (lease.Binding, error) {
	return t.timed(func() (lease.Binding, error) { return t.Store.Commit(ctx, b) })
}

func (t *timedStore) Release(ctx context.Context, b lease.Binding) (lease.Binding, error) {
	return t.timed(func() (lease.Binding, error) { return t.Store.Release(ctx, b) })
}
