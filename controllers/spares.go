package controllers

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
)

// Spares is what the spare keeper asks of the engine.
type Spares interface {
	Ready() bool
	StoreDown() bool
	Flush(ctx context.Context) (int, error)
	KeepSpares(ctx context.Context, per int, ttl time.Duration, replicas int) (engine.SpareCounts, error)
	ReleaseSpares(ctx context.Context) (int, error)
	SpareCounts() (spares, unsynced int)
}

// SpareKeeper readies this replica for an apiserver outage and cleans up
// after one. Every Interval, while the Lease store takes writes, it writes
// the bindings the engine made during an outage (Flush) and keeps PerPool
// spare addresses in every pool, stored to expire TTL after their last
// write (engine.KeepSpares). As the replica stops it gives its spares
// back. Every replica runs one.
type SpareKeeper struct {
	Engine   Spares
	PerPool  int
	TTL      time.Duration
	Interval time.Duration
	// Replicas tells how many replicas share the pools.
	Replicas func() int
	Metrics  *Metrics
}

// NeedLeaderElection is false: each replica keeps its own.
func (k *SpareKeeper) NeedLeaderElection() bool { return false }

// Start keeps the spares until ctx ends, then gives them back.
func (k *SpareKeeper) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("spares")
	t := time.NewTicker(k.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			k.giveBack(logger)
			return nil
		case <-t.C:
		}
		if !k.Engine.Ready() || k.Engine.StoreDown() {
			continue
		}
		k.pass(ctx, logger)
	}
}

// pass flushes, then keeps the spares, and shows the counts.
func (k *SpareKeeper) pass(ctx context.Context, logger logr.Logger) {
	n, err := k.Engine.Flush(ctx)
	if n > 0 {
		logger.Info("wrote the bindings made while the apiserver was out of reach", "written", n)
	}
	if err == nil {
		var c engine.SpareCounts
		c, err = k.Engine.KeepSpares(ctx, k.PerPool, k.TTL, max(k.Replicas(), 1))
		if c.Claimed+c.Released > 0 {
			logger.Info("spare addresses", "claimed", c.Claimed, "renewed", c.Renewed, "released", c.Released)
		}
	}
	if err != nil && ctx.Err() == nil {
		k.Metrics.jobFailed("spares")
		logger.Error(err, "keeping spare addresses")
	}
	if k.Metrics != nil {
		spares, unsynced := k.Engine.SpareCounts()
		k.Metrics.Spares.Set(float64(spares))
		k.Metrics.Unsynced.Set(float64(unsynced))
	}
}

// giveBack deletes this replica's spares as it stops, so that they need
// not wait for their expiry.
func (k *SpareKeeper) giveBack(logger logr.Logger) {
	if k.Engine.StoreDown() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if n, err := k.Engine.ReleaseSpares(ctx); n > 0 || err != nil {
		logger.Info("gave back spare addresses", "released", n, "error", err)
	}
}
