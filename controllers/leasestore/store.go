// Package leasestore implements the engine's lease.Store on Lease objects
// in the apiserver. A new binding is a Create of a Lease whose name derives
// from its subnet and address, so the create is an atomic claim: when it
// fails with AlreadyExists, another writer holds the address. Renewals and
// state changes are Updates carrying the resourceVersion the engine last
// saw, so a concurrent change is refused rather than overwritten. Each
// Lease is owned by its Subnet, so deleting a Subnet removes its Leases.
package leasestore

import (
	"context"
	"fmt"
	"net/netip"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Labels of every Lease: its Subnet, and its state, so that
// `kubectl get dlease -l dhcp.kubedhcp.io/state=Bound` lists the bindings
// without the spares and the history.
const (
	SubnetLabel = "dhcp.kubedhcp.io/subnet"
	StateLabel  = "dhcp.kubedhcp.io/state"
)

// Store is a lease.Store on Lease objects of one namespace.
type Store struct {
	// Client writes Leases and reads them back on conflicts; it should not
	// read from a cache.
	Client client.Client
	// Lister lists Leases for List: the manager's cache, or Client.
	Lister client.Reader
	// Paged lists 500 Leases a request; set it when Lister reads from the
	// apiserver (a cache lists everything at once).
	Paged bool
	// Namespace holds the Leases.
	Namespace string
	// SubnetUID returns the UID of a Subnet for the owner reference, and
	// false when the Subnet is unknown (the Lease then has no owner).
	SubnetUID func(name string) (types.UID, bool)
}

var _ lease.Store = (*Store)(nil)

func (s *Store) key(subnet string, addr netip.Addr) client.ObjectKey {
	return client.ObjectKey{Namespace: s.Namespace, Name: dhcpv1alpha1.LeaseName(subnet, addr)}
}

func (s *Store) object(b *lease.Binding) *dhcpv1alpha1.Lease {
	k := s.key(b.Subnet, b.Addr)
	l := &dhcpv1alpha1.Lease{ObjectMeta: metav1.ObjectMeta{Name: k.Name, Namespace: k.Namespace, ResourceVersion: b.Version,
		Labels: map[string]string{SubnetLabel: b.Subnet, StateLabel: b.State.String()}}, Spec: toSpec(b)}
	if s.SubnetUID != nil {
		if uid, ok := s.SubnetUID(b.Subnet); ok {
			t := true
			l.OwnerReferences = []metav1.OwnerReference{{APIVersion: dhcpv1alpha1.GroupVersion.String(), Kind: "Subnet",
				Name: b.Subnet, UID: uid, BlockOwnerDeletion: &t}}
		}
	}
	return l
}

// Commit implements lease.Store: a Create for a binding without a
// Version, an Update with its resourceVersion otherwise.
func (s *Store) Commit(ctx context.Context, b lease.Binding) (lease.Binding, error) {
	l := s.object(&b)
	var err error
	if b.Version == "" {
		err = s.Client.Create(ctx, l)
	} else {
		err = s.Client.Update(ctx, l)
	}
	switch {
	case apierrors.IsAlreadyExists(err), apierrors.IsConflict(err):
		return lease.Binding{}, s.conflict(ctx, &b)
	case apierrors.IsNotFound(err):
		return lease.Binding{}, lease.ErrNotFound
	case err != nil:
		return lease.Binding{}, fmt.Errorf("writing lease %s: %w", l.Name, err)
	}
	return FromLease(l)
}

// conflict reads who holds the address now, for the ConflictError.
func (s *Store) conflict(ctx context.Context, b *lease.Binding) error {
	ce := &lease.ConflictError{Subnet: b.Subnet, Addr: b.Addr}
	cur := &dhcpv1alpha1.Lease{}
	if err := s.Client.Get(ctx, s.key(b.Subnet, b.Addr), cur); err == nil {
		if h, err := FromLease(cur); err == nil {
			ce.Holder = &h
		}
	}
	return ce
}

// Release implements lease.Store.
func (s *Store) Release(ctx context.Context, b lease.Binding) (lease.Binding, error) {
	b.State = lease.Released
	return s.Commit(ctx, b)
}

// Delete implements lease.Store: a Delete preconditioned on the
// resourceVersion, when the binding has one.
func (s *Store) Delete(ctx context.Context, b lease.Binding) error {
	l := s.object(&b)
	var opts []client.DeleteOption
	if b.Version != "" {
		opts = append(opts, client.Preconditions{ResourceVersion: &b.Version})
	}
	err := s.Client.Delete(ctx, l, opts...)
	switch {
	case apierrors.IsNotFound(err):
		return lease.ErrNotFound
	case apierrors.IsConflict(err):
		return s.conflict(ctx, &b)
	case err != nil:
		return fmt.Errorf("deleting lease %s: %w", l.Name, err)
	}
	return nil
}

// Lookup implements lease.Store: a Get of the address's Lease from the
// apiserver. A Lease that cannot be used as a binding is an error: its
// address may be held.
func (s *Store) Lookup(ctx context.Context, subnet string, addr netip.Addr) (lease.Binding, error) {
	l := &dhcpv1alpha1.Lease{}
	err := s.Client.Get(ctx, s.key(subnet, addr), l)
	switch {
	case apierrors.IsNotFound(err):
		return lease.Binding{}, lease.ErrNotFound
	case err != nil:
		return lease.Binding{}, fmt.Errorf("reading the lease of %s: %w", addr, err)
	}
	return Usable(l)
}

// List implements lease.Store, 500 Leases a page when Paged. A Lease that does not
// read as a binding fails the list: the engine must not start on a partial
// picture of which addresses are taken.
func (s *Store) List(ctx context.Context) ([]lease.Binding, error) {
	var out []lease.Binding
	// FromLease copies what it keeps, so a cache need not deep-copy.
	opts := []client.ListOption{client.InNamespace(s.Namespace), client.UnsafeDisableDeepCopy}
	if s.Paged {
		opts = append(opts, client.Limit(500))
	}
	for {
		list := &dhcpv1alpha1.LeaseList{}
		if err := s.Lister.List(ctx, list, opts...); err != nil {
			return nil, fmt.Errorf("listing leases: %w", err)
		}
		for i := range list.Items {
			b, err := FromLease(&list.Items[i])
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
		if !s.Paged || list.Continue == "" {
			return out, nil
		}
		opts = []client.ListOption{client.InNamespace(s.Namespace), client.Limit(500), client.Continue(list.Continue)}
	}
}

// SubnetUIDs returns a SubnetUID that reads the Subnets of namespace from
// r, the manager's cache.
func SubnetUIDs(r client.Reader, namespace string) func(name string) (types.UID, bool) {
	return func(name string) (types.UID, bool) {
		sn := &dhcpv1alpha1.Subnet{}
		if err := r.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, sn); err != nil {
			return "", false
		}
		return sn.UID, true
	}
}
