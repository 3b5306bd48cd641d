package leasestore

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// Compact is a cache transform for Leases: it keeps only what FromLease
// reads (name, namespace, resourceVersion and spec) and drops the rest of
// the metadata (labels, owner references, UID, timestamps, managedFields)
// in place. A server caching 100,000 Leases keeps a binding's worth of
// each, not the whole object. Anything else passes through unchanged.
func Compact(obj any) (any, error) {
	if l, ok := obj.(*dhcpv1alpha1.Lease); ok {
		compact(l)
	}
	return obj, nil
}

func compact(l *dhcpv1alpha1.Lease) {
	l.TypeMeta = metav1.TypeMeta{}
	l.ObjectMeta = metav1.ObjectMeta{Name: l.Name, Namespace: l.Namespace, ResourceVersion: l.ResourceVersion,
		DeletionTimestamp: l.DeletionTimestamp}
}
