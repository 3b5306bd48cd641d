package alloc

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func subnet(hi string) *config.Subnet {
	lo := "10.0.0.10"
	return &config.Subnet{Name: "s", Prefix: netip.MustParsePrefix("10.0.0.0/8"),
		Excluded:     []config.Range{config.Single(netip.MustParseAddr("10.0.0.12"))},
		Reservations: []*config.Reservation{{Name: "r", MAC: []byte{1, 2, 3, 4, 5, 6}, Addr: netip.MustParseAddr("10.0.0.13")}},
		Pools:        []*config.Pool{{Name: "p", Ranges: []config.Range{{Start: netip.MustParseAddr(lo), End: netip.MustParseAddr(hi)}}}}}
}

func setup(t testing.TB, sn *config.Subnet) (*Allocator, *config.Subnet) {
	s, err := config.New(sn)
	if err != nil {
		t.Fatal(err)
	}
	a := New(30*time.Second, nil)
	a.SetSnapshot(s)
	return a, s.Subnet(sn.Name)
}

func client(i int) Client { return ClientOf(nil, []byte{0, 0, byte(i >> 16), byte(i >> 8), byte(i)}) }

func bind(t testing.TB, a *Allocator, sn *config.Subnet, c Client, addr netip.Addr, until time.Time) {
	t.Helper()
	if _, _, err := a.Claim(sn.Name, addr, c, t0); err != nil {
		t.Fatal(err)
	}
	b := lease.Binding{Subnet: sn.Name, Addr: addr, HWAddr: []byte(string(c)[1:]), State: lease.Bound, Expires: until, Version: "1"}
	a.Finish(addr, &b, until, t0)
}

func TestOffersSkipExcludedReservedAndHeld(t *testing.T) {
	a, sn := setup(t, subnet("10.0.0.15"))
	var got []string
	for i := 0; ; i++ {
		addr, ok := a.Offer(Request{Subnet: sn, Client: client(i), Pools: sn.Pools}, t0)
		if !ok {
			break
		}
		got = append(got, addr.String())
	}
	want := "[10.0.0.10 10.0.0.11 10.0.0.14 10.0.0.15]"
	if fmt.Sprint(got) != want {
		t.Errorf("offered %v, want %s: .12 is excluded, .13 reserved", got, want)
	}
}

func TestOfferHoldLapses(t *testing.T) {
	a, sn := setup(t, subnet("10.0.0.10"))
	r := Request{Subnet: sn, Client: client(1), Pools: sn.Pools}
	if _, ok := a.Offer(r, t0); !ok {
		t.Fatal("no offer")
	}
	r.Client = client(2)
	if _, ok := a.Offer(r, t0.Add(29*time.Second)); ok {
		t.Fatal("held address offered to another client")
	}
	if addr, ok := a.Offer(r, t0.Add(31*time.Second)); !ok || addr.String() != "10.0.0.10" {
		t.Fatalf("after the hold lapsed: %v %v", addr, ok)
	}
}

