package engine

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/dhcpserver/limit"
)

// The longest lease is granted as a finite number of seconds, never
// 0xffffffff (infinite), and stored to expire in the future: with the
// stored horizon of twice the lease computed without overflow.
func TestLongestLeaseIsFiniteAndStoredAhead(t *testing.T) {
	sn := office()
	sn.LeaseTimes = config.LeaseTimes{Default: config.MaxLeaseTime, Max: config.MaxLeaseTime}
	h := newHarness(t, []*config.Subnet{sn})
	want := uint32(config.MaxLeaseTime / time.Second)
	ack := h.dora(mac(1), dhcpv4.WithOption(dhcpv4.OptIPAddressLeaseTime(0xffffffff*time.Second)))
	if got := u32(ack.Msg.Options.Get(dhcpv4.OptionIPAddressLeaseTime)); got != want {
		t.Errorf("lease %d s, want %d (87600h), never infinite", got, want)
	}
	t1, t2 := u32(ack.Msg.Options.Get(dhcpv4.OptionRenewTimeValue)), u32(ack.Msg.Options.Get(dhcpv4.OptionRebindingTimeValue))
	if t1 == 0 || t2 <= t1 || t2 >= want {
		t.Errorf("T1 %d T2 %d", t1, t2)
	}
	b, _ := h.store.Get("office", addrOf(ack.Msg.YourIPAddr))
	if !b.Expires.After(t0.Add(config.MaxLeaseTime)) {
		t.Errorf("stored expiry %s, want after %s", b.Expires, t0.Add(config.MaxLeaseTime))
	}
	// A year on, the address is still the client's: nobody else gets it.
	h.clock.Advance(365 * 24 * time.Hour)
	other := h.mustReply(discover(mac(2)), eth1, dhcpv4.MessageTypeOffer)
	if addrOf(other.Msg.YourIPAddr) == b.Addr {
		t.Errorf("%s offered to another client while its lease runs", b.Addr)
	}
}

// branchSubnet is reached only through relays.
func branchSubnet(allowSelection bool) *config.Subnet {
	return &config.Subnet{Name: "branch", Prefix: netip.MustParsePrefix("10.20.0.0/24"), ServerID: ip("172.16.0.10"),
		Relays: []netip.Addr{ip("172.16.0.9")}, AllowSubnetSelection: allowSelection,
		Reservations: []*config.Reservation{{Name: "port7", CircuitID: []byte("port7"), Addr: ip("10.20.0.7")}},
		Pools:        []*config.Pool{{Name: "b", Ranges: []config.Range{{Start: ip("10.20.0.100"), End: ip("10.20.0.199")}}}}}
}

// A directly attached client chooses no subnet with option 82 (link
// selection, circuit ID) or option 118 unless the subnet allows 118.
func TestDirectClientsChooseOnlyWhatTheyMay(t *testing.T) {
	linkSel := dhcpv4.WithOption(dhcpv4.OptRelayAgentInfo(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(5), []byte{10, 20, 0, 0})))
	circuit := dhcpv4.WithOption(dhcpv4.OptRelayAgentInfo(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(1), []byte("port7"))))
	subnetSel := dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(118), []byte{10, 20, 0, 1}))
	officeNet := netip.MustParsePrefix("10.0.0.0/24")
	tests := []struct {
		name  string
		allow bool
		mods  []dhcpv4.Modifier
		want  netip.Prefix
	}{
		{"link selection from a direct client", false, []dhcpv4.Modifier{linkSel}, officeNet},
		{"circuit ID from a direct client", false, []dhcpv4.Modifier{circuit}, officeNet},
		{"subnet selection not allowed", false, []dhcpv4.Modifier{subnetSel}, officeNet},
		{"subnet selection allowed", true, []dhcpv4.Modifier{subnetSel}, netip.MustParsePrefix("10.20.0.0/24")},
		{"link selection from a relay", false, []dhcpv4.Modifier{relayed("172.16.0.1"), linkSel}, netip.MustParsePrefix("10.20.0.0/24")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []*config.Subnet{office(), branchSubnet(tt.allow)})
			r := h.mustReply(discover(mac(1), tt.mods...), eth1, dhcpv4.MessageTypeOffer)
			if got := addrOf(r.Msg.YourIPAddr); !tt.want.Contains(got) || got == ip("10.20.0.7") {
				t.Errorf("offered %s, want one of %s (and never port7's reserved 10.20.0.7)", got, tt.want)
			}
		})
	}
}

