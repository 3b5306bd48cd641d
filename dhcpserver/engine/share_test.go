package engine

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// pair is two replicas, a and b, over one store, as two kubedhcp pods
// over one apiserver; each learns of the other's bindings through see.
type pair struct {
	a, b  *harness
	store *lease.Memory
}

func newPair(t *testing.T, subnet func() *config.Subnet) *pair {
	t.Helper()
	p := &pair{store: lease.NewMemory()}
	clock := &fakeClock{t: t0}
	for i, name := range []string{"a", "b"} {
		h := &harness{t: t, store: p.store, clock: clock, obs: &recorder{}}
		h.e = New(p.store, WithClock(clock), WithObserver(h.obs))
		h.setSnapshot(subnet())
		h.e.SetShare(balance.New(name, []string{"a", "b"}))
		h.e.SetLoaded()
		if i == 0 {
			p.a = h
		} else {
			p.b = h
		}
	}
	return p
}

// see gives both replicas every stored binding, as the lease watcher does.
func (p *pair) see(t *testing.T) {
	t.Helper()
	bs, err := p.store.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []*harness{p.a, p.b} {
		for _, b := range bs {
			h.e.Allocator().Observe(b)
		}
	}
}

// owner returns the replica whose share hw is in, and the other.
func (p *pair) owner(hw net.HardwareAddr) (mine, other *harness) {
	if p.a.e.Share().Owns(balance.ClientBucket(nil, hw)) {
		return p.a, p.b
	}
	return p.b, p.a
}

func balanced() *config.Subnet {
	sn := office()
	sn.LoadBalanceMaxSecs = 3
	sn.Pools[0].Ranges = []config.Range{{Start: ip("10.0.0.10"), End: ip("10.0.0.250")}}
	return sn
}

func withSecs(s uint16) dhcpv4.Modifier { return func(m *dhcpv4.DHCPv4) { m.NumSeconds = s } }

// Each DISCOVER is answered by exactly one replica, until the client has
// waited loadBalanceMaxSeconds; then by both.
func TestEachReplicaAnswersItsShare(t *testing.T) {
	p := newPair(t, balanced)
	byA := 0
	for i := range 100 {
		hw := mac(byte(i))
		mine, other := p.owner(hw)
		mine.mustReply(discover(hw), eth1, dhcpv4.MessageTypeOffer)
		other.mustSilence(discover(hw, withSecs(2)), eth1, ReasonPeersClient)
		other.mustReply(discover(hw, withSecs(3)), eth1, dhcpv4.MessageTypeOffer)
		if mine == p.a {
			byA++
		}
	}
	if byA < 25 || byA > 75 {
		t.Errorf("replica a owns %d of 100 clients", byA)
	}
}

// Each replica offers from its own part of the pool while it has free
// addresses there, so the two never offer one address to two clients.
func TestOffersComeFromOwnPartOfThePool(t *testing.T) {
	p := newPair(t, balanced)
	offered := map[netip.Addr]string{}
	for i := range 60 {
		hw := mac(byte(i))
		mine, _ := p.owner(hw)
		addr := addrOf(mine.mustReply(discover(hw), eth1, dhcpv4.MessageTypeOffer).Msg.YourIPAddr)
		if !mine.e.Share().OwnsAddr(addr) {
			t.Errorf("%s offered %s of the other replica's part", mine.e.Share().Self(), addr)
		}
		if prev, dup := offered[addr]; dup {
			t.Fatalf("%s offered to %s and %s", addr, prev, hw)
		}
		offered[addr] = hw.String()
	}
}

// A replica whose part of the pool is taken offers from the other's part.
func TestOwnPartExhaustedFallsBackToTheOthers(t *testing.T) {
	small := func() *config.Subnet {
		sn := balanced()
		sn.Pools[0].Ranges = []config.Range{{Start: ip("10.0.0.10"), End: ip("10.0.0.17")}}
		return sn
	}
	p := newPair(t, small)
	got := map[netip.Addr]bool{}
	for i := 0; len(got) < 8 && i < 200; i++ {
		hw := mac(byte(i))
		if mine, _ := p.owner(hw); mine != p.a {
			continue
		}
		ack := p.a.dora(hw)
		got[addrOf(ack.Msg.YourIPAddr)] = true
	}
	if len(got) != 8 {
		t.Fatalf("replica a bound %d of the 8 addresses alone", len(got))
	}
}

