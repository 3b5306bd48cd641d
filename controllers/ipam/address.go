package ipam

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ipamv1 "sigs.k8s.io/cluster-api/api/ipam/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
)

// ensureAddress creates the claim's IPAddress, named as the claim, owned
// by it (and by the Pool, which does not control it), kept by a finalizer
// while the claim exists; or, when it exists, keeps its metadata so and
// never changes its address. Then any other address held for the claim (a
// replica that raced another for it) goes back.
func (r *ClaimReconciler) ensureAddress(ctx context.Context, claim *ipamv1.IPAddressClaim, pool *dhcpv1alpha1.Pool,
	existing *ipamv1.IPAddress, got engine.Claimed) error {
	a := existing
	if a == nil {
		a = &ipamv1.IPAddress{ObjectMeta: metav1.ObjectMeta{Name: claim.Name, Namespace: claim.Namespace},
			Spec: ipamv1.IPAddressSpec{
				ClaimRef: ipamv1.IPAddressClaimReference{Name: claim.Name},
				PoolRef:  ipamv1.IPPoolReference{APIGroup: dhcpv1alpha1.GroupVersion.Group, Kind: "Pool", Name: pool.Name},
				Address:  got.Addr.String(),
				Prefix:   ptr.To(int32(got.Prefix.Bits())),
			}}
		if got.Gateway.IsValid() {
			a.Spec.Gateway = got.Gateway.String()
		}
	}
	orig := a.DeepCopy()
	if err := r.ownAddress(claim, pool, a); err != nil {
		return err
	}
	var err error
	switch {
	case existing == nil:
		err = r.Client.Create(ctx, a)
		if apierrors.IsAlreadyExists(err) {
			// Another replica wrote it first: its address counts; this
			// one goes back on the next pass, which reads it.
			return fmt.Errorf("IPAddress %s was written meanwhile: %w", a.Name, err)
		}
	case !equality.Semantic.DeepEqual(orig.ObjectMeta, a.ObjectMeta):
		err = r.Client.Patch(ctx, a, client.MergeFrom(orig))
	}
	if err != nil {
		return fmt.Errorf("writing IPAddress %s: %w", a.Name, err)
	}
	if freed, err := r.Engine.Unclaim(ctx, claim.Name, got.Addr); err != nil || len(freed) > 0 {
		log.FromContext(ctx).Info("gave back another address of the claim", "freed", fmt.Sprint(freed), "error", err)
	}
	return nil
}

// ownAddress sets an IPAddress's owners, cluster label and finalizer.
func (r *ClaimReconciler) ownAddress(claim *ipamv1.IPAddressClaim, pool *dhcpv1alpha1.Pool, a *ipamv1.IPAddress) error {
	scheme := r.Client.Scheme()
	if err := controllerutil.SetControllerReference(claim, a, scheme); err != nil {
		return fmt.Errorf("owning the IPAddress by its claim: %w", err)
	}
	if err := controllerutil.SetOwnerReference(pool, a, scheme, controllerutil.WithBlockOwnerDeletion(true)); err != nil {
		return fmt.Errorf("owning the IPAddress by its Pool: %w", err)
	}
	if name, ok := claim.Labels[clusterv1.ClusterNameLabel]; ok {
		if a.Labels == nil {
			a.Labels = map[string]string{}
		}
		a.Labels[clusterv1.ClusterNameLabel] = name
	}
	controllerutil.AddFinalizer(a, ProtectAddressFinalizer)
	return nil
}

// setStatus writes the claim's addressRef and Ready condition, in the
// current form and in the deprecated v1beta1 form Cluster API keeps for
// older readers.
func (r *ClaimReconciler) setStatus(ctx context.Context, claim *ipamv1.IPAddressClaim, ref string, status metav1.ConditionStatus, reason, msg string) error {
	orig := claim.DeepCopy()
	claim.Status.AddressRef = ipamv1.IPAddressReference{Name: ref}
	meta.SetStatusCondition(&claim.Status.Conditions, metav1.Condition{Type: ipamv1.IPAddressClaimReadyCondition, Status: status,
		Reason: reason, Message: msg, ObservedGeneration: claim.Generation})
	old := claim.GetV1Beta1Conditions()
	//nolint:staticcheck // the deprecated v1beta1 form is written on purpose, for v1beta1 readers
	c := clusterv1.Condition{Type: clusterv1.ConditionType(ipamv1.IPAddressClaimReadyCondition), Status: corev1Status(status),
		Reason: reason, Message: msg, LastTransitionTime: metav1.Now()}
	if status != metav1.ConditionTrue {
		c.Severity = clusterv1.ConditionSeverityError
	}
	kept := clusterv1.Conditions{c} //nolint:staticcheck // as above
	for _, o := range old {
		if o.Type == c.Type && o.Status == c.Status {
			kept[0].LastTransitionTime = o.LastTransitionTime
		}
	}
	claim.SetV1Beta1Conditions(kept)
	if equalStatus(orig, claim) {
		return nil
	}
	if err := r.Client.Status().Patch(ctx, claim, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("writing the claim's status: %w", client.IgnoreNotFound(err))
	}
	return nil
}

