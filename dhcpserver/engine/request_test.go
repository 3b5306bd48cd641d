package engine

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

func TestSelectingAck(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	offer := h.mustReply(discover(mac(1)), eth1, dhcpv4.MessageTypeOffer)
	q := selecting(mac(1), offer.Msg.YourIPAddr, serverIP, dhcpv4.WithOption(dhcpv4.OptHostName("laptop")),
		relayed("10.0.0.1"), dhcpv4.WithOption(dhcpv4.OptClassIdentifier("MSFT 5.0")))
	ack := h.mustReply(q, eth1, dhcpv4.MessageTypeAck)
	m := ack.Msg
	if addrOf(m.YourIPAddr) != ip("10.0.0.10") || addrOf(m.ClientIPAddr).IsValid() {
		t.Errorf("yiaddr %s ciaddr %s, want 10.0.0.10 and none", m.YourIPAddr, m.ClientIPAddr)
	}
	if u32(m.Options.Get(dhcpv4.OptionIPAddressLeaseTime)) != 600 || addrOf(m.ServerIdentifier()) != serverIP {
		t.Errorf("lease %d server id %s", u32(m.Options.Get(dhcpv4.OptionIPAddressLeaseTime)), m.ServerIdentifier())
	}
	// Committed before the ACK was returned.
	b, ok := h.store.Get("office", ip("10.0.0.10"))
	want := lease.Binding{Subnet: "office", Addr: ip("10.0.0.10"), HWAddr: mac(1), Hostname: "laptop", State: lease.Bound,
		Start: t0, Renewed: t0, Expires: t0.Add(20 * time.Minute), Pool: "office-dynamic", Relay: ip("10.0.0.1"),
		VendorClass: "MSFT 5.0", Version: b.Version}
	if !ok || b.Subnet != want.Subnet || b.HWAddr.String() != want.HWAddr.String() || b.Hostname != want.Hostname ||
		b.State != want.State || !b.Start.Equal(want.Start) || !b.Expires.Equal(want.Expires) || b.Pool != want.Pool ||
		b.Relay != want.Relay || b.VendorClass != want.VendorClass {
		t.Errorf("stored %+v\nwant   %+v", b, want)
	}
}

func TestSelectingOtherServer(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	offer := h.mustReply(discover(mac(1)), eth1, dhcpv4.MessageTypeOffer)
	h.mustSilence(selecting(mac(1), offer.Msg.YourIPAddr, ip("10.0.0.99")), eth1, "otherServer")
	// The offer was dropped: another client may have that address at once.
	r := h.mustReply(discover(mac(2), dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(offer.Msg.YourIPAddr))), eth1, dhcpv4.MessageTypeOffer)
	if addrOf(r.Msg.YourIPAddr) != addrOf(offer.Msg.YourIPAddr) {
		t.Errorf("next client offered %s, want the dropped offer %s", r.Msg.YourIPAddr, offer.Msg.YourIPAddr)
	}
	if _, ok := h.store.Get("office", addrOf(offer.Msg.YourIPAddr)); ok {
		t.Error("a binding was stored for a client that chose another server")
	}
}

func TestSelectingAddressHeldByAnother(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	ack := h.dora(mac(1))
	r := h.mustReply(selecting(mac(2), ack.Msg.YourIPAddr, serverIP), eth1, dhcpv4.MessageTypeNak)
	checkNak(t, r, "255.255.255.255:68", false)
	// An address free but not offered is given (the offer may have come
	// from a replica, or before a restart).
	h.mustReply(selecting(mac(3), net.ParseIP("10.0.0.17"), serverIP), eth1, dhcpv4.MessageTypeAck)
	// An address outside the pools is not.
	h.mustReply(selecting(mac(4), net.ParseIP("10.0.0.99"), serverIP), eth1, dhcpv4.MessageTypeNak)
}