// With a server identifier the Subnet sets, every replica's, a REQUEST
// naming it is answered by the replica that offered, or whose share the
// client is in; the other stays silent rather than NAK another's offer.
func TestSelectingWithSharedServerID(t *testing.T) {
	p := newPair(t, balanced)
	hw := mac(7)
	mine, other := p.owner(hw)
	offer := mine.mustReply(discover(hw), eth1, dhcpv4.MessageTypeOffer)
	other.mustSilence(selecting(hw, offer.Msg.YourIPAddr, serverIP), eth1, ReasonPeersClient)
	mine.mustReply(selecting(hw, offer.Msg.YourIPAddr, serverIP), eth1, dhcpv4.MessageTypeAck)

	// The other replica answered a client that waited; both may then
	// ACK its REQUEST, for the same address.
	hw2 := mac(8)
	mine, other = p.owner(hw2)
	offer = other.mustReply(discover(hw2, withSecs(4)), eth1, dhcpv4.MessageTypeOffer)
	ack1 := other.mustReply(selecting(hw2, offer.Msg.YourIPAddr, serverIP, withSecs(4)), eth1, dhcpv4.MessageTypeAck)
	ack2 := mine.mustReply(selecting(hw2, offer.Msg.YourIPAddr, serverIP, withSecs(4)), eth1, dhcpv4.MessageTypeAck)
	if !ack1.Msg.YourIPAddr.Equal(ack2.Msg.YourIPAddr) {
		t.Errorf("ACKed %s and %s", ack1.Msg.YourIPAddr, ack2.Msg.YourIPAddr)
	}
}

// When each replica uses its own address as the server identifier, a
// REQUEST naming one is that one's to answer, whoever's share it is in.
func TestSelectingOwnServerID(t *testing.T) {
	p := newPair(t, func() *config.Subnet {
		sn := balanced()
		sn.ServerID = netip.Addr{}
		return sn
	})
	hw := mac(9)
	_, other := p.owner(hw)
	otherIP := ip("10.0.0.3")
	in := Meta{Interface: "eth1", LocalAddr: otherIP, Source: netip.IPv4Unspecified()}
	offer := other.mustReply(discover(hw, withSecs(5)), in, dhcpv4.MessageTypeOffer)
	other.mustReply(selecting(hw, offer.Msg.YourIPAddr, otherIP), in, dhcpv4.MessageTypeAck)
}

// On an authoritative subnet only the replica whose share a client is in
// NAKs it for an address it has no record of; a binding any replica can
// see is confirmed by either.
func TestUnknownClientNakedByItsOwnerOnly(t *testing.T) {
	p := newPair(t, func() *config.Subnet { sn := balanced(); sn.Authoritative = true; return sn })
	hw := mac(10)
	mine, other := p.owner(hw)
	mine.mustReply(initReboot(hw, ip("10.0.0.99")), eth1, dhcpv4.MessageTypeNak)
	other.mustSilence(initReboot(hw, ip("10.0.0.99")), eth1, ReasonPeersClient)

	ack := mine.dora(hw)
	p.see(t)
	for _, h := range []*harness{mine, other} {
		h.mustReply(initReboot(hw, addrOf(ack.Msg.YourIPAddr)), eth1, dhcpv4.MessageTypeAck)
	}
}

// INFORM is answered by the owner, and by any replica that sees the
// binding of the client's address.
func TestInformAnsweredByOwnerOrByWhoSeesTheBinding(t *testing.T) {
	p := newPair(t, balanced)
	hw := mac(11)
	mine, other := p.owner(hw)
	inform := func(addr netip.Addr) *dhcpv4.DHCPv4 {
		return msg(dhcpv4.MessageTypeInform, hw, dhcpv4.WithClientIP(addr.AsSlice()))
	}
	mine.mustReply(inform(ip("10.0.0.200")), eth1, dhcpv4.MessageTypeAck)
	other.mustSilence(inform(ip("10.0.0.200")), eth1, ReasonPeersClient)
	ack := mine.dora(hw)
	p.see(t)
	other.mustReply(inform(addrOf(ack.Msg.YourIPAddr)), eth1, dhcpv4.MessageTypeAck)
}