// A DECLINE through a relay comes from the relay; forged from elsewhere,
// with the bound client's identity, it is ignored.
func TestForgedDeclineIgnored(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	via := relayed("172.16.0.1")
	offer := h.mustReply(discover(mac(1), via), eth1, dhcpv4.MessageTypeOffer)
	ack := h.mustReply(selecting(mac(1), offer.Msg.YourIPAddr, serverIP, via), eth1, dhcpv4.MessageTypeAck)
	addr := addrOf(ack.Msg.YourIPAddr)
	dec := msg(dhcpv4.MessageTypeDecline, mac(1), via, dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(addr.AsSlice())))
	forged := eth1
	forged.Source = ip("10.0.0.66")
	h.mustSilence(dec, forged, "wrongSource")
	if b, _ := h.store.Get("office", addr); b.State != lease.Bound {
		t.Fatalf("state %s after a forged DECLINE, want Bound", b.State)
	}
	fromRelay := eth1
	fromRelay.Source = ip("172.16.0.1")
	h.mustSilence(dec, fromRelay, "declined")
}

// Renewals that change only the host name write at most once per quarter
// of the lease, however many come (the example: 500 renewals with 500
// host names wrote 500 times).
func TestHostNameChurnDoesNotAmplifyWrites(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()}, WithSettings(Settings{NoLimits: true}))
	addr := addrOf(h.dora(mac(1)).Msg.YourIPAddr)
	before := h.store.Writes()
	for i := range 500 {
		m := renewing(mac(1), addr)
		m.UpdateOption(dhcpv4.OptHostName(fmt.Sprintf("host-%d", i)))
		from := eth1
		from.Source = addr
		h.mustReply(m, from, dhcpv4.MessageTypeAck)
		h.clock.Advance(100 * time.Millisecond)
	}
	writes := h.store.Writes() - before
	t.Logf("500 renewals with 500 host names in 50 s (10 min lease): %d writes", writes)
	if writes > 1 {
		t.Errorf("%d writes, want at most 1 (one per 2m30s, a quarter of the lease)", writes)
	}
	// A quarter of the lease later, the name the client has now is written.
	h.clock.Advance(3 * time.Minute)
	m := renewing(mac(1), addr)
	m.UpdateOption(dhcpv4.OptHostName("final"))
	from := eth1
	from.Source = addr
	h.mustReply(m, from, dhcpv4.MessageTypeAck)
	if b, _ := h.store.Get("office", addr); b.Hostname != "final" {
		t.Errorf("host name stored %q, want final", b.Hostname)
	}
}

// One client over its rate gets silence, then is served again once its
// bucket refills; the observer hears of it.
func TestClientRateLimit(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()}, WithSettings(Settings{ClientRate: &limit.Rate{PerSecond: 1, Burst: 5}}))
	answered := 0
	for range 20 {
		if r, res := h.handle(discover(mac(1)), eth1); r != nil {
			answered++
		} else if res.Reason != ReasonClientRate {
			t.Fatalf("silent for %q, want %q", res.Reason, ReasonClientRate)
		}
	}
	if answered != 5 {
		t.Errorf("answered %d of 20 at once, want the burst of 5", answered)
	}
	if len(h.obs.limited) != 15 || h.obs.limited[0] != "office/clientRateLimited/client 00:16:41:e0:f9:01" {
		t.Errorf("observer heard %v", h.obs.limited)
	}
	h.mustReply(discover(mac(2)), eth1, dhcpv4.MessageTypeOffer) // another client is not limited
	h.clock.Advance(2 * time.Second)
	h.mustReply(discover(mac(1)), eth1, dhcpv4.MessageTypeOffer)
}

// Many new clients through one relay are limited; renewals of clients
// bound already, through the same relay, are not.
func TestLinkRateLimitSparesRenewals(t *testing.T) {
	sn := office()
	sn.Pools[0].Ranges = []config.Range{{Start: ip("10.0.0.10"), End: ip("10.0.0.250")}}
	h := newHarness(t, []*config.Subnet{sn}, WithSettings(Settings{LinkRate: &limit.Rate{PerSecond: 10, Burst: 20}}))
	via := relayed("172.16.0.1")
	bound := make([]netip.Addr, 0, 10)
	for i := range 10 {
		offer := h.mustReply(discover(mac(byte(i)), via), eth1, dhcpv4.MessageTypeOffer)
		ack := h.mustReply(selecting(mac(byte(i)), offer.Msg.YourIPAddr, serverIP, via), eth1, dhcpv4.MessageTypeAck)
		bound = append(bound, addrOf(ack.Msg.YourIPAddr))
	}
	h.clock.Advance(2 * time.Second) // the bucket is full again
	offers := 0
	for i := range 100 {
		hw := net.HardwareAddr{2, 1, 0, 0, 0, byte(i)}
		if r, _ := h.handle(discover(hw, via), eth1); r != nil {
			offers++
		}
	}
	if offers != 20 {
		t.Errorf("a flood of 100 new clients got %d offers, want the burst of 20", offers)
	}
	for i, a := range bound {
		m := renewing(mac(byte(i)), a)
		m.GatewayIPAddr = net.IP{172, 16, 0, 1}
		h.mustReply(m, eth1, dhcpv4.MessageTypeAck)
	}
}

