package manager_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/cmd/kubedhcp/app"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// TestSweeperExpiresAndDeletesStoredLeases stores Leases before the
// manager starts: the sweeper finds them through the bindings the manager
// loaded, marks the lapsed one Expired and deletes the one released past
// its retention, and leaves the live one alone.
func TestSweeperExpiresAndDeletesStoredLeases(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	s := leaseStore(t, ns)
	now := time.Now()
	stored := map[string]lease.Binding{
		"live":     {Addr: netip.MustParseAddr("10.50.0.10"), State: lease.Bound, Expires: now.Add(time.Hour)},
		"lapsed":   {Addr: netip.MustParseAddr("10.50.0.11"), State: lease.Bound, Expires: now.Add(-time.Minute)},
		"released": {Addr: netip.MustParseAddr("10.50.0.12"), State: lease.Released, Expires: now.Add(-2 * time.Hour)},
	}
	for name, b := range stored {
		b.Subnet, b.HWAddr, b.Start = "lab", []byte{2, 0, 0, 0, 0, b.Addr.As4()[3]}, now.Add(-3*time.Hour)
		if _, err := s.Commit(context.Background(), b); err != nil {
			t.Fatalf("storing the %s Lease: %v", name, err)
		}
	}
	startManager(t, ns, serverA, func(o *app.Options) { o.SweepInterval, o.Retention = 200*time.Millisecond, time.Hour })

	state := func(name string) (dhcpv1alpha1.LeaseState, bool) {
		l, err := getLease(ns, stored[name].Addr)
		if apierrors.IsNotFound(err) {
			return "", false
		}
		if err != nil {
			t.Fatal(err)
		}
		return l.Spec.State, true
	}
	eventually(t, 10*time.Second, "the lapsed Lease marked Expired", func() bool {
		st, ok := state("lapsed")
		return ok && st == dhcpv1alpha1.LeaseExpired
	})
	eventually(t, 10*time.Second, "the released Lease deleted", func() bool {
		_, ok := state("released")
		return !ok
	})
	if st, ok := state("live"); !ok || st != dhcpv1alpha1.LeaseBound {
		t.Errorf("the live Lease is %q (exists: %v), want Bound", st, ok)
	}
}
