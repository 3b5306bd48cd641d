package ipam

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ipamv1 "sigs.k8s.io/cluster-api/api/ipam/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// SetupWithManager runs the reconciler on claims, their IPAddresses, and
// the Pools they name (a Pool that appears, is fixed or frees addresses
// retries its waiting claims).
func (r *ClaimReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).Named("ipaddressclaim").
		For(&ipamv1.IPAddressClaim{}).
		Owns(&ipamv1.IPAddress{}).
		Watches(&dhcpv1alpha1.Pool{}, handler.EnqueueRequestsFromMapFunc(r.claimsOfPool)).
		// Several managers may run in one test process.
		WithOptions(controller.Options{MaxConcurrentReconciles: 4, NeedLeaderElection: new(false), SkipNameValidation: new(true)}).
		Complete(r)
}

// claimsOfPool lists the claims that name a Pool and hold no address yet.
func (r *ClaimReconciler) claimsOfPool(ctx context.Context, o client.Object) []reconcile.Request {
	var list ipamv1.IPAddressClaimList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace())); err != nil {
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		c := &list.Items[i]
		if Ours(c) && c.Spec.PoolRef.Name == o.GetName() && c.Status.AddressRef.Name == "" {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: c.Namespace, Name: c.Name}})
		}
	}
	return out
}

// Orphans gives back, every Interval, the addresses held for claims that
// no longer exist: a replica stopped between storing a claim's Lease and
// seeing its claim deleted, or two replicas raced for one claim. A Lease
// younger than Grace is left alone, as its claim may not be seen yet.
type Orphans struct {
	Reader    client.Reader // uncached: a claim's absence must be true
	Namespace string
	Engine    Allocator
	Interval  time.Duration
	Grace     time.Duration
}

// NeedLeaderElection implements manager.LeaderElectionRunnable: every
// replica gives back what it sees.
func (*Orphans) NeedLeaderElection() bool { return false }

// Start runs the sweeps until ctx ends.
func (o *Orphans) Start(ctx context.Context) error {
	t := time.NewTicker(o.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			o.Sweep(ctx, time.Now())
		}
	}
}

// Sweep gives back the addresses of claims that do not exist, once.
func (o *Orphans) Sweep(ctx context.Context, now time.Time) int {
	if !o.Engine.Ready() {
		return 0
	}
	n := 0
	checked := map[string]bool{}
	for _, b := range o.Engine.AllClaimed() {
		if checked[b.Claim] || now.Sub(b.Start) < o.Grace {
			continue
		}
		checked[b.Claim] = true
		err := o.Reader.Get(ctx, client.ObjectKey{Namespace: o.Namespace, Name: b.Claim}, &ipamv1.IPAddressClaim{})
		if !apierrors.IsNotFound(err) {
			continue
		}
		freed, err := o.Engine.Unclaim(ctx, b.Claim, noAddr)
		if err != nil {
			log.FromContext(ctx).Error(err, "giving back the addresses of a deleted claim", "claim", b.Claim)
		}
		n += len(freed)
	}
	return n
}
