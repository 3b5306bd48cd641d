package engine

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// fakeClock is a Clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var (
	t0       = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	serverIP = netip.MustParseAddr("10.0.0.2")
	eth1     = Meta{Interface: "eth1", LocalAddr: serverIP, Source: netip.IPv4Unspecified()}
	ip       = netip.MustParseAddr
)

func mac(last byte) net.HardwareAddr { return net.HardwareAddr{0x00, 0x16, 0x41, 0xe0, 0xf9, last} }

// office is the subnet most tests use: 10.0.0.0/24 on eth1, pool
// 10.0.0.10-10.0.0.19, a 10-minute lease.
func office() *config.Subnet {
	return &config.Subnet{
		Name: "office", Prefix: netip.MustParsePrefix("10.0.0.0/24"), ServerID: serverIP,
		Interfaces: []string{"eth1"}, Relays: []netip.Addr{ip("172.16.0.1")},
		LeaseTimes: config.LeaseTimes{Default: 10 * time.Minute, Min: time.Minute, Max: time.Hour},
		Excluded:   []config.Range{config.Single(ip("10.0.0.1"))},
		Options: options.Options{Routers: []netip.Addr{ip("10.0.0.1")}, DNSServers: []netip.Addr{ip("10.0.0.2")},
			DomainName: "corp.example", NTPServers: []netip.Addr{ip("10.0.0.3")}, NetBIOSNodeType: "H",
			NetBIOSNameServers: []netip.Addr{ip("10.0.0.2")}},
		Pools: []*config.Pool{{Name: "office-dynamic", Ranges: []config.Range{{Start: ip("10.0.0.10"), End: ip("10.0.0.19")}}}},
	}
}

// harness is an engine over a memory store and a fake clock.
type harness struct {
	t     *testing.T
	e     *Engine
	store *lease.Memory
	clock *fakeClock
	obs   *recorder
}

func newHarness(t *testing.T, subnets []*config.Subnet, opts ...Option) *harness {
	t.Helper()
	h := &harness{t: t, store: lease.NewMemory(), clock: &fakeClock{t: t0}, obs: &recorder{}}
	h.e = New(h.store, append([]Option{WithClock(h.clock), WithObserver(h.obs)}, opts...)...)
	h.setSnapshot(subnets...)
	if err := Restore(context.Background(), h.e, h.store); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) setSnapshot(subnets ...*config.Subnet) {
	h.t.Helper()
	s, err := config.New(subnets...)
	if err != nil {
		h.t.Fatal(err)
	}
	h.e.SetSnapshot(s)
}

// handle sends m and returns the reply, failing on silence when want is set.
func (h *harness) handle(m *dhcpv4.DHCPv4, in Meta) (*Reply, Result) {
	h.t.Helper()
	return h.e.Handle(context.Background(), m, in)
}

func (h *harness) mustReply(m *dhcpv4.DHCPv4, in Meta, want dhcpv4.MessageType) *Reply {
	h.t.Helper()
	r, res := h.handle(m, in)
	if r == nil {
		h.t.Fatalf("%s got silence (%s), want %s", res.Type, res.Reason, want)
	}
	if got := r.Msg.MessageType(); got != want {
		h.t.Fatalf("%s got %s (%s), want %s", res.Type, got, res.Reason, want)
	}
	checkEcho(h.t, m, r.Msg)
	return r
}

// checkEcho checks the header fields every reply takes from the request
// (RFC 2131 Table 3): op, htype, hops, xid, secs, flags, giaddr, chaddr.
func checkEcho(t *testing.T, q, m *dhcpv4.DHCPv4) {
	t.Helper()
	wantFlags := q.Flags
	if m.MessageType() == dhcpv4.MessageTypeNak && addrOf(q.GatewayIPAddr).IsValid() {
		wantFlags |= 0x8000 // a relayed NAK asks the relay to broadcast
	}
	switch {
	case m.OpCode != dhcpv4.OpcodeBootReply:
		t.Errorf("op %s, want BOOTREPLY", m.OpCode)
	case m.HWType != q.HWType || m.HopCount != 0 || m.NumSeconds != 0:
		t.Errorf("htype %v hops %d secs %d, want %v 0 0", m.HWType, m.HopCount, m.NumSeconds, q.HWType)
	case m.TransactionID != q.TransactionID:
		t.Errorf("xid %s, want %s", m.TransactionID, q.TransactionID)
	case m.Flags != wantFlags:
		t.Errorf("flags %#x, want %#x", m.Flags, wantFlags)
	case addrOf(m.GatewayIPAddr) != addrOf(q.GatewayIPAddr):
		t.Errorf("giaddr %s, want %s", m.GatewayIPAddr, q.GatewayIPAddr)
	case m.ClientHWAddr.String() != q.ClientHWAddr.String():
		t.Errorf("chaddr %s, want %s", m.ClientHWAddr, q.ClientHWAddr)
	}
}

