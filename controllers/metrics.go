package controllers

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
)

// Metrics are the controllers' Prometheus metrics: pool usage, stored
// objects skipped, unusable Leases, the Lease store's health and the
// failures of background jobs.
type Metrics struct {
	Addresses      *prometheus.GaugeVec
	Skipped        *prometheus.CounterVec
	UnusableLeases prometheus.Gauge
	StoreUp        prometheus.Gauge
	// JobErrors counts the failures of background jobs by job: sweeper,
	// status, events, store.
	JobErrors *prometheus.CounterVec
	// Replicas is how many replicas this one sees alive, itself
	// included; Buckets how many client buckets it answers.
	Replicas, Buckets prometheus.Gauge
	// Spares is how many spare addresses this replica holds; Unsynced
	// how many bindings it made during an outage wait to be written.
	Spares, Unsynced prometheus.Gauge
	// DNSRefused is, per subnet, how many host names the last DNS pass
	// refused to publish.
	DNSRefused *prometheus.GaugeVec
	// ProbeAnswered is, per interface, whether this server's OFFER to its
	// last self-probe was seen leaving the interface.
	ProbeAnswered *prometheus.GaugeVec
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Addresses: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kubedhcp_pool_addresses",
			Help: "Addresses of each pool by state: total, bound, declined, offered, spare, free."}, []string{"subnet", "pool", "state"}),
		Skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubedhcp_stored_objects_skipped_total",
			Help: "Stored objects left out of a list or watch because not even their metadata could be read, by resource."}, []string{"resource"}),
		UnusableLeases: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubedhcp_unusable_leases",
			Help: "Lease objects that do not read as a binding or claim an address under another Lease's name; their addresses are kept out of service."}),
		StoreUp: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubedhcp_lease_store_up",
			Help: "1 while Lease writes succeed; 0 while they fail: new clients get no address, renewals a stored Lease covers are ACKed."}),
		JobErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubedhcp_background_errors_total",
			Help: "Failures of background jobs, by job: sweeper (expiring or deleting a Lease), status (writing a status), " +
				"events (recording an Event), records (reading back a stored binding), spares (keeping spare addresses)."}, []string{"job"}),
		Replicas: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubedhcp_replicas",
			Help: "Replicas this one sees alive (their coordination Leases renewed in time), itself included."}),
		Buckets: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubedhcp_share_buckets",
			Help: "Client hash buckets (of 256, RFC 3074) this replica answers DISCOVERs of."}),
		Spares: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubedhcp_spare_addresses",
			Help: "Spare addresses this replica holds for new clients while the apiserver is out of reach."}),
		Unsynced: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubedhcp_unwritten_bindings",
			Help: "Bindings this replica made while the apiserver was out of reach and has not written yet."}),
		DNSRefused: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kubedhcp_dns_refused_hostnames",
			Help: "Host names of bound clients not published as DNS records (not a valid RFC 1123 label, or another client's already)."},
			[]string{"subnet"}),
		ProbeAnswered: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kubedhcp_probe_answered",
			Help: "1 when this server's own OFFER answered its last self-probe on the interface, else 0."}, []string{"interface"}),
	}
	m.StoreUp.Set(1)
	m.Replicas.Set(1)
	m.Buckets.Set(256)
	reg.MustRegister(m.Addresses, m.Skipped, m.UnusableLeases, m.StoreUp, m.JobErrors, m.Replicas, m.Buckets, m.Spares, m.Unsynced, m.DNSRefused, m.ProbeAnswered)
	return m
}

// SetShare shows a new share of the clients in the gauges.
func (m *Metrics) SetShare(s *balance.Share) {
	if m == nil {
		return
	}
	m.Replicas.Set(float64(max(len(s.Members()), 1)))
	m.Buckets.Set(float64(s.Buckets()[s.Self()]))
	if s == nil {
		m.Buckets.Set(256)
	}
}

// jobFailed counts a failure of a background job, when m is set.
func (m *Metrics) jobFailed(job string) {
	if m != nil {
		m.JobErrors.WithLabelValues(job).Inc()
	}
}