func checkNak(t *testing.T, r *Reply, dest string, bcastFlag bool) {
	t.Helper()
	m := r.Msg
	if addrOf(m.YourIPAddr).IsValid() || addrOf(m.ServerIPAddr).IsValid() || addrOf(m.ClientIPAddr).IsValid() {
		t.Errorf("NAK carries addresses: yiaddr %s siaddr %s ciaddr %s", m.YourIPAddr, m.ServerIPAddr, m.ClientIPAddr)
	}
	for _, c := range []dhcpv4.OptionCode{dhcpv4.OptionIPAddressLeaseTime, dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter} {
		if m.Options.Has(c) {
			t.Errorf("NAK carries option %s", c)
		}
	}
	if !m.Options.Has(dhcpv4.OptionServerIdentifier) || !m.Options.Has(dhcpv4.OptionMessage) {
		t.Error("NAK lacks the server identifier or message")
	}
	if r.Dest.Addr.String() != dest || m.IsBroadcast() != bcastFlag {
		t.Errorf("NAK to %s broadcast flag %v, want %s %v", r.Dest.Addr, m.IsBroadcast(), dest, bcastFlag)
	}
}

func TestInitReboot(t *testing.T) {
	tests := []struct {
		name    string
		auth    bool
		client  net.HardwareAddr
		addr    string
		mods    []dhcpv4.Modifier
		want    dhcpv4.MessageType // 0: silence
		reason  Reason
		nakDest string
		nakFlag bool
	}{
		{"known client, its address", false, mac(1), "10.0.0.10", nil, dhcpv4.MessageTypeAck, "", "", false},
		{"known client, another address", false, mac(1), "10.0.0.11", nil, dhcpv4.MessageTypeNak, "wrongAddress", "255.255.255.255:68", false},
		{"wrong network", false, mac(1), "192.168.1.10", nil, dhcpv4.MessageTypeNak, "wrongNetwork", "255.255.255.255:68", false},
		{"wrong network, relayed", false, mac(1), "192.168.1.10", []dhcpv4.Modifier{relayed("10.0.0.1")}, dhcpv4.MessageTypeNak, "wrongNetwork", "10.0.0.1:67", true},
		{"unknown client", false, mac(2), "10.0.0.12", nil, 0, "unknownLease", "", false},
		{"unknown client, authoritative", true, mac(2), "10.0.0.12", nil, dhcpv4.MessageTypeNak, "unknownLease", "255.255.255.255:68", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sn := office()
			sn.Authoritative = tt.auth
			h := newHarness(t, []*config.Subnet{sn})
			h.dora(mac(1))
			h.clock.Advance(time.Minute)
			q := initReboot(tt.client, ip(tt.addr), tt.mods...)
			if tt.want == 0 {
				h.mustSilence(q, eth1, tt.reason)
				return
			}
			r := h.mustReply(q, eth1, tt.want)
			if tt.want == dhcpv4.MessageTypeNak {
				checkNak(t, r, tt.nakDest, tt.nakFlag)
				if got := string(r.Msg.Options.Get(dhcpv4.OptionMessage)); got != string(tt.reason) {
					t.Errorf("NAK message %q, want %q", got, tt.reason)
				}
				return
			}
			if addrOf(r.Msg.YourIPAddr) != ip(tt.addr) || u32(r.Msg.Options.Get(dhcpv4.OptionIPAddressLeaseTime)) != 600 {
				t.Errorf("ACK yiaddr %s lease %d", r.Msg.YourIPAddr, u32(r.Msg.Options.Get(dhcpv4.OptionIPAddressLeaseTime)))
			}
		})
	}
}

