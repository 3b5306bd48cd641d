package controllers

import (
	"context"
	"fmt"
	"regexp"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/leasestore"
	"github.com/kubedhcp/kubedhcp/controllers/translate"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Events of pinning.
const (
	EventPinned     = "Pinned"
	EventPinRefused = "PinRefused"
)

// Pinner makes a dynamic binding permanent when its Lease carries the
// annotation dhcp.kubedhcp.io/pin: it creates a Reservation with the
// client's identity (client identifier, else MAC), address and host name,
// named by the annotation's value (or the Lease's name when the value is
// "true" or empty), and moves the Lease under it. The client notices
// nothing: its next renewal is ACKed with the same address, now reserved.
// The Reservation carries nothing of the server's (no owner, no labels),
// so its spec is what a user commits to Git.
type Pinner struct {
	Client    client.Client // Leases are read and written uncached
	Namespace string
	Recorder  events.EventRecorder
}

// SetupWithManager runs the Pinner on every replica, on the Leases of
// leases (the Lease cache) that carry the annotation.
func (p *Pinner) SetupWithManager(mgr ctrl.Manager, leases cache.Cache) error {
	annotated := predicate.NewTypedPredicateFuncs(func(l *dhcpv1alpha1.Lease) bool {
		_, ok := l.Annotations[dhcpv1alpha1.PinAnnotation]
		return ok
	})
	return ctrl.NewControllerManagedBy(mgr).Named("pin").
		WatchesRawSource(source.Kind(leases, &dhcpv1alpha1.Lease{}, &handler.TypedEnqueueRequestForObject[*dhcpv1alpha1.Lease]{}, annotated)).
		WithOptions(ctrlOptions(new(false))).
		Complete(p)
}

// Reconcile pins one Lease.
func (p *Pinner) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	l := &dhcpv1alpha1.Lease{}
	if err := p.Client.Get(ctx, req.NamespacedName, l); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	want, ok := l.Annotations[dhcpv1alpha1.PinAnnotation]
	if !ok {
		return ctrl.Result{}, nil
	}
	res, err := PinnedReservation(l, want)
	if err != nil {
		p.event(l, corev1.EventTypeWarning, EventPinRefused, err.Error())
		return ctrl.Result{}, nil
	}
	if err := p.Client.Create(ctx, res); apierrors.IsAlreadyExists(err) {
		cur := &dhcpv1alpha1.Reservation{}
		if err := p.Client.Get(ctx, client.ObjectKeyFromObject(res), cur); err != nil {
			return ctrl.Result{}, err
		}
		if cur.Spec.Subnet != res.Spec.Subnet || cur.Spec.IPAddress != res.Spec.IPAddress || translate.Identity(cur) != translate.Identity(res) {
			p.event(l, corev1.EventTypeWarning, EventPinRefused, fmt.Sprintf("Reservation %s exists for %s %s: "+
				"set the annotation to a free name", cur.Name, translate.Identity(cur), cur.Spec.IPAddress))
			return ctrl.Result{}, nil
		}
	} else if err != nil {
		return ctrl.Result{}, fmt.Errorf("creating Reservation %s: %w", res.Name, err)
	}
	delete(l.Annotations, dhcpv1alpha1.PinAnnotation)
	l.Annotations[dhcpv1alpha1.PinnedAnnotation] = res.Name
	l.Spec.Reservation, l.Spec.Pool = res.Name, ""
	if err := p.Client.Update(ctx, l); err != nil {
		return ctrl.Result{}, fmt.Errorf("moving Lease %s under Reservation %s: %w", l.Name, res.Name, err)
	}
	p.event(l, corev1.EventTypeNormal, EventPinned, fmt.Sprintf("%s is reserved for %s by Reservation %s", res.Spec.IPAddress, translate.Identity(res), res.Name))
	return ctrl.Result{}, nil
}

func (p *Pinner) event(l *dhcpv1alpha1.Lease, typ, reason, msg string) {
	if p.Recorder != nil {
		p.Recorder.Eventf(l, nil, typ, reason, "Pin", "%s", msg)
	}
}

var hostnameRE = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?[.])*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)

// PinnedReservation is the Reservation that pins Lease l, named name (the
// Lease's own name when name is "" or "true"); an error says why l cannot
// be pinned.
func PinnedReservation(l *dhcpv1alpha1.Lease, name string) (*dhcpv1alpha1.Reservation, error) {
	if name == "" || name == "true" {
		name = l.Name
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return nil, fmt.Errorf("annotation %s: %q is not a name for a Reservation: %s", dhcpv1alpha1.PinAnnotation, name, errs[0])
	}
	b, err := leasestore.FromLease(l)
	if err != nil {
		return nil, err
	}
	if b.State != lease.Bound {
		return nil, fmt.Errorf("Lease %s is %s: only a Bound Lease can be pinned", l.Name, b.State) //nolint:staticcheck // starts with a kind
	}
	res := &dhcpv1alpha1.Reservation{
		TypeMeta:   metav1.TypeMeta{APIVersion: dhcpv1alpha1.GroupVersion.String(), Kind: "Reservation"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: l.Namespace},
		Spec:       dhcpv1alpha1.ReservationSpec{Subnet: l.Spec.Subnet, IPAddress: l.Spec.IPAddress},
	}
	switch {
	case len(b.ClientID) > 0 && len(l.Spec.ClientID) >= 5:
		res.Spec.ClientID = l.Spec.ClientID
	case l.Spec.MACAddress != "":
		res.Spec.MACAddress = l.Spec.MACAddress
	default:
		return nil, fmt.Errorf("Lease %s names no client identifier or MAC address to reserve by", l.Name) //nolint:staticcheck // starts with a kind
	}
	if hostnameRE.MatchString(l.Spec.Hostname) && len(l.Spec.Hostname) <= 253 {
		res.Spec.Hostname = dhcpv1alpha1.Hostname(l.Spec.Hostname)
	}
	return res, nil
}
