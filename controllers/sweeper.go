package controllers

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/leasestore"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Sweeper marks Leases whose stored expiry passed Expired, and deletes
// Released and Expired Leases once Retention has passed. Each change
// reaches the engine through the lease watcher, which frees the address.
// It runs on the leader only.
type Sweeper struct {
	Reader    client.Reader
	Store     lease.Store
	Namespace string
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
	logger := log.FromContext(ctx).WithName("sweeper")
	var list dhcpv1alpha1.LeaseList
	if err := s.Reader.List(ctx, &list, client.InNamespace(s.Namespace)); err != nil {
		logger.Error(err, "listing leases")
		return 0, 0
	}
	now := s.Now()
	for i := range list.Items {
		b, err := leasestore.FromLease(&list.Items[i])
		if err != nil {
			continue
		}
		switch {
		case (b.State == lease.Bound || b.State == lease.Declined) && !now.Before(b.Expires):
			b.State = lease.Expired
			if _, err := s.Store.Commit(ctx, b); err == nil {
				expired++
			}
		case (b.State == lease.Released || b.State == lease.Expired) && now.Sub(b.Expires) >= s.Retention:
			if err := s.Store.Delete(ctx, b); err == nil {
				deleted++
			}
		}
	}
	if expired+deleted > 0 {
		logger.Info("swept leases", "expired", expired, "deleted", deleted)
	}
	return expired, deleted
}