func TestRenewingAndRebinding(t *testing.T) {
	tests := []struct {
		name   string
		auth   bool
		client net.HardwareAddr
		in     Meta
		want   dhcpv4.MessageType
		reason Reason
	}{
		{"renewing, known", false, mac(1), eth1, dhcpv4.MessageTypeAck, ""},
		{"rebinding, known", false, mac(1), Meta{Interface: "eth1", LocalAddr: serverIP, Broadcast: true}, dhcpv4.MessageTypeAck, ""},
		{"renewing, unknown: it asked us by name", false, mac(2), eth1, dhcpv4.MessageTypeNak, "unknownLease"},
		{"rebinding, unknown", false, mac(2), Meta{Interface: "eth1", LocalAddr: serverIP, Broadcast: true}, 0, "unknownLease"},
		{"rebinding, unknown, authoritative", true, mac(2), Meta{Interface: "eth1", LocalAddr: serverIP, Broadcast: true}, dhcpv4.MessageTypeNak, "unknownLease"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sn := office()
			sn.Authoritative = tt.auth
			h := newHarness(t, []*config.Subnet{sn})
			h.dora(mac(1))
			h.clock.Advance(5 * time.Minute)
			q := renewing(tt.client, ip("10.0.0.10"))
			if tt.want == 0 {
				h.mustSilence(q, tt.in, tt.reason)
				return
			}
			r := h.mustReply(q, tt.in, tt.want)
			if tt.want == dhcpv4.MessageTypeNak {
				checkNak(t, r, "255.255.255.255:68", false)
				return
			}
			m := r.Msg
			if addrOf(m.ClientIPAddr) != ip("10.0.0.10") || addrOf(m.YourIPAddr) != ip("10.0.0.10") {
				t.Errorf("ciaddr %s yiaddr %s, want 10.0.0.10 both", m.ClientIPAddr, m.YourIPAddr)
			}
			if r.Dest.Addr.String() != "10.0.0.10:68" || r.Dest.Broadcast || r.Dest.HWAddr != nil {
				t.Errorf("dest %+v, want unicast to ciaddr 10.0.0.10:68", r.Dest)
			}
			if u32(m.Options.Get(dhcpv4.OptionIPAddressLeaseTime)) != 600 {
				t.Errorf("lease %d, want the full 600", u32(m.Options.Get(dhcpv4.OptionIPAddressLeaseTime)))
			}
		})
	}
}

func TestRenewalsAreAmortised(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	h.dora(mac(1))
	before := h.store.Writes()
	const renewals = 30
	for i := 0; i < renewals; i++ {
		h.clock.Advance(5 * time.Minute) // T1 of a 10-minute lease
		r := h.mustReply(renewing(mac(1), ip("10.0.0.10")), eth1, dhcpv4.MessageTypeAck)
		if got := u32(r.Msg.Options.Get(dhcpv4.OptionIPAddressLeaseTime)); got != 600 {
			t.Fatalf("renewal %d: lease %d, want the full 600", i, got)
		}
		b, _ := h.store.Get("office", ip("10.0.0.10"))
		if end := h.clock.Now().Add(10 * time.Minute); b.Expires.Before(end) {
			t.Fatalf("renewal %d: stored expiry %s is before the lease told, %s", i, b.Expires, end)
		}
	}
	writes := h.store.Writes() - before
	if per := float64(writes) / renewals; per >= 0.5 {
		t.Errorf("%d writes for %d renewals (%.2f each), want fewer than 0.5 each", writes, renewals, per)
	}
}

func TestRenewAfterRevocationAndReuse(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	h.dora(mac(1))
	b, _ := h.store.Get("office", ip("10.0.0.10"))
	if err := h.store.Delete(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	h.e.Allocator().Forget("office", ip("10.0.0.10"))
	// The address is free again: a new client may get it.
	if got := addrOf(h.dora(mac(2), dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.ParseIP("10.0.0.10")))).Msg.YourIPAddr); got != ip("10.0.0.10") {
		t.Errorf("new client got %s, want the revoked 10.0.0.10", got)
	}
	// The old client is NAKed at its next renewal.
	r := h.mustReply(renewing(mac(1), ip("10.0.0.10")), eth1, dhcpv4.MessageTypeNak)
	if got := string(r.Msg.Options.Get(dhcpv4.OptionMessage)); got != "addressHeld" && got != "unknownLease" {
		t.Errorf("NAK reason %q", got)
	}
}

