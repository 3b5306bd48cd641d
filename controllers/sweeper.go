package controllers

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// StoredBindings are the bindings the engine knows to be stored: the
// engine's allocator, fed by the lease watcher.
type StoredBindings interface {
	Stored(keep func(*lease.Binding) bool) []lease.Binding
}

// Sweeper marks Leases whose stored expiry passed Expired, and deletes
// Released and Expired Leases once Retention has passed. It reads the
// bindings from the engine's allocator, which the lease watcher keeps in
// step with the Leases, rather than listing every Lease. Each change
// reaches the engine through the lease watcher, which frees the address.
// It runs on the leader only.
type Sweeper struct {
	Bindings  StoredBindings
	Store     lease.Store
	Interval  time.Duration
	Retention time.Duration
	Now       func() time.Time
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

// NeedLeaderElection is true: only the leader writes.
func (s *Sweeper) NeedLeaderElection() bool { return true }

// Sweep runs one pass and returns how many Leases it expired and deleted.
func (s *Sweeper) Sweep(ctx context.Context) (expired, deleted int) {
	now := s.Now()
	due := s.Bindings.Stored(func(b *lease.Binding) bool { return s.expires(b, now) || s.deletes(b, now) })
	for _, b := range due {
		if s.expires(&b, now) {
			b.State = lease.Expired
			if _, err := s.Store.Commit(ctx, b); err == nil {
				expired++
			}
		} else if err := s.Store.Delete(ctx, b); err == nil {
			deleted++
		}
	}
	if expired+deleted > 0 {
		log.FromContext(ctx).WithName("sweeper").Info("swept leases", "expired", expired, "deleted", deleted)
	}
	return expired, deleted
}

// expires reports whether b is a Bound or Declined binding whose stored
// expiry has passed.
func (s *Sweeper) expires(b *lease.Binding, now time.Time) bool {
	return (b.State == lease.Bound || b.State == lease.Declined) && !now.Before(b.Expires)
}

// deletes reports whether b is a Released or Expired binding kept for
// Retention already.
func (s *Sweeper) deletes(b *lease.Binding, now time.Time) bool {
	return (b.State == lease.Released || b.State == lease.Expired) && now.Sub(b.Expires) >= s.Retention
}
