package controllers

import (
	"context"
	"errors"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// StoredBindings are the bindings the engine knows to be stored: the
// engine's allocator, fed by the lease watcher.
type StoredBindings interface {
	Stored(keep func(state lease.State, expires time.Time) bool) []lease.Binding
}

// Sweeper marks Leases whose stored expiry passed Expired, and deletes
// Released and Expired Leases once Retention has passed. It reads the
// bindings from the engine's allocator, which the lease watcher keeps in
// step with the Leases, rather than listing every Lease. Each change
// reaches the engine through the lease watcher, which frees the address.
// It runs on one replica at a time (elect.Jobs).
type Sweeper struct {
	Bindings  StoredBindings
	Store     lease.Store
	Interval  time.Duration
	Retention time.Duration
	Now       func() time.Time
	// Metrics, when set, counts the Leases it failed to expire or delete
	// (job sweeper).
	Metrics *Metrics
}

// Start sweeps every Interval until ctx ends.
func (s *Sweeper) Start(ctx context.Context) error {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		s.Sweep(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sweep runs one pass and returns how many Leases it expired and deleted.
func (s *Sweeper) Sweep(ctx context.Context) (expired, deleted int) {
	logger := log.FromContext(ctx).WithName("sweeper")
	now := s.Now()
	due := s.Bindings.Stored(func(st lease.State, exp time.Time) bool { return s.expires(st, exp, now) || s.deletes(st, exp, now) })
	failed := 0
	for _, b := range due {
		var err error
		if s.expires(b.State, b.Expires, now) {
			b.State = lease.Expired
			if _, err = s.Store.Commit(ctx, b); err == nil {
				expired++
			}
		} else if err = s.Store.Delete(ctx, b); err == nil {
			deleted++
		}
		if err != nil && !errors.Is(err, lease.ErrConflict) && !errors.Is(err, lease.ErrNotFound) {
			// A conflict or a Lease gone is another writer's change, seen
			// next pass; anything else is a failure.
			failed++
			s.Metrics.jobFailed("sweeper")
			logger.Error(err, "sweeping a Lease", "subnet", b.Subnet, "ip", b.Addr.String(), "state", b.State.String())
		}
	}
	if expired+deleted+failed > 0 {
		logger.Info("swept leases", "expired", expired, "deleted", deleted, "failed", failed)
	}
	return expired, deleted
}

// expires reports whether a binding in state st, stored to expire at exp,
// is Bound, Declined or Spare past its expiry.
func (s *Sweeper) expires(st lease.State, exp, now time.Time) bool {
	return (st == lease.Bound || st == lease.Declined || st == lease.Spare) && !now.Before(exp)
}

// deletes reports whether a binding in state st, stored to expire at exp,
// is Released or Expired and kept for Retention already.
func (s *Sweeper) deletes(st lease.State, exp, now time.Time) bool {
	return (st == lease.Released || st == lease.Expired) && now.Sub(exp) >= s.Retention
}