func (h *harness) mustSilence(m *dhcpv4.DHCPv4, in Meta, reason Reason) {
	h.t.Helper()
	r, res := h.handle(m, in)
	if r != nil {
		h.t.Fatalf("%s got %s, want silence (%s)", res.Type, r.Msg.MessageType(), reason)
	}
	if reason != "" && res.Reason != reason {
		h.t.Fatalf("%s silent for %q, want %q", res.Type, res.Reason, reason)
	}
}

// dora runs DISCOVER, OFFER, REQUEST, ACK for a client and returns the ACK.
func (h *harness) dora(hw net.HardwareAddr, mods ...dhcpv4.Modifier) *Reply {
	h.t.Helper()
	offer := h.mustReply(discover(hw, mods...), eth1, dhcpv4.MessageTypeOffer)
	return h.mustReply(selecting(hw, offer.Msg.YourIPAddr, serverIP, mods...), eth1, dhcpv4.MessageTypeAck)
}

func msg(t dhcpv4.MessageType, hw net.HardwareAddr, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	m, err := dhcpv4.New(append([]dhcpv4.Modifier{dhcpv4.WithHwAddr(hw), dhcpv4.WithMessageType(t),
		dhcpv4.WithTransactionID(dhcpv4.TransactionID{0x18, 0xaa, 0x75, 0x39})}, mods...)...)
	if err != nil {
		panic(err)
	}
	return m
}

func discover(hw net.HardwareAddr, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	return msg(dhcpv4.MessageTypeDiscover, hw, mods...)
}

func selecting(hw net.HardwareAddr, addr net.IP, sid netip.Addr, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	return msg(dhcpv4.MessageTypeRequest, hw, append([]dhcpv4.Modifier{
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(addr)),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(sid.AsSlice()))}, mods...)...)
}

func initReboot(hw net.HardwareAddr, addr netip.Addr, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	return msg(dhcpv4.MessageTypeRequest, hw, append([]dhcpv4.Modifier{
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(addr.AsSlice()))}, mods...)...)
}

func renewing(hw net.HardwareAddr, addr netip.Addr) *dhcpv4.DHCPv4 {
	return msg(dhcpv4.MessageTypeRequest, hw, dhcpv4.WithClientIP(addr.AsSlice()))
}

func relayed(giaddr string) dhcpv4.Modifier { return dhcpv4.WithGatewayIP(net.ParseIP(giaddr).To4()) }

// recorder is an Observer that remembers what it heard.
type recorder struct {
	mu                                      sync.Mutex
	declined, conflicts, exhausted, refused []string
	limited                                 []string
}

func (r *recorder) LeaseLimit(s string, hw net.HardwareAddr, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.limited = append(r.limited, fmt.Sprintf("%s/%s/%s holds %d", s, ReasonLeasesPerMAC, hw, n))
}

func (r *recorder) RecordUnreadable(a netip.Addr, err error) {}

func (r *recorder) RateLimited(s, reason, who string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.limited = append(r.limited, s+"/"+reason+"/"+who)
}

func (r *recorder) Declined(s string, a netip.Addr, _ net.HardwareAddr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.declined = append(r.declined, s+"/"+a.String())
}

func (r *recorder) Conflict(s string, a netip.Addr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conflicts = append(r.conflicts, s+"/"+a.String())
}

func (r *recorder) Exhausted(s string, _ net.HardwareAddr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exhausted = append(r.exhausted, s)
}

func (r *recorder) UnknownRefused(s string, hw net.HardwareAddr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refused = append(r.refused, s+"/"+hw.String())
}

func addrOf(ip net.IP) netip.Addr { return addr4(ip.To4()) }
