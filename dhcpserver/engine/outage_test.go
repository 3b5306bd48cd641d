package engine

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// flaky is the memory store with a switch that makes every write fail, as
// an unreachable apiserver does.
type flaky struct {
	*lease.Memory
	down atomic.Bool
}

var errUnreachable = errors.New("dial tcp 10.96.0.1:443: connect: no route to host")

func (f *flaky) Commit(ctx context.Context, b lease.Binding) (lease.Binding, error) {
	if f.down.Load() {
		return lease.Binding{}, errUnreachable
	}
	return f.Memory.Commit(ctx, b)
}

func (f *flaky) Delete(ctx context.Context, b lease.Binding) error {
	if f.down.Load() {
		return errUnreachable
	}
	return f.Memory.Delete(ctx, b)
}

// outageHarness is one replica ("r1") over a flaky store.
func outageHarness(t *testing.T, subnets ...*config.Subnet) (*harness, *flaky) {
	t.Helper()
	f := &flaky{Memory: lease.NewMemory()}
	h := &harness{t: t, store: f.Memory, clock: &fakeClock{t: t0}, obs: &recorder{}}
	h.e = New(f, WithClock(h.clock), WithObserver(h.obs), WithIdentity("r1"))
	h.setSnapshot(subnets...)
	h.e.SetLoaded()
	return h, f
}