// Without a configured server identifier, the server's address on the
// interface is never offered, though it lies in the pool.
func TestServerAddressNeverOffered(t *testing.T) {
	sn := office()
	sn.ServerID = netip.Addr{}
	sn.Pools[0].Ranges = []config.Range{{Start: ip("10.0.0.10"), End: ip("10.0.0.11")}}
	h := newHarness(t, []*config.Subnet{sn})
	in := Meta{Interface: "eth1", LocalAddr: ip("10.0.0.10"), Source: netip.IPv4Unspecified()}
	r := h.mustReply(discover(mac(1)), in, dhcpv4.MessageTypeOffer)
	if got := addrOf(r.Msg.YourIPAddr); got != ip("10.0.0.11") {
		t.Errorf("offered %s, want 10.0.0.11 (10.0.0.10 is the server's)", got)
	}
	h.mustSilence(discover(mac(2)), in, "noFreeAddress")
	req := selecting(mac(3), net.IP{10, 0, 0, 10}, ip("10.0.0.10"))
	if r, _ := h.handle(req, in); r == nil || r.Msg.MessageType() != dhcpv4.MessageTypeNak {
		t.Errorf("a REQUEST for the server's own address got %v, want a NAK", r)
	}
}

// Serving partially (the Store cannot list its bindings), the engine asks
// the Store about each address it knows nothing of: a renewal of a
// stored binding is ACKed, and an address stored for another client is
// not offered.
func TestPartialServiceLooksUpAddresses(t *testing.T) {
	store := lease.NewMemory()
	ctx := context.Background()
	for i, a := range []string{"10.0.0.10", "10.0.0.11"} {
		if _, err := store.Commit(ctx, lease.Binding{Subnet: "office", Addr: ip(a), HWAddr: mac(byte(i + 1)), State: lease.Bound,
			Start: t0, Renewed: t0, Expires: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	clock := &fakeClock{t: t0}
	e := New(store, WithClock(clock))
	snap, err := config.New(office())
	if err != nil {
		t.Fatal(err)
	}
	e.SetSnapshot(snap)
	e.SetPartial()
	h := &harness{t: t, e: e, store: store, clock: clock, obs: &recorder{}}
	from := eth1
	from.Source = ip("10.0.0.11")
	h.mustReply(renewing(mac(2), ip("10.0.0.11")), from, dhcpv4.MessageTypeAck)
	r := h.mustReply(discover(mac(9)), eth1, dhcpv4.MessageTypeOffer)
	if got := addrOf(r.Msg.YourIPAddr); got == ip("10.0.0.10") || got == ip("10.0.0.11") {
		t.Errorf("offered %s, which is stored for another client", got)
	}
	e.SetLoaded()
	if e.Partial() {
		t.Error("still partial after SetLoaded")
	}
}

// One MAC sending a new client identifier each time is a new client each
// time: the subnet's MaxLeasesPerMAC bounds what they hold together.
func TestLeasesPerMAC(t *testing.T) {
	sn := office()
	sn.MaxLeasesPerMAC = 3
	h := newHarness(t, []*config.Subnet{sn})
	withID := func(i byte) dhcpv4.Modifier {
		return dhcpv4.WithOption(dhcpv4.OptClientIdentifier([]byte{0xff, 0, 0, 0, i}))
	}
	var first netip.Addr
	for i := range byte(3) {
		ack := h.dora(mac(1), withID(i))
		if i == 0 {
			first = addrOf(ack.Msg.YourIPAddr)
		}
	}
	h.mustSilence(discover(mac(1), withID(3)), eth1, ReasonLeasesPerMAC)
	req := selecting(mac(1), net.IP{10, 0, 0, 18}, serverIP, withID(3))
	h.mustSilence(req, eth1, ReasonLeasesPerMAC)
	if len(h.obs.limited) != 2 || h.obs.limited[0] != "office/tooManyLeasesForMAC/00:16:41:e0:f9:01 holds 3" {
		t.Errorf("observer heard %v", h.obs.limited)
	}
	// The three renew; another MAC is not limited.
	m := renewing(mac(1), first)
	m.UpdateOption(dhcpv4.OptClientIdentifier([]byte{0xff, 0, 0, 0, 0}))
	h.mustReply(m, eth1, dhcpv4.MessageTypeAck)
	h.dora(mac(2), withID(9))
	// Once one of the three has released its address, a fourth binds.
	rel := msg(dhcpv4.MessageTypeRelease, mac(1), dhcpv4.WithClientIP(first.AsSlice()), withID(0))
	from := eth1
	from.Source = first
	h.mustSilence(rel, from, "released")
	h.dora(mac(1), withID(3))
}