func TestExpiredLeaseIsReusedAndItsClientNaked(t *testing.T) {
	sn := office()
	sn.Pools[0].Ranges = []config.Range{{Start: ip("10.0.0.10"), End: ip("10.0.0.10")}}
	h := newHarness(t, []*config.Subnet{sn})
	h.dora(mac(1))
	h.mustSilence(discover(mac(2)), eth1, "noFreeAddress")
	h.clock.Advance(11 * time.Minute) // the 10-minute lease ended
	if got := addrOf(h.dora(mac(2)).Msg.YourIPAddr); got != ip("10.0.0.10") {
		t.Fatalf("got %s, want the expired 10.0.0.10", got)
	}
	h.mustReply(renewing(mac(1), ip("10.0.0.10")), eth1, dhcpv4.MessageTypeNak)
}

func TestSnapshotSwapKeepsBindings(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	h.dora(mac(1))
	sn := office()
	sn.Pools[0].Ranges = []config.Range{{Start: ip("10.0.0.100"), End: ip("10.0.0.109")}}
	h.setSnapshot(sn)
	h.clock.Advance(5 * time.Minute)
	r := h.mustReply(renewing(mac(1), ip("10.0.0.10")), eth1, dhcpv4.MessageTypeAck)
	if got := u32(r.Msg.Options.Get(dhcpv4.OptionIPAddressLeaseTime)); got > 300 {
		t.Errorf("lease outside every pool renewed for %ds, want at most the 300 s it had left", got)
	}
	h.clock.Advance(6 * time.Minute)
	h.mustReply(renewing(mac(1), ip("10.0.0.10")), eth1, dhcpv4.MessageTypeNak)
}

// failingStore fails every write while down.
type failingStore struct {
	*lease.Memory
	down bool
}

var errDown = errors.New("apiserver unreachable")

func (f *failingStore) Commit(ctx context.Context, b lease.Binding) (lease.Binding, error) {
	if f.down {
		return lease.Binding{}, errDown
	}
	return f.Memory.Commit(ctx, b)
}

func TestStoreDown(t *testing.T) {
	fs := &failingStore{Memory: lease.NewMemory()}
	clock := &fakeClock{t: t0}
	e := New(fs, WithClock(clock), WithSettings(Settings{Headroom: -1}))
	s, _ := config.New(office())
	e.SetSnapshot(s)
	if err := Restore(context.Background(), e, fs); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, e: e, store: fs.Memory, clock: clock, obs: &recorder{}}
	h.dora(mac(1))
	fs.down = true
	clock.Advance(5 * time.Minute)
	// A known lease is renewed for what its stored binding still covers.
	r := h.mustReply(renewing(mac(1), ip("10.0.0.10")), eth1, dhcpv4.MessageTypeAck)
	if got := u32(r.Msg.Options.Get(dhcpv4.OptionIPAddressLeaseTime)); got != 300 {
		t.Errorf("renewal while the store is down: lease %d, want the 300 s stored", got)
	}
	// A new client gets an offer but no ACK, and no NAK.
	offer := h.mustReply(discover(mac(2)), eth1, dhcpv4.MessageTypeOffer)
	h.mustSilence(selecting(mac(2), offer.Msg.YourIPAddr, serverIP), eth1, "storeUnavailable")
	fs.down = false
	h.mustReply(selecting(mac(2), offer.Msg.YourIPAddr, serverIP), eth1, dhcpv4.MessageTypeAck)
}

func TestDeclineProbation(t *testing.T) {
	sn := office()
	sn.Pools[0].Ranges = []config.Range{{Start: ip("10.0.0.10"), End: ip("10.0.0.11")}}
	h := newHarness(t, []*config.Subnet{sn}, WithSettings(Settings{Probation: 10 * time.Minute}))
	ack := h.dora(mac(1))
	addr := addrOf(ack.Msg.YourIPAddr)
	dec := msg(dhcpv4.MessageTypeDecline, mac(1), dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(addr.AsSlice())),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(serverIP.AsSlice())))
	h.mustSilence(dec, eth1, "declined")
	if b, _ := h.store.Get("office", addr); b.State != lease.Declined || !b.Expires.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("stored %s until %s, want Declined until %s", b.State, b.Expires, t0.Add(10*time.Minute))
	}
	if len(h.obs.declined) != 1 {
		t.Errorf("declined events %v", h.obs.declined)
	}
	// The client starts over and gets the other address; the declined one
	// stays out until its probation ends.
	if got := addrOf(h.dora(mac(1)).Msg.YourIPAddr); got == addr {
		t.Errorf("declined address %s offered again", got)
	}
	h.mustSilence(discover(mac(3)), eth1, "noFreeAddress")
	h.clock.Advance(11 * time.Minute)
	if got := addrOf(h.mustReply(discover(mac(3)), eth1, dhcpv4.MessageTypeOffer).Msg.YourIPAddr); got != addr {
		t.Errorf("after probation got %s, want %s", got, addr)
	}
}

