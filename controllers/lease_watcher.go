package controllers

import (
	"context"
	"fmt"
	"time"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/leasestore"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Bindings is the part of the engine's allocator the lease watcher feeds.
type Bindings interface {
	Observe(lease.Binding)
	Deleted(lease.Binding)
}

// Loader loads the engine's bindings.
type Loader interface {
	Load(ctx context.Context) error
}

// LeaseWatcher keeps the engine's bindings in step with Lease objects: a
// Lease written by another replica or the sweeper is observed, and a
// Lease deleted by hand revokes its binding. It then loads the engine from
// the warm cache. It runs on every replica.
type LeaseWatcher struct {
	Cache    cache.Cache
	Bindings Bindings
	Engine   Loader
}

// +kubebuilder:rbac:groups=dhcp.kubedhcp.io,resources=dhcpleases,verbs=get;list;watch;create;update;patch;delete

// Start registers the informer handlers, waits for the cache, and loads
// every Lease into the engine; it is a manager Runnable.
func (w *LeaseWatcher) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("leases")
	inf, err := w.Cache.GetInformer(ctx, &dhcpv1alpha1.Lease{})
	if err != nil {
		return fmt.Errorf("watching leases: %w", err)
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { w.observe(obj) },
		UpdateFunc: func(_, obj any) { w.observe(obj) },
		DeleteFunc: w.deleted,
	}); err != nil {
		return fmt.Errorf("watching leases: %w", err)
	}
	if !w.Cache.WaitForCacheSync(ctx) {
		return fmt.Errorf("lease cache did not sync")
	}
	start := time.Now()
	if err := w.Engine.Load(ctx); err != nil {
		return err
	}
	logger.Info("loaded every lease", "took", time.Since(start).String())
	<-ctx.Done()
	return nil
}

func (w *LeaseWatcher) observe(obj any) {
	if l, ok := obj.(*dhcpv1alpha1.Lease); ok {
		if b, err := leasestore.FromLease(l); err == nil {
			w.Bindings.Observe(b)
		}
	}
}

func (w *LeaseWatcher) deleted(obj any) {
	if t, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if l, ok := obj.(*dhcpv1alpha1.Lease); ok {
		if b, err := leasestore.FromLease(l); err == nil {
			w.Bindings.Deleted(b)
		}
	}
}

// NeedLeaderElection is false: standbys keep their bindings warm too.
func (w *LeaseWatcher) NeedLeaderElection() bool { return false }
