package controllers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// StoreHealth tells whether the Lease store takes writes. Without it new
// clients get no address but a replica's spares, while renewals a stored
// Lease covers are still ACKed: service is degraded, not down. It learns
// from every write the engine makes and, when none succeeded lately, from
// a read of the apiserver every Interval (every second while writes
// fail). It reports through OnChange (the engine stops trying writes
// while the apiserver is out of reach), the kubedhcp_lease_store_up gauge, the readiness
// check "store" (not the one the kubelet probes, /readyz/dhcp), the
// Subnets' Degraded condition and the log.
type StoreHealth struct {
	// Reader reads from the apiserver, not a cache.
	Reader    client.Reader
	Namespace string
	Interval  time.Duration
	Metrics   *Metrics
	// OnChange, when set, hears whether the apiserver is out of reach for
	// writes, at every change. Writes the apiserver refuses fail fast, so
	// the engine goes on trying them.
	OnChange func(unreachable bool)

	mu       sync.Mutex
	lastOK   time.Time
	lastFail time.Time
	failing  error
	refused  bool // the last failure was the apiserver refusing a write
	since    time.Time
}

// writeFailureHold is how long a write the apiserver refused keeps the
// store degraded when only reads succeed after it: reads cannot tell that
// writes work again (a quota or an admission webhook refuses writes, not
// reads). A write that failed because the apiserver was out of reach is
// cleared by the first read that reaches it.
const writeFailureHold = 30 * time.Second

// Observe records the result of a store operation: a conflict or a
// binding not found is the store working.
func (h *StoreHealth) Observe(err error) {
	ok := err == nil || errors.Is(err, lease.ErrConflict) || errors.Is(err, lease.ErrNotFound)
	h.record(ok, err)
}

// refusal reports whether err is the apiserver refusing a request, as
// opposed to not being reached.
func refusal(err error) bool {
	return apierrors.IsForbidden(err) || apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) ||
		apierrors.IsRequestEntityTooLargeError(err) || apierrors.IsUnauthorized(err) || apierrors.IsMethodNotSupported(err)
}

func (h *StoreHealth) record(ok bool, err error) {
	h.mu.Lock()
	wasDown := h.failing != nil && !h.refused
	now := time.Now()
	switch {
	case ok:
		h.lastOK, h.failing, h.refused = now, nil, false
	case h.failing == nil:
		h.failing, h.since, h.lastFail, h.refused = err, now, now, refusal(err)
	default:
		h.failing, h.lastFail, h.refused = err, now, refusal(err)
	}
	up, down := h.failing == nil, h.failing != nil && !h.refused
	h.mu.Unlock()
	if h.Metrics != nil {
		h.Metrics.StoreUp.Set(map[bool]float64{true: 1, false: 0}[up])
	}
	if down != wasDown && h.OnChange != nil {
		h.OnChange(down)
	}
}

// Degraded returns since when and why Lease writes fail; a nil error
// when they do not.
func (h *StoreHealth) Degraded() (time.Time, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.since, h.failing
}

// Check is a readiness check: it fails while Lease writes fail.
func (h *StoreHealth) Check() error {
	if since, err := h.Degraded(); err != nil {
		return fmt.Errorf("lease writes failing since %s (new clients get no address; covered renewals are ACKed): %w",
			since.Format(time.RFC3339), err)
	}
	return nil
}

// Start reads from the apiserver every Interval when no write succeeded
// in that time, and every second while writes fail; it is a manager
// Runnable.
func (h *StoreHealth) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("store")
	t := time.NewTicker(min(h.Interval, time.Second))
	defer t.Stop()
	was := error(nil)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		h.mu.Lock()
		due := h.failing != nil || time.Since(h.lastOK) >= h.Interval
		h.mu.Unlock()
		if due {
			h.probe(ctx)
		}
		since, now := h.Degraded()
		switch {
		case now != nil && was == nil:
			logger.Error(now, "lease store unavailable: new clients get spare addresses only; renewals covered by stored Leases are ACKed",
				"since", since)
		case now == nil && was != nil:
			logger.Info("lease store available again")
		}
		was = now
	}
}

// probe reads a Lease name no binding uses: not found is an answer.
func (h *StoreHealth) probe(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, min(h.Interval, 2*time.Second))
	defer cancel()
	err := h.Reader.Get(ctx, client.ObjectKey{Namespace: h.Namespace, Name: "kubedhcp-store-probe"}, &dhcpv1alpha1.Lease{})
	if apierrors.IsNotFound(err) {
		err = nil
	}
	if err == nil {
		h.mu.Lock()
		held := h.failing != nil && h.refused && time.Since(h.lastFail) < writeFailureHold
		h.mu.Unlock()
		if held {
			return // a write was refused lately: a read alone does not clear it
		}
	}
	h.record(err == nil, err)
}

// NeedLeaderElection is false: every replica reports its own.
func (h *StoreHealth) NeedLeaderElection() bool { return false }
