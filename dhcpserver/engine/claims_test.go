package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// A claim takes a free address of its pool, with the subnet's prefix and
// first router; it is stored as a Claimed Lease, counted as claimed, never
// offered to a DHCP client, and free again once unclaimed.
func TestClaimHoldsAnAddressDHCPNeverGets(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	ctx := context.Background()
	got, err := h.e.Claim(ctx, "office-dynamic", "worker-0", netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	want := Claimed{Addr: ip("10.0.0.10"), Prefix: netip.MustParsePrefix("10.0.0.0/24"), Gateway: ip("10.0.0.1"),
		Subnet: "office", Pool: "office-dynamic"}
	if got != want {
		t.Fatalf("Claim = %+v, want %+v", got, want)
	}
	b, err := h.store.Lookup(ctx, "office", got.Addr)
	if err != nil || b.State != lease.Claimed || b.Claim != "worker-0" || b.Pool != "office-dynamic" || len(b.HWAddr) != 0 {
		t.Fatalf("stored %+v (%v), want a Claimed Lease for worker-0", b, err)
	}
	if again, err := h.e.Claim(ctx, "office-dynamic", "worker-0", netip.Addr{}); err != nil || again != want {
		t.Fatalf("Claim again = %+v, %v; want the same address", again, err)
	}
	fillAndUnclaim(t, h, got.Addr)
}

// fillAndUnclaim binds nine DHCP clients beside the claimed addr in the
// ten-address pool, checks the pool full on both sides, then unclaims addr
// and checks a DHCP client gets it.
func fillAndUnclaim(t *testing.T, h *harness, claimed netip.Addr) {
	t.Helper()
	ctx := context.Background()
	got := Claimed{Addr: claimed}
	for i := range 9 {
		r := h.dora(mac(byte(i)))
		if addrOf(r.Msg.YourIPAddr) == got.Addr {
			t.Fatalf("client %d was given the claimed %s", i, got.Addr)
		}
	}
	h.mustSilence(discover(mac(99)), Meta{Interface: "eth1"}, ReasonNoFreeAddress)
	if c := h.e.Allocator().Usage(h.clock.Now())["office"]["office-dynamic"]; c.Claimed != 1 || c.Bound != 9 || c.Free() != 0 {
		t.Fatalf("usage %+v, want 1 claimed, 9 bound, 0 free", c)
	}
	if _, err := h.e.Claim(ctx, "office-dynamic", "worker-1", netip.Addr{}); !errors.Is(err, ErrPoolExhausted) {
		t.Fatalf("Claim in a full pool: %v, want ErrPoolExhausted", err)
	}
	freed, err := h.e.Unclaim(ctx, "worker-0", netip.Addr{})
	if err != nil || len(freed) != 1 || freed[0] != got.Addr {
		t.Fatalf("Unclaim = %v, %v; want [%s]", freed, err, got.Addr)
	}
	if _, err := h.store.Lookup(ctx, "office", got.Addr); !errors.Is(err, lease.ErrNotFound) {
		t.Fatalf("Lease of an unclaimed address: %v, want deleted", err)
	}
	if r := h.dora(mac(99)); addrOf(r.Msg.YourIPAddr) != got.Addr {
		t.Fatalf("after Unclaim the client got %s, want %s", r.Msg.YourIPAddr, got.Addr)
	}
}

// A claim never takes an address a DHCP client holds or was offered, and
// a DHCP client asking for a claimed address is refused it.
func TestClaimAndDHCPNeverShare(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	ctx := context.Background()
	offer := h.mustReply(discover(mac(1)), Meta{Interface: "eth1"}, dhcpv4.MessageTypeOffer)
	offered := addrOf(offer.Msg.YourIPAddr)
	c, err := h.e.Claim(ctx, "office-dynamic", "vip", netip.Addr{})
	if err != nil || c.Addr == offered {
		t.Fatalf("Claim = %+v, %v; want an address other than the offered %s", c, err, offered)
	}
	if r, _ := h.handle(initReboot(mac(2), c.Addr), Meta{Interface: "eth1"}); r != nil && r.Msg.MessageType() == dhcpv4.MessageTypeAck {
		t.Fatalf("a client rebooting with the claimed %s was ACKed", c.Addr)
	}
	r := h.mustReply(discover(mac(2), dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(c.Addr.AsSlice()))), Meta{Interface: "eth1"}, dhcpv4.MessageTypeOffer)
	if addrOf(r.Msg.YourIPAddr) == c.Addr {
		t.Fatalf("a client asking for the claimed %s was offered it", c.Addr)
	}
}

