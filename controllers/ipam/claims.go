// Package ipam makes kubedhcp Pools Cluster API IPAM pools: an
// IPAddressClaim (ipam.cluster.x-k8s.io) whose poolRef names a Pool of
// the served namespace gets an IPAddress from the same allocator, and the
// same atomic Lease create, as a DHCP client.
package ipam

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ipamv1 "sigs.k8s.io/cluster-api/api/ipam/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// The finalizers of the Cluster API IPAM contract, as the in-cluster
// provider names them.
const (
	// ReleaseAddressFinalizer keeps a claim until its address is released.
	ReleaseAddressFinalizer = "ipam.cluster.x-k8s.io/ReleaseAddress"
	// ProtectAddressFinalizer keeps an IPAddress while its claim exists.
	ProtectAddressFinalizer = "ipam.cluster.x-k8s.io/ProtectAddress"
)

// Reasons of a claim's Ready condition beside Cluster API's
// (ipamv1.IPAddressClaimReady*Reason).
const (
	// ReasonAllocated: the claim holds an address.
	ReasonAllocated = "Allocated"
	// ReasonPoolNotFound: no Pool of the claim's poolRef name exists in
	// the claim's namespace.
	ReasonPoolNotFound = "PoolNotFound"
)

// Allocator is the engine's claim half, as the reconciler uses it.
type Allocator interface {
	Claim(ctx context.Context, pool, claim string, want netip.Addr) (engine.Claimed, error)
	Unclaim(ctx context.Context, claim string, keep netip.Addr) ([]netip.Addr, error)
	Claims(claim string) []lease.Binding
	AllClaimed() []lease.Binding
	Ready() bool
}

// ClaimReconciler answers the IPAddressClaims of one namespace whose
// poolRef is a kubedhcp Pool. Every replica runs it: a replica takes the
// claims whose bucket is in its share at once and any other once it has
// waited Wait, so a lapsed replica's claims are still served; the atomic
// Lease create keeps two replicas from giving one address twice.
type ClaimReconciler struct {
	Client    client.Client
	Reader    client.Reader // uncached reads: the owning Cluster
	Namespace string
	Engine    Allocator
	// Share is this replica's share of the claims; nil or a nil Share:
	// all of them.
	Share    func() *balance.Share
	Wait     time.Duration
	Recorder events.EventRecorder
	// Retry is how soon a claim that could not be served is tried again.
	Retry time.Duration
}

// +kubebuilder:rbac:groups=ipam.cluster.x-k8s.io,resources=ipaddressclaims,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ipam.cluster.x-k8s.io,resources=ipaddressclaims/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ipam.cluster.x-k8s.io,resources=ipaddresses,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters,verbs=get;list;watch

// Reconcile gives a claim its address, or releases it when the claim is
// deleted.
func (r *ClaimReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	claim := &ipamv1.IPAddressClaim{}
	if err := r.Client.Get(ctx, req.NamespacedName, claim); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !Ours(claim) {
		return ctrl.Result{}, nil
	}
	logger := log.FromContext(ctx).WithValues("claim", claim.Name, "pool", claim.Spec.PoolRef.Name)
	ctx = log.IntoContext(ctx, logger)
	paused, err := r.paused(ctx, claim)
	if err != nil || paused {
		return ctrl.Result{RequeueAfter: r.retry()}, err
	}
	if !claim.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.release(ctx, claim)
	}
	if !r.Engine.Ready() {
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	if wait := r.waitFor(claim); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	if controllerutil.AddFinalizer(claim, ReleaseAddressFinalizer) {
		if err := r.Client.Update(ctx, claim); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding the finalizer: %w", err)
		}
	}
	return r.allocate(ctx, claim)
}

// Ours reports whether a claim names a kubedhcp Pool.
func Ours(c *ipamv1.IPAddressClaim) bool {
	return c.Spec.PoolRef.APIGroup == dhcpv1alpha1.GroupVersion.Group && c.Spec.PoolRef.Kind == "Pool"
}

// waitFor is how long this replica leaves a new claim outside its share
// to the replica whose share it is in; 0: serve it now.
func (r *ClaimReconciler) waitFor(c *ipamv1.IPAddressClaim) time.Duration {
	if r.Share == nil || c.Status.AddressRef.Name != "" {
		return 0
	}
	s := r.Share()
	if s == nil || s.Owns(Bucket(c.Name)) {
		return 0
	}
	return r.Wait - time.Since(c.CreationTimestamp.Time)
}

// Bucket is a claim's load-balancing bucket, by the RFC 3074 hash of its
// name as DHCP clients' are of their identifiers.
func Bucket(name string) uint8 { return balance.Hash([]byte("claim/" + name)) }

