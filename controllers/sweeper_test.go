package controllers

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kubedhcp/kubedhcp/dhcpserver/alloc"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

func TestSweepExpiresAndDeletesFromTheAllocatorsBindings(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	store := lease.NewMemory()
	a := alloc.New(time.Minute, nil)
	bind := func(last byte, state lease.State, expires time.Time) {
		b, err := store.Commit(ctx, lease.Binding{Subnet: "lan", Addr: netip.AddrFrom4([4]byte{10, 0, 0, last}),
			HWAddr: net.HardwareAddr{2, 0, 0, 0, 0, last}, State: state, Start: now.Add(-2 * time.Hour), Expires: expires})
		if err != nil {
			t.Fatal(err)
		}
		a.Observe(b)
	}
	bind(1, lease.Bound, now.Add(time.Minute))        // still bound: kept
	bind(2, lease.Bound, now)                         // expires now: Expired
	bind(3, lease.Declined, now.Add(-time.Second))    // probation over: Expired
	bind(4, lease.Released, now.Add(-30*time.Minute)) // released, within retention: kept
	bind(5, lease.Released, now.Add(-time.Hour))      // released an hour ago: deleted
	bind(6, lease.Expired, now.Add(-90*time.Minute))  // expired long ago: deleted
	bind(7, lease.Expired, now.Add(-59*time.Minute))  // expired within retention: kept
	bind(8, lease.Spare, now.Add(-time.Second))       // a spare its replica no longer renews: Expired
	bind(9, lease.Spare, now.Add(time.Minute))        // a spare: kept
	s := &Sweeper{Bindings: a, Store: store, Retention: time.Hour, Now: func() time.Time { return now }}

	expired, deleted := s.Sweep(ctx)
	if expired != 3 || deleted != 2 {
		t.Errorf("Sweep = %d expired, %d deleted; want 3 and 2", expired, deleted)
	}
	got, err := store.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	states := map[byte]lease.State{}
	for _, b := range got {
		states[b.Addr.As4()[3]] = b.State
	}
	want := map[byte]lease.State{1: lease.Bound, 2: lease.Expired, 3: lease.Expired, 4: lease.Released, 7: lease.Expired,
		8: lease.Expired, 9: lease.Spare}
	if len(states) != len(want) {
		t.Errorf("stored after the sweep: %v, want %v", states, want)
	}
	for k, v := range want {
		if states[k] != v {
			t.Errorf("10.0.0.%d is %v after the sweep, want %v", k, states[k], v)
		}
	}
}

// failingStore fails every write as an unreachable apiserver does.
type failingStore struct{ lease.Store }

func (failingStore) Commit(context.Context, lease.Binding) (lease.Binding, error) {
	return lease.Binding{}, errors.New("connection refused")
}

func (failingStore) Delete(context.Context, lease.Binding) error {
	return errors.New("connection refused")
}

// A sweep that cannot write counts and logs each failure; none vanishes.
func TestSweepCountsFailures(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	a := alloc.New(time.Minute, nil)
	for last, st := range map[byte]lease.State{1: lease.Bound, 2: lease.Released} {
		a.Observe(lease.Binding{Subnet: "lan", Addr: netip.AddrFrom4([4]byte{10, 0, 0, last}), HWAddr: net.HardwareAddr{2, 0, 0, 0, 0, last},
			State: st, Expires: now.Add(-2 * time.Hour), Version: "1"})
	}
	m := NewMetrics(prometheus.NewRegistry())
	s := &Sweeper{Bindings: a, Store: failingStore{}, Retention: time.Hour, Now: func() time.Time { return now }, Metrics: m}
	if expired, deleted := s.Sweep(context.Background()); expired+deleted != 0 {
		t.Fatalf("swept %d, %d through a failing store", expired, deleted)
	}
	if got := testutil.ToFloat64(m.JobErrors.WithLabelValues("sweeper")); got != 2 {
		t.Errorf("sweeper failures counted %v, want 2", got)
	}
}