func (h *harness) stored(state lease.State) map[netip.Addr]lease.Binding {
	h.t.Helper()
	bs, err := h.store.List(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[netip.Addr]lease.Binding{}
	for _, b := range bs {
		if b.State == state {
			out[b.Addr] = b
		}
	}
	return out
}

func wide() *config.Subnet {
	sn := office()
	sn.Pools[0].Ranges = []config.Range{{Start: ip("10.0.0.10"), End: ip("10.0.0.99")}}
	return sn
}

func TestSparesClaimedRenewedAndGivenBack(t *testing.T) {
	h, _ := outageHarness(t, wide())
	ctx := context.Background()
	n, err := h.e.KeepSpares(ctx, 4, time.Hour, 1)
	if err != nil || n.Claimed != 4 {
		t.Fatalf("first pass: %+v %v, want 4 claimed", n, err)
	}
	spares := h.stored(lease.Spare)
	for addr, b := range spares {
		if b.Replica != "r1" || b.Pool != "office-dynamic" || !b.Expires.Equal(t0.Add(time.Hour)) || len(b.HWAddr) != 0 {
			t.Errorf("spare %s stored as %+v", addr, b)
		}
	}
	if n, _ := h.e.KeepSpares(ctx, 4, time.Hour, 1); n != (SpareCounts{}) {
		t.Errorf("second pass did %+v, want nothing", n)
	}
	// A spare is nobody's to take: other clients get other addresses.
	for i := range 10 {
		ack := h.dora(mac(byte(i)))
		if _, spare := spares[addrOf(ack.Msg.YourIPAddr)]; spare {
			t.Fatalf("a client got the spare %s while free addresses remain", ack.Msg.YourIPAddr)
		}
	}
	h.clock.Advance(31 * time.Minute)
	if n, _ := h.e.KeepSpares(ctx, 4, time.Hour, 1); n.Renewed != 4 {
		t.Errorf("after half the ttl: %+v, want 4 renewed", n)
	}
	if n, _ := h.e.KeepSpares(ctx, 1, time.Hour, 1); n.Released != 3 {
		t.Errorf("reserve cut to 1: %+v, want 3 given back", n)
	}
	if got, _ := h.e.ReleaseSpares(ctx); got != 1 || len(h.stored(lease.Spare)) != 0 {
		t.Errorf("stopping gave back %d, %d still stored", got, len(h.stored(lease.Spare)))
	}
}

// A quarter of a pool at most is held in reserve, shared among replicas.
func TestSparesAtMostAQuarterOfThePool(t *testing.T) {
	h, _ := outageHarness(t, office()) // 10 addresses
	if n, _ := h.e.KeepSpares(context.Background(), 32, time.Hour, 2); n.Claimed != 1 {
		t.Errorf("claimed %d spares of a 10-address pool with 2 replicas, want 1", n.Claimed)
	}
}

// While the Store takes no writes, new clients are bound from this
// replica's spares, leases end a margin before the spare does, renewals of
// those clients are ACKed, and once writes are back every such binding
// is written over its spare.
func TestOutageBindsNewClientsFromSpares(t *testing.T) {
	h, f := outageHarness(t, wide())
	ctx := context.Background()
	if _, err := h.e.KeepSpares(ctx, 3, 20*time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	spares := h.stored(lease.Spare)
	f.down.Store(true)
	h.e.SetStoreDown(true)
	bound := map[netip.Addr]net.HardwareAddr{}
	for i := range 3 {
		ack := h.dora(mac(byte(0x40 + i)))
		addr := addrOf(ack.Msg.YourIPAddr)
		if _, ok := spares[addr]; !ok {
			t.Fatalf("new client got %s, not a spare, during the outage", addr)
		}
		// 10 min asked for; the spare ends in 20, less the margin: 10 min.
		if lt := ack.Msg.IPAddressLeaseTime(0); lt != 10*time.Minute {
			t.Errorf("lease %s", lt)
		}
		bound[addr] = mac(byte(0x40 + i))
	}
	h.mustSilence(discover(mac(0x50)), eth1, ReasonNoSpare)
	if len(h.stored(lease.Bound)) != 0 {
		t.Fatal("something was written during the outage")
	}
	// 6 minutes on, a spare has 14 left: a renewal gets 13, not 10.
	h.clock.Advance(6 * time.Minute)
	for addr, hw := range bound {
		ack := h.mustReply(renewing(hw, addr), eth1, dhcpv4.MessageTypeAck)
		if lt := ack.Msg.IPAddressLeaseTime(0); lt > 13*time.Minute {
			t.Errorf("renewal lease %s outlives the spare", lt)
		}
	}

	f.down.Store(false)
	h.e.SetStoreDown(false)
	if n, err := h.e.Flush(ctx); err != nil || n != 3 {
		t.Fatalf("flush wrote %d: %v", n, err)
	}
	for addr, want := range bound {
		b, ok := h.stored(lease.Bound)[addr]
		if !ok || b.HWAddr.String() != want.String() || b.Replica != "" {
			t.Errorf("%s stored as %+v, want Bound to %s", addr, b, want)
		}
	}
	if n, _ := h.e.Flush(ctx); n != 0 {
		t.Errorf("a second flush wrote %d", n)
	}
	if n, _ := h.e.KeepSpares(ctx, 3, 20*time.Minute, 1); n.Claimed != 3 {
		t.Errorf("after the outage %+v, want 3 new spares", n)
	}
}

// During an outage a client with a Reservation gets its address, written
// once the Store is back; a client with a stored binding renews it.
func TestOutageServesReservationsAndStoredBindings(t *testing.T) {
	sn := wide()
	sn.Reservations = []*config.Reservation{{Name: "printer", MAC: mac(0x60), Addr: ip("10.0.0.200")}}
	h, f := outageHarness(t, sn)
	known := h.dora(mac(0x61))
	f.down.Store(true)
	h.e.SetStoreDown(true)
	ack := h.dora(mac(0x60))
	if got := addrOf(ack.Msg.YourIPAddr); got != ip("10.0.0.200") {
		t.Fatalf("reserved client got %s", got)
	}
	h.mustReply(renewing(mac(0x61), addrOf(known.Msg.YourIPAddr)), eth1, dhcpv4.MessageTypeAck)
	h.mustSilence(discover(mac(0x62)), eth1, ReasonNoSpare)
	f.down.Store(false)
	h.e.SetStoreDown(false)
	if n, err := h.e.Flush(context.Background()); n != 1 || err != nil {
		t.Fatalf("flush: %d %v", n, err)
	}
	if b := h.stored(lease.Bound)[ip("10.0.0.200")]; b.Reservation != "printer" {
		t.Errorf("reserved binding stored as %+v", b)
	}
}

// A replica whose pool has no free address left hands out its own spares
// last, with the Store working: the pool's capacity is not lost to them.
func TestSparesHandedOutLast(t *testing.T) {
	h, _ := outageHarness(t, office()) // 10 addresses
	if _, err := h.e.KeepSpares(context.Background(), 2, time.Hour, 1); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		h.dora(mac(byte(i)))
	}
	if n := len(h.stored(lease.Bound)); n != 10 || len(h.stored(lease.Spare)) != 0 {
		t.Errorf("%d bound, %d spares left, want every address bound", n, len(h.stored(lease.Spare)))
	}
}

// Another replica's spares are never this one's, not even when its pool
// is exhausted or the Store is down.
func TestOtherReplicasSparesNeverHandedOut(t *testing.T) {
	mem := lease.NewMemory()
	clock := &fakeClock{t: t0}
	r1 := New(mem, WithClock(clock), WithIdentity("r1"))
	snap, _ := config.New(office())
	r1.SetSnapshot(snap)
	r1.SetLoaded()
	if _, err := r1.KeepSpares(context.Background(), 2, time.Hour, 1); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, store: mem, clock: clock, obs: &recorder{}}
	h.e = New(mem, WithClock(clock), WithIdentity("r2"))
	h.setSnapshot(office())
	if err := Restore(context.Background(), h.e, mem); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		h.dora(mac(byte(i)))
	}
	h.mustSilence(discover(mac(0x20)), eth1, ReasonNoFreeAddress)
	h.e.SetStoreDown(true)
	h.mustSilence(discover(mac(0x21)), eth1, ReasonNoSpare)
}
