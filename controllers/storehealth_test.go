package controllers

import (
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// The engine stops trying writes only while the apiserver is out of
// reach: a write it refuses fails fast, and may succeed again.
func TestStoreHealthTellsTheEngineWhenTheApiserverIsOutOfReach(t *testing.T) {
	var heard []bool
	h := &StoreHealth{OnChange: func(unreachable bool) { heard = append(heard, unreachable) }}
	unreachable := fmt.Errorf("writing lease lab-10-0-0-9: %w", errors.New("dial tcp 10.96.0.1:443: connect: connection refused"))
	refused := apierrors.NewForbidden(schema.GroupResource{Group: "dhcp.kubedhcp.io", Resource: "dhcpleases"}, "lab-10-0-0-9",
		errors.New("denied by the admission policy no-leases"))

	h.Observe(nil)
	h.Observe(&lease.ConflictError{})
	h.Observe(lease.ErrNotFound)
	if len(heard) != 0 || h.Check() != nil {
		t.Fatalf("a working store: heard %v, check %v", heard, h.Check())
	}
	h.Observe(unreachable)
	h.Observe(unreachable)
	if len(heard) != 1 || !heard[0] || h.Check() == nil {
		t.Fatalf("out of reach: heard %v, check %v", heard, h.Check())
	}
	h.Observe(nil)
	if len(heard) != 2 || heard[1] || h.Check() != nil {
		t.Fatalf("back: heard %v, check %v", heard, h.Check())
	}
	h.Observe(refused)
	if len(heard) != 2 || h.Check() == nil {
		t.Fatalf("refused: heard %v (want no change), check %v (want degraded)", heard, h.Check())
	}
	h.Observe(unreachable)
	if len(heard) != 3 || !heard[2] {
		t.Fatalf("refused, then out of reach: heard %v", heard)
	}
}