func TestClaimConflicts(t *testing.T) {
	a, sn := setup(t, subnet("10.0.0.20"))
	addr := netip.MustParseAddr("10.0.0.10")
	if _, _, err := a.Claim(sn.Name, addr, client(1), t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Claim(sn.Name, addr, client(1), t0); !errors.Is(err, ErrBusy) {
		t.Errorf("second claim while committing: %v, want ErrBusy", err)
	}
	if _, _, err := a.Claim(sn.Name, addr, client(2), t0); !errors.Is(err, ErrBusy) {
		t.Errorf("claim by another client while committing: %v, want ErrBusy", err)
	}
	b := lease.Binding{Subnet: sn.Name, Addr: addr, HWAddr: []byte(string(client(1))[1:]), State: lease.Bound, Expires: t0.Add(time.Hour), Version: "1"}
	a.Finish(addr, &b, t0.Add(time.Hour), t0)
	if _, _, err := a.Claim(sn.Name, addr, client(2), t0); !errors.Is(err, ErrHeld) {
		t.Errorf("claim of a bound address by another client: %v, want ErrHeld", err)
	}
	prev, stored, err := a.Claim(sn.Name, addr, client(1), t0)
	if err != nil || !stored || prev.Version != "1" {
		t.Errorf("renewal claim: %v stored %v version %q", err, stored, prev.Version)
	}
}

func TestAffinityAfterRelease(t *testing.T) {
	a, sn := setup(t, subnet("10.0.0.30"))
	addr := netip.MustParseAddr("10.0.0.21")
	bind(t, a, sn, client(1), addr, t0.Add(time.Hour))
	// Released: the address is free, but the client finds it again.
	_, _, _ = a.Claim(sn.Name, addr, client(1), t0)
	b, _ := a.At(addr)
	b.State = lease.Released
	a.Finish(addr, &b, time.Time{}, t0)
	for i := 2; i < 5; i++ {
		if got, _ := a.Offer(Request{Subnet: sn, Client: client(i), Pools: sn.Pools}, t0); got == addr {
			t.Fatalf("released address went to a new client while never-used ones remain")
		}
	}
	if got, _ := a.Offer(Request{Subnet: sn, Client: client(1), Pools: sn.Pools}, t0); got != addr {
		t.Errorf("returning client offered %s, want %s", got, addr)
	}
}

func TestLoadedBindingsAreNotOffered(t *testing.T) {
	a, sn := setup(t, subnet("10.0.0.14"))
	a.Load([]lease.Binding{
		{Subnet: "s", Addr: netip.MustParseAddr("10.0.0.10"), HWAddr: []byte{9}, State: lease.Bound, Expires: t0.Add(time.Hour)},
		{Subnet: "s", Addr: netip.MustParseAddr("10.0.0.11"), HWAddr: []byte{8}, State: lease.Declined, Expires: t0.Add(time.Hour)},
		{Subnet: "s", Addr: netip.MustParseAddr("10.0.0.14"), HWAddr: []byte{7}, State: lease.Bound, Expires: t0.Add(-time.Minute)},
	})
	var got []string
	for i := 0; ; i++ {
		addr, ok := a.Offer(Request{Subnet: sn, Client: client(i), Pools: sn.Pools}, t0)
		if !ok {
			break
		}
		got = append(got, addr.String())
	}
	if fmt.Sprint(got) != "[10.0.0.14]" {
		t.Errorf("offered %v, want only the expired 10.0.0.14", got)
	}
}

func TestExpiryFreesAddress(t *testing.T) {
	a, sn := setup(t, subnet("10.0.0.10"))
	bind(t, a, sn, client(1), netip.MustParseAddr("10.0.0.10"), t0.Add(time.Hour))
	r := Request{Subnet: sn, Client: client(2), Pools: sn.Pools}
	if _, ok := a.Offer(r, t0.Add(59*time.Minute)); ok {
		t.Fatal("bound address offered before its lease ended")
	}
	if addr, ok := a.Offer(r, t0.Add(61*time.Minute)); !ok || addr.String() != "10.0.0.10" {
		t.Fatalf("after expiry: %v %v", addr, ok)
	}
}

func TestForget(t *testing.T) {
	a, sn := setup(t, subnet("10.0.0.10"))
	addr := netip.MustParseAddr("10.0.0.10")
	bind(t, a, sn, client(1), addr, t0.Add(time.Hour))
	a.Forget(sn.Name, addr)
	if _, _, _, ok := a.Holding(sn.Name, client(1)); ok {
		t.Error("client still bound after Forget")
	}
	if got, ok := a.Offer(Request{Subnet: sn, Client: client(2), Pools: sn.Pools}, t0); !ok || got != addr {
		t.Errorf("forgotten address not offered: %v %v", got, ok)
	}
}

// BenchmarkOffer measures choosing and holding an address for a new client
// in pools of growing size, each nine tenths bound already (loaded from
// the store, as after a restart): the cost per offer stays flat.
func BenchmarkOffer(b *testing.B) {
	for _, size := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("pool=%d", size), func(b *testing.B) {
			lo := config.U32(netip.MustParseAddr("10.0.0.1"))
			hi := lo + uint32(size) - 1
			sn := &config.Subnet{Name: "s", Prefix: netip.MustParsePrefix("10.0.0.0/8"),
				Pools: []*config.Pool{{Name: "p", Ranges: []config.Range{{Start: config.Addr(lo), End: config.Addr(hi)}}}}}
			a, _ := setup(b, sn)
			bound := make([]lease.Binding, 0, size*9/10)
			for i := 0; i < size*9/10; i++ {
				u := lo + uint32(i*10/9)
				bound = append(bound, lease.Binding{Subnet: "s", Addr: config.Addr(u), HWAddr: []byte{1, byte(i >> 16), byte(i >> 8), byte(i)},
					State: lease.Bound, Expires: t0.Add(time.Hour)})
			}
			a.Load(bound)
			r := Request{Subnet: sn, Pools: sn.Pools}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r.Client = client(i)
				if _, ok := a.Offer(r, t0); !ok {
					// The free tenth ran out: let the holds lapse and go on.
					b.StopTimer()
					a, _ = setup(b, sn)
					a.Load(bound)
					b.StartTimer()
				}
			}
		})
	}
}