// When the other replica leaves the share, this one answers every client.
func TestTakeoverServesEveryClient(t *testing.T) {
	p := newPair(t, balanced)
	p.a.e.SetShare(balance.New("a", nil))
	for i := range 40 {
		p.a.mustReply(discover(mac(byte(i))), eth1, dhcpv4.MessageTypeOffer)
	}
}

// A Subnet that sets no loadBalanceMaxSeconds (-1) waits the server's
// default (Settings.MaxSeconds).
func TestMaxSecondsDefaultsToTheServers(t *testing.T) {
	five := uint16(5)
	sn := balanced()
	sn.LoadBalanceMaxSecs = -1
	h := newHarness(t, []*config.Subnet{sn}, WithSettings(Settings{MaxSeconds: &five}))
	h.e.SetShare(balance.New("a", []string{"a", "b"}))
	for i := 0; ; i++ {
		hw := mac(byte(i))
		if h.e.Share().Owns(balance.ClientBucket(nil, hw)) {
			continue
		}
		h.mustSilence(discover(hw, withSecs(4)), eth1, ReasonPeersClient)
		h.mustReply(discover(hw, withSecs(5)), eth1, dhcpv4.MessageTypeOffer)
		return
	}
}

// A client can be stored twice for a moment: one replica's ACK was lost
// and it took the other's offer. Its renewal of the address it holds is
// ACKed by either replica, never NAKed for the other binding.
func TestRenewalOfTheBindingTheClientHolds(t *testing.T) {
	p := newPair(t, balanced)
	hw := mac(12)
	mine, other := p.owner(hw)
	lost := mine.dora(hw) // the client never saw this ACK
	held := other.dora(hw, withSecs(4))
	if lost.Msg.YourIPAddr.Equal(held.Msg.YourIPAddr) {
		t.Fatal("the test needs two bindings")
	}
	p.see(t)
	for _, h := range []*harness{mine, other} {
		h.mustReply(renewing(hw, addrOf(held.Msg.YourIPAddr)), eth1, dhcpv4.MessageTypeAck)
	}
}

// A client two replicas bound one after the other (its first ACK lost,
// its retry served by the other replica before either saw the other's
// write) holds two Leases; once it renews the one it uses, the other is
// released and its address is free again.
func TestStaleSecondBindingReleasedOnRenewal(t *testing.T) {
	p := newPair(t, balanced)
	hw := mac(42)
	ctx := context.Background()
	first := p.a.mustReply(discover(hw, withSecs(5)), Meta{Interface: "eth1"}, dhcpv4.MessageTypeOffer)
	p.a.mustReply(selecting(hw, first.Msg.YourIPAddr, serverIP, withSecs(5)), Meta{Interface: "eth1"}, dhcpv4.MessageTypeAck)
	second := p.b.mustReply(discover(hw, withSecs(9)), Meta{Interface: "eth1"}, dhcpv4.MessageTypeOffer)
	if second.Msg.YourIPAddr.Equal(first.Msg.YourIPAddr) {
		t.Fatal("replica b offered the same address without having seen a's binding")
	}
	p.b.mustReply(selecting(hw, second.Msg.YourIPAddr, serverIP, withSecs(9)), Meta{Interface: "eth1"}, dhcpv4.MessageTypeAck)
	p.see(t)
	used, stale := addrOf(second.Msg.YourIPAddr), addrOf(first.Msg.YourIPAddr)
	p.a.clock.Advance(5 * time.Minute)
	for _, h := range []*harness{p.a, p.b} {
		if r, _ := h.handle(renewing(hw, used), Meta{Interface: "eth1", Source: used}); r != nil && r.Msg.MessageType() == dhcpv4.MessageTypeAck {
			break
		}
	}
	b, err := p.store.Lookup(ctx, "office", stale)
	if err != nil || b.State != lease.Released {
		t.Fatalf("the stale binding at %s: %+v (%v), want Released", stale, b, err)
	}
	if b, _ := p.store.Lookup(ctx, "office", used); b.State != lease.Bound {
		t.Fatalf("the used binding at %s: %s, want Bound", used, b.State)
	}
}