func (r *ClaimReconciler) retry() time.Duration {
	if r.Retry > 0 {
		return r.Retry
	}
	return 10 * time.Second
}

// allocate holds the claim's address and writes its IPAddress and status.
func (r *ClaimReconciler) allocate(ctx context.Context, claim *ipamv1.IPAddressClaim) (ctrl.Result, error) {
	pool := &dhcpv1alpha1.Pool{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: claim.Namespace, Name: claim.Spec.PoolRef.Name}, pool)
	if apierrors.IsNotFound(err) {
		return ctrl.Result{}, r.notReady(ctx, claim, ReasonPoolNotFound, fmt.Sprintf("no Pool %q in namespace %q: "+
			"a claim's poolRef names a Pool of the claim's own namespace", claim.Spec.PoolRef.Name, claim.Namespace))
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if isPaused(pool) {
		return ctrl.Result{}, nil
	}
	existing, want, err := r.givenBefore(ctx, claim)
	if err != nil {
		return ctrl.Result{}, err
	}
	got, err := r.Engine.Claim(ctx, pool.Name, claim.Name, want)
	if err != nil {
		return r.claimFailed(ctx, claim, pool, err)
	}
	if err := r.ensureAddress(ctx, claim, pool, existing, got); err != nil {
		return ctrl.Result{}, err
	}
	msg := fmt.Sprintf("%s/%d from Pool %s", got.Addr, got.Prefix.Bits(), pool.Name)
	if got.Reservation != "" {
		msg = fmt.Sprintf("%s/%d reserved by %s", got.Addr, got.Prefix.Bits(), got.Reservation)
	}
	return ctrl.Result{}, r.setStatus(ctx, claim, claim.Name, metav1.ConditionTrue, ReasonAllocated, msg)
}

// givenBefore returns the claim's IPAddress, read from the apiserver, not
// a cache: once written, its address is the claim's for good, whichever
// replica wrote it; nil when there is none yet.
func (r *ClaimReconciler) givenBefore(ctx context.Context, claim *ipamv1.IPAddressClaim) (*ipamv1.IPAddress, netip.Addr, error) {
	a := &ipamv1.IPAddress{}
	err := r.Reader.Get(ctx, client.ObjectKeyFromObject(claim), a)
	if apierrors.IsNotFound(err) {
		return nil, netip.Addr{}, nil
	}
	if err != nil {
		return nil, netip.Addr{}, err
	}
	addr, err := netip.ParseAddr(a.Spec.Address)
	if err != nil {
		return nil, netip.Addr{}, fmt.Errorf("IPAddress %s: spec.address: %w", a.Name, err)
	}
	return a, addr, nil
}

// claimFailed reports why the claim got no address.
func (r *ClaimReconciler) claimFailed(ctx context.Context, claim *ipamv1.IPAddressClaim, pool *dhcpv1alpha1.Pool, err error) (ctrl.Result, error) {
	reason := ipamv1.IPAddressClaimReadyAllocationFailedReason
	switch {
	case errors.Is(err, engine.ErrStoreDown):
		return ctrl.Result{RequeueAfter: time.Second}, nil
	case errors.Is(err, engine.ErrPoolExhausted):
		reason = ipamv1.IPAddressClaimReadyPoolExhaustedReason
	case errors.Is(err, engine.ErrNoPool):
		reason = ipamv1.IPAddressClaimReadyPoolNotReadyReason
		if c := meta.FindStatusCondition(pool.Status.Conditions, dhcpv1alpha1.ConditionReady); c != nil && c.Status != metav1.ConditionTrue {
			err = fmt.Errorf("Pool %s is not ready: %s", pool.Name, c.Message) //nolint:staticcheck // the message starts with a kind name
		}
	}
	if cur := readyCondition(claim); (cur == nil || cur.Reason != reason) && r.Recorder != nil {
		r.Recorder.Eventf(claim, nil, corev1.EventTypeWarning, reason, "Allocate", "%v", err)
	}
	return ctrl.Result{RequeueAfter: r.retry()}, r.notReady(ctx, claim, reason, err.Error())
}

func readyCondition(c *ipamv1.IPAddressClaim) *metav1.Condition {
	return meta.FindStatusCondition(c.Status.Conditions, ipamv1.IPAddressClaimReadyCondition)
}

func (r *ClaimReconciler) notReady(ctx context.Context, claim *ipamv1.IPAddressClaim, reason, msg string) error {
	return r.setStatus(ctx, claim, claim.Status.AddressRef.Name, metav1.ConditionFalse, reason, msg)
}

// noAddr keeps no address in Unclaim.
var noAddr netip.Addr
