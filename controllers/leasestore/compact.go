package leasestore

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/decode"
)

// Kind decodes Leases for the cache one at a time (decode.Kind), keeping
// of each only what a binding needs.
var Kind = decode.Kind{Resource: "dhcpleases", New: func() client.Object { return &dhcpv1alpha1.Lease{} },
	Compact: func(o client.Object) { compact(o.(*dhcpv1alpha1.Lease)) }}

// Compact is a cache transform for Leases: it keeps only what FromLease
// reads (name, namespace, resourceVersion and spec, the mark of a Lease
// that did not decode, and the pin annotation) and drops the rest of the metadata (labels,
// owner references, UID, timestamps, managedFields) in place. A server
// caching 100,000 Leases keeps a binding's worth of each, not the whole
// object. Anything else passes through unchanged.
func Compact(obj any) (any, error) {
	if l, ok := obj.(*dhcpv1alpha1.Lease); ok {
		compact(l)
	}
	return obj, nil
}

func compact(l *dhcpv1alpha1.Lease) {
	var annotations map[string]string
	if why := decode.Unreadable(l); why != "" {
		annotations = map[string]string{decode.UnreadableAnnotation: why}
	}
	if pin, ok := l.Annotations[dhcpv1alpha1.PinAnnotation]; ok { // for the Pinner
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[dhcpv1alpha1.PinAnnotation] = pin
	}
	l.TypeMeta = metav1.TypeMeta{}
	l.ObjectMeta = metav1.ObjectMeta{Name: l.Name, Namespace: l.Namespace, ResourceVersion: l.ResourceVersion,
		DeletionTimestamp: l.DeletionTimestamp, Annotations: annotations}
}
