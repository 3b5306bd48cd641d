package controllers

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
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

// Loader is the engine, told when it has every stored binding.
type Loader interface {
	// SetLoaded marks the engine loaded: every stored binding has
	// reached its allocator.
	SetLoaded()
}

// LeaseWatcher keeps the engine's bindings in step with Lease objects. The
// informer's initial list loads the engine: each Lease reaches the
// allocator through the handler, with no list copied out of the cache, and
// the engine is marked loaded once the handler has seen them all. Later
// events bring Leases written by another replica or the sweeper, and a
// Lease deleted by hand revokes its binding. It runs on every replica.
type LeaseWatcher struct {
	Cache    cache.Cache
	Bindings Bindings
	Engine   Loader

	logger logr.Logger
	// unread counts Leases that did not read as bindings.
	unread atomic.Int64
}

// +kubebuilder:rbac:groups=dhcp.kubedhcp.io,resources=dhcpleases,verbs=get;list;watch;create;update;patch;delete

// Start registers the informer handlers, waits until they have seen every
// Lease, and marks the engine loaded; it is a manager Runnable. A Lease
// that does not read as a binding fails the start: the engine must not
// serve on a partial picture of which addresses are taken.
func (w *LeaseWatcher) Start(ctx context.Context) error {
	w.logger = log.FromContext(ctx).WithName("leases")
	start := time.Now()
	inf, err := w.Cache.GetInformer(ctx, &dhcpv1alpha1.Lease{})
	if err != nil {
		return fmt.Errorf("watching leases: %w", err)
	}
	reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { w.observe(obj) },
		UpdateFunc: func(_, obj any) { w.observe(obj) },
		DeleteFunc: w.deleted,
	})
	if err != nil {
		return fmt.Errorf("watching leases: %w", err)
	}
	if !toolscache.WaitForCacheSync(ctx.Done(), reg.HasSynced) {
		return fmt.Errorf("lease cache did not sync")
	}
	if n := w.unread.Load(); n > 0 {
		return fmt.Errorf("%d Leases do not read as bindings (see the log); not serving on a partial picture", n)
	}
	w.Engine.SetLoaded()
	w.logger.Info("loaded every lease", "took", time.Since(start).String())
	<-ctx.Done()
	return nil
}

func (w *LeaseWatcher) observe(obj any) {
	l, ok := obj.(*dhcpv1alpha1.Lease)
	if !ok {
		return
	}
	b, err := leasestore.FromLease(l)
	if err != nil {
		w.unread.Add(1)
		w.logger.Error(err, "ignoring a Lease that does not read as a binding")
		return
	}
	w.Bindings.Observe(b)
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