func TestDeclineOfAnotherClientsAddressIgnored(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	addr := addrOf(h.dora(mac(1)).Msg.YourIPAddr)
	h.mustSilence(msg(dhcpv4.MessageTypeDecline, mac(2), dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(addr.AsSlice()))), eth1, "notClientsAddress")
	if b, _ := h.store.Get("office", addr); b.State != lease.Bound {
		t.Errorf("state %s, want still Bound", b.State)
	}
}

func TestRelease(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	addr := addrOf(h.dora(mac(1)).Msg.YourIPAddr)
	h.clock.Advance(time.Minute)
	rel := msg(dhcpv4.MessageTypeRelease, mac(1), dhcpv4.WithClientIP(addr.AsSlice()),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(serverIP.AsSlice())))
	// A RELEASE comes from the client's own address; forged from
	// elsewhere, with the right identity, it is ignored.
	from := eth1
	from.Source = ip("10.0.0.99")
	h.mustSilence(rel, from, "wrongSource")
	h.mustSilence(rel, eth1, "wrongSource") // 0.0.0.0
	from.Source = addr
	h.mustSilence(rel, from, "released")
	b, _ := h.store.Get("office", addr)
	if b.State != lease.Released || !b.Expires.Equal(t0.Add(time.Minute)) {
		t.Errorf("stored %s until %s, want Released now", b.State, b.Expires)
	}
	// Nobody took it: the client comes back to the same address.
	if got := addrOf(h.dora(mac(1)).Msg.YourIPAddr); got != addr {
		t.Errorf("returning client got %s, want %s", got, addr)
	}
	// A release from another client is ignored.
	h.mustSilence(msg(dhcpv4.MessageTypeRelease, mac(2), dhcpv4.WithClientIP(addr.AsSlice())), from, "notClientsAddress")
}

func TestInform(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	q := msg(dhcpv4.MessageTypeInform, mac(1), dhcpv4.WithClientIP(net.ParseIP("10.0.0.77")),
		dhcpv4.WithRequestedOptions(dhcpv4.OptionDomainNameServer, dhcpv4.OptionDomainName))
	r := h.mustReply(q, eth1, dhcpv4.MessageTypeAck)
	m := r.Msg
	if addrOf(m.YourIPAddr).IsValid() || addrOf(m.ClientIPAddr) != ip("10.0.0.77") {
		t.Errorf("yiaddr %s ciaddr %s, want none and 10.0.0.77", m.YourIPAddr, m.ClientIPAddr)
	}
	for _, c := range []dhcpv4.OptionCode{dhcpv4.OptionIPAddressLeaseTime, dhcpv4.OptionRenewTimeValue, dhcpv4.OptionRebindingTimeValue} {
		if m.Options.Has(c) {
			t.Errorf("INFORM reply carries %s", c)
		}
	}
	if string(m.Options.Get(dhcpv4.OptionDomainName)) != "corp.example" || !m.Options.Has(dhcpv4.OptionDomainNameServer) {
		t.Error("INFORM reply lacks the configuration asked for")
	}
	if r.Dest.Addr.String() != "10.0.0.77:68" || r.Dest.Broadcast {
		t.Errorf("dest %+v, want unicast to ciaddr", r.Dest)
	}
	if _, ok := h.store.Get("office", ip("10.0.0.77")); ok {
		t.Error("INFORM stored a binding")
	}
}