func TestObservedBindingBeatsOffer(t *testing.T) {
	a, sn := setup(t, subnet("10.0.0.10"))
	addr := netip.MustParseAddr("10.0.0.10")
	if got, ok := a.Offer(Request{Subnet: sn, Client: client(2), Pools: sn.Pools}, t0); !ok || got != addr {
		t.Fatal("no offer")
	}
	// Another server binds the address to client 1 before client 2 asks.
	a.Observe(lease.Binding{Subnet: "s", Addr: addr, HWAddr: []byte(string(client(1))[1:]), State: lease.Bound,
		Expires: t0.Add(time.Hour), Version: "7"})
	if _, _, err := a.Claim(sn.Name, addr, client(2), t0); !errors.Is(err, ErrHeld) {
		t.Errorf("claim over another client's observed binding: %v, want ErrHeld", err)
	}
}

func TestOfferAbandonedWhenAnotherWriterBindsIt(t *testing.T) {
	a, sn := setup(t, subnet("10.0.0.20"))
	r := Request{Subnet: sn, Client: client(2), Pools: sn.Pools}
	first, _ := a.Offer(r, t0)
	a.Observe(lease.Binding{Subnet: "s", Addr: first, HWAddr: []byte(string(client(1))[1:]), State: lease.Bound,
		Expires: t0.Add(time.Hour), Version: "9"})
	if again, ok := a.Offer(r, t0.Add(time.Second)); !ok || again == first {
		t.Errorf("offered %s again after another writer bound it to another client", again)
	}
}

func TestStoredReadsBackWhatKeepAccepts(t *testing.T) {
	a := New(time.Minute, nil)
	now := time.Unix(1_700_000_000, 0)
	for i, st := range []lease.State{lease.Bound, lease.Released, lease.Declined} {
		a.Observe(lease.Binding{Subnet: "lan", Addr: netip.AddrFrom4([4]byte{10, 0, 0, byte(10 + i)}),
			HWAddr: []byte{2, 0, 0, 0, 0, byte(i)}, Hostname: "h", State: st, Expires: now.Add(time.Duration(i) * time.Hour),
			Version: strconv.Itoa(i + 1)})
	}
	got := a.Stored(func(st lease.State, exp time.Time) bool { return st != lease.Bound && exp.After(now) })
	if len(got) != 2 {
		t.Fatalf("Stored kept %d bindings, want the Released and the Declined one: %+v", len(got), got)
	}
	for _, b := range got {
		if b.State == lease.Bound || b.Hostname != "h" || b.Subnet != "lan" || len(b.HWAddr) != 6 || b.Version == "" {
			t.Errorf("Stored returned %+v, want a whole stored binding with its version", b)
		}
	}
}

// StoredOf finds every stored address of a client, the one it holds now
// and one it was stored at before (two replicas raced for a claim), and
// none of another client's.
func TestStoredOf(t *testing.T) {
	a, sn := setup(t, subnet("10.0.0.30"))
	claim := func(addr, name, v string) lease.Binding {
		return lease.Binding{Subnet: sn.Name, Addr: netip.MustParseAddr(addr), State: lease.Claimed, Claim: name, Version: v}
	}
	a.Observe(claim("10.0.0.20", "vip", "1"))
	a.Observe(claim("10.0.0.21", "vip", "2"))
	a.Observe(claim("10.0.0.22", "other", "3"))
	held := a.StoredOf(ClaimClient("vip"), lease.Claimed)
	got := make([]string, 0, len(held))
	for _, b := range held {
		got = append(got, b.Addr.String())
	}
	if fmt.Sprint(got) != "[10.0.0.20 10.0.0.21]" {
		t.Errorf("StoredOf(vip) = %v, want both of its addresses", got)
	}
	if n := len(a.StoredOf(ClaimClient("vip"), lease.Bound)); n != 0 {
		t.Errorf("StoredOf(vip, Bound) = %d bindings, want none", n)
	}
}
