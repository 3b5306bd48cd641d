package lease_test

import (
	"testing"

	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease/leasetest"
)

// The memory store keeps the Store contract (the Lease store runs the
// same cases in test/manager).
func TestMemoryContract(t *testing.T) {
	leasetest.Contract(t, func(*testing.T) lease.Store { return lease.NewMemory() })
}

func TestParseState(t *testing.T) {
	for _, s := range []lease.State{lease.Bound, lease.Released, lease.Declined, lease.Expired} {
		if got, ok := lease.ParseState(s.String()); !ok || got != s {
			t.Errorf("ParseState(%q) = %v %v", s, got, ok)
		}
	}
	if _, ok := lease.ParseState("Gone"); ok {
		t.Error("ParseState accepted Gone")
	}
}