func equalStatus(a, b *ipamv1.IPAddressClaim) bool {
	ca, cb := readyCondition(a), readyCondition(b)
	return a.Status.AddressRef == b.Status.AddressRef && ca != nil && cb != nil && ca.Status == cb.Status &&
		ca.Reason == cb.Reason && ca.Message == cb.Message && ca.ObservedGeneration == cb.ObservedGeneration &&
		len(a.GetV1Beta1Conditions()) == 1
}

func corev1Status(s metav1.ConditionStatus) corev1.ConditionStatus { return corev1.ConditionStatus(s) }

// release gives the deleted claim's addresses back, then lets the claim
// and its IPAddress go.
func (r *ClaimReconciler) release(ctx context.Context, claim *ipamv1.IPAddressClaim) error {
	if !controllerutil.ContainsFinalizer(claim, ReleaseAddressFinalizer) {
		return nil
	}
	if !r.Engine.Ready() {
		return fmt.Errorf("releasing claim %s: the leases are not loaded yet", claim.Name)
	}
	freed, err := r.Engine.Unclaim(ctx, claim.Name, noAddr)
	if err != nil {
		return fmt.Errorf("releasing claim %s: %w", claim.Name, err)
	}
	// A Lease rewritten or being written meanwhile is left for the next
	// try: the claim keeps its finalizer until none is held for it.
	if left := r.Engine.Claims(claim.Name); len(left) > 0 {
		return fmt.Errorf("releasing claim %s: %s still held for it, trying again", claim.Name, left[0].Addr)
	}
	a := &ipamv1.IPAddress{}
	err = r.Client.Get(ctx, client.ObjectKeyFromObject(claim), a)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return err
	default:
		orig := a.DeepCopy()
		if controllerutil.RemoveFinalizer(a, ProtectAddressFinalizer) {
			if err := r.Client.Patch(ctx, a, client.MergeFrom(orig)); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("letting IPAddress %s go: %w", a.Name, err)
			}
		}
		if err := r.Client.Delete(ctx, a); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting IPAddress %s: %w", a.Name, err)
		}
	}
	controllerutil.RemoveFinalizer(claim, ReleaseAddressFinalizer)
	if err := r.Client.Update(ctx, claim); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("removing the claim's finalizer: %w", err)
	}
	log.FromContext(ctx).Info("claim released", "freed", fmt.Sprint(freed))
	return nil
}

// clusterGVK is the Cluster API Cluster, read without a typed cache so
// that clusters without Cluster API need none of it.
var clusterGVK = schema.GroupVersionKind{Group: clusterv1.GroupVersion.Group, Version: clusterv1.GroupVersion.Version, Kind: "Cluster"}

// paused reports whether the claim, or the Cluster it belongs to, is
// paused (Cluster API's paused annotation, or the Cluster's spec.paused).
// A claim naming a Cluster that does not exist waits for it, as the
// in-cluster provider does, unless it is being deleted.
func (r *ClaimReconciler) paused(ctx context.Context, claim *ipamv1.IPAddressClaim) (bool, error) {
	if isPaused(claim) {
		return true, nil
	}
	name := claim.Spec.ClusterName
	if name == "" {
		name = claim.Labels[clusterv1.ClusterNameLabel]
	}
	if name == "" {
		return false, nil
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(clusterGVK)
	err := r.Reader.Get(ctx, client.ObjectKey{Namespace: claim.Namespace, Name: name}, u)
	switch {
	case meta.IsNoMatchError(err):
		return false, nil // no Cluster API here: nothing to pause it
	case apierrors.IsNotFound(err):
		if !claim.DeletionTimestamp.IsZero() {
			return false, nil
		}
		log.FromContext(ctx).Info("the claim's Cluster does not exist; waiting for it", "cluster", name)
		return true, nil
	case err != nil:
		return false, err
	}
	p, _, _ := unstructured.NestedBool(u.Object, "spec", "paused")
	return p || isPaused(u), nil
}

// isPaused reports whether an object carries Cluster API's paused
// annotation.
func isPaused(o metav1.Object) bool {
	_, ok := o.GetAnnotations()[clusterv1.PausedAnnotation]
	return ok
}