// answering is a Prober for which the listed addresses answer.
type answering map[netip.Addr]bool

func (a answering) Probe(_ context.Context, addr netip.Addr, _ time.Duration) (bool, error) {
	return a[addr], nil
}

func TestPingConflict(t *testing.T) {
	sn := office()
	sn.Ping = config.PingCheck{Enabled: true}
	h := newHarness(t, []*config.Subnet{sn}, WithProber(answering{ip("10.0.0.10"): true, ip("10.0.0.11"): true}))
	r := h.mustReply(discover(mac(1)), eth1, dhcpv4.MessageTypeOffer)
	if got := addrOf(r.Msg.YourIPAddr); got != ip("10.0.0.12") {
		t.Errorf("offered %s, want 10.0.0.12 past the two in use", got)
	}
	for _, a := range []string{"10.0.0.10", "10.0.0.11"} {
		if b, ok := h.store.Get("office", ip(a)); !ok || b.State != lease.Declined {
			t.Errorf("%s stored as %+v, want Declined", a, b)
		}
	}
	if len(h.obs.conflicts) != 2 {
		t.Errorf("conflict events %v, want two", h.obs.conflicts)
	}
}

func TestNothingAnsweredBeforeLoad(t *testing.T) {
	e := New(lease.NewMemory())
	s, _ := config.New(office())
	e.SetSnapshot(s)
	if r, res := e.Handle(context.Background(), discover(mac(1)), eth1); r != nil || res.Reason != "notReady" {
		t.Errorf("answered before Load: %v %+v", r, res)
	}
}

func TestRestartKeepsBindings(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	h.dora(mac(1))
	// A new engine on the same store: the old client renews, and a new
	// client does not get its address.
	e2 := New(h.store, WithClock(h.clock))
	s, _ := config.New(office())
	e2.SetSnapshot(s)
	if err := Restore(context.Background(), e2, h.store); err != nil {
		t.Fatal(err)
	}
	h2 := &harness{t: t, e: e2, store: h.store, clock: h.clock, obs: &recorder{}}
	if got := addrOf(h2.dora(mac(2)).Msg.YourIPAddr); got == ip("10.0.0.10") {
		t.Errorf("after restart a new client got the bound %s", got)
	}
	h.clock.Advance(5 * time.Minute)
	r := h2.mustReply(renewing(mac(1), ip("10.0.0.10")), eth1, dhcpv4.MessageTypeAck)
	if addrOf(r.Msg.ServerIdentifier()) != serverIP {
		t.Errorf("server id changed to %s", r.Msg.ServerIdentifier())
	}
}

func TestTwoEnginesOneStoreNeverDuplicate(t *testing.T) {
	store := lease.NewMemory()
	clock := &fakeClock{t: t0}
	var hs []*harness
	for i := 0; i < 2; i++ {
		e := New(store, WithClock(clock))
		s, _ := config.New(office())
		e.SetSnapshot(s)
		if err := Restore(context.Background(), e, store); err != nil {
			t.Fatal(err)
		}
		hs = append(hs, &harness{t: t, e: e, store: store, clock: clock, obs: &recorder{}})
	}
	owners := map[netip.Addr]string{}
	for i := byte(1); i <= 10; i++ {
		for _, h := range hs {
			offer, _ := h.handle(discover(mac(i)), eth1)
			if offer == nil {
				continue
			}
			ack, _ := h.handle(selecting(mac(i), offer.Msg.YourIPAddr, serverIP), eth1)
			if ack == nil || ack.Msg.MessageType() != dhcpv4.MessageTypeAck {
				continue
			}
			a := addrOf(ack.Msg.YourIPAddr)
			if o, dup := owners[a]; dup && o != mac(i).String() {
				t.Fatalf("%s ACKed to %s and %s", a, o, mac(i))
			}
			owners[a] = mac(i).String()
		}
	}
	if len(owners) != 10 {
		t.Errorf("%d clients bound, want 10", len(owners))
	}
}