// A Reservation naming a claim fixes its address, outside any pool too; a
// pool the configuration does not serve is ErrNoPool.
func TestClaimReservationAndUnknownPool(t *testing.T) {
	sn := office()
	sn.Reservations = []*config.Reservation{{Name: "api-vip", Claim: "cluster-a-vip", Addr: ip("10.0.0.100")}}
	h := newHarness(t, []*config.Subnet{sn})
	ctx := context.Background()
	c, err := h.e.Claim(ctx, "office-dynamic", "cluster-a-vip", netip.Addr{})
	if err != nil || c.Addr != ip("10.0.0.100") || c.Reservation != "api-vip" {
		t.Fatalf("Claim = %+v, %v; want 10.0.0.100 from api-vip", c, err)
	}
	if b, _ := h.store.Lookup(ctx, "office", c.Addr); b.Reservation != "api-vip" || b.State != lease.Claimed {
		t.Fatalf("stored %+v, want Claimed under api-vip", b)
	}
	// No DHCP client is the claim's reservation's client.
	if r := h.dora(mac(7)); addrOf(r.Msg.YourIPAddr) == c.Addr {
		t.Fatalf("a DHCP client got the claim's reserved address")
	}
	if _, err := h.e.Claim(ctx, "no-such-pool", "x", netip.Addr{}); !errors.Is(err, ErrNoPool) {
		t.Fatalf("Claim of an unknown pool: %v, want ErrNoPool", err)
	}
}

// Two replicas that have not seen each other's writes race claims against
// DHCP clients in one pool: every address ends with one holder, and the
// claims that found the pool full say so.
func TestClaimsRaceDHCPAcrossReplicas(t *testing.T) {
	p := newPair(t, balanced) // 241 addresses
	ctx := context.Background()
	claimed, bound, exhausted := map[netip.Addr]string{}, map[netip.Addr]string{}, 0
	for i := range 150 {
		// Replica a claims; replica b binds DHCP clients; neither sees the
		// other's writes except through conflicts.
		c, err := p.a.e.Claim(ctx, "office-dynamic", fmt.Sprintf("claim-%d", i), netip.Addr{})
		switch {
		case errors.Is(err, ErrPoolExhausted):
			exhausted++
		case err != nil:
			t.Fatal(err)
		default:
			claimed[c.Addr] = fmt.Sprint(i)
		}
		hw := mac(byte(i))
		hw[4] = 0x77
		if r, _ := p.b.handle(discover(hw, withSecs(10)), Meta{Interface: "eth1"}); r != nil {
			ack, _ := p.b.handle(selecting(hw, r.Msg.YourIPAddr, serverIP, withSecs(10)), Meta{Interface: "eth1"})
			if ack != nil && ack.Msg.MessageType() == dhcpv4.MessageTypeAck {
				bound[addrOf(ack.Msg.YourIPAddr)] = hw.String()
			}
		}
	}
	for a := range claimed {
		if _, dup := bound[a]; dup {
			t.Fatalf("%s is both claimed and bound", a)
		}
	}
	all, _ := p.store.List(ctx)
	seen := map[netip.Addr]bool{}
	for _, b := range all {
		if seen[b.Addr] {
			t.Fatalf("%s stored twice", b.Addr)
		}
		seen[b.Addr] = true
	}
	if len(claimed)+len(bound) != 241 || exhausted == 0 {
		t.Fatalf("%d claimed + %d bound, %d claims exhausted; want the 241 addresses taken and some claims refused", len(claimed), len(bound), exhausted)
	}
	t.Logf("%d claims and %d DHCP clients over one 241-address pool through two replicas: 0 duplicates, %d claims found it full", len(claimed), len(bound), exhausted)
}
