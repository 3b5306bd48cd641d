package transport_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
	"github.com/kubedhcp/kubedhcp/dhcpserver/transport"
)

// The server listens on 127.0.0.1:67; the client plays a relay agent at
// 127.0.0.2:67, so every reply comes back to it over loopback (RFC 2131
// §4.1: replies to relayed messages go to giaddr, port 67).
var (
	serverAddr = netip.MustParseAddrPort("127.0.0.1:67")
	relayAddr  = netip.MustParseAddrPort("127.0.0.2:67")
	serverID   = netip.MustParseAddr("10.9.0.1")
)

type loopback struct {
	store  *lease.Memory
	server *transport.Server
	cancel context.CancelFunc
	done   chan struct{}
}

func startServer(t *testing.T, auth bool) *loopback {
	t.Helper()
	return startServerLogging(t, auth, logr.Discard())
}

// startServerLogging starts the loopback server with log as its logger.
func startServerLogging(t *testing.T, auth bool, log logr.Logger) *loopback {
	t.Helper()
	sn := &config.Subnet{Name: "lab", Prefix: netip.MustParsePrefix("10.9.0.0/24"), ServerID: serverID,
		Relays: []netip.Addr{relayAddr.Addr()}, Authoritative: auth,
		LeaseTimes: config.LeaseTimes{Default: time.Hour},
		Options:    options.Options{Routers: []netip.Addr{netip.MustParseAddr("10.9.0.254")}, DomainName: "lab.example"},
		Pools:      []*config.Pool{{Name: "lab", Ranges: []config.Range{{Start: netip.MustParseAddr("10.9.0.10"), End: netip.MustParseAddr("10.9.0.20")}}}}}
	snap, err := config.New(sn)
	if err != nil {
		t.Fatal(err)
	}
	lb := &loopback{store: lease.NewMemory(), done: make(chan struct{})}
	e := engine.New(lb.store)
	e.SetSnapshot(snap)
	if err := engine.Restore(context.Background(), e, lb.store); err != nil {
		t.Fatal(err)
	}
	lb.server = transport.New(transport.Config{Addr: serverAddr, Handler: e, Log: log, Workers: 4})
	if err := lb.server.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	lb.cancel = cancel
	go func() { defer close(lb.done); _ = lb.server.Serve(ctx) }()
	t.Cleanup(lb.stop)
	return lb
}

func (lb *loopback) stop() {
	lb.cancel()
	<-lb.done
}

// client is an nclient4 client relayed through 127.0.0.2.
func client(t *testing.T, hw net.HardwareAddr) *nclient4.Client {
	t.Helper()
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(relayAddr))
	if err != nil {
		t.Fatal(err)
	}
	c, err := nclient4.NewWithConn(conn, hw, nclient4.WithServerAddr(net.UDPAddrFromAddrPort(serverAddr)),
		nclient4.WithTimeout(time.Second), nclient4.WithRetry(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var viaRelay = dhcpv4.WithRelay(relayAddr.Addr().AsSlice())

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestLoopbackDORARenewRebindRelease(t *testing.T) {
	lb := startServer(t, false)
	hw := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	c := client(t, hw)
	l, err := c.Request(ctx(t), viaRelay)
	if err != nil {
		t.Fatalf("DORA: %v", err)
	}
	addr, _ := netip.AddrFromSlice(l.ACK.YourIPAddr.To4())
	if !netip.MustParsePrefix("10.9.0.0/24").Contains(addr) || l.ACK.DomainName() != "lab.example" ||
		!l.ACK.Router()[0].Equal(net.IPv4(10, 9, 0, 254)) || l.ACK.IPAddressLeaseTime(0) != time.Hour {
		t.Fatalf("ACK %s", l.ACK.Summary())
	}
	if b, ok := lb.store.Get("lab", addr); !ok || b.State != lease.Bound || b.HWAddr.String() != hw.String() {
		t.Fatalf("stored %+v, %v", b, ok)
	}
	// RENEWING: ciaddr set, sent to the server.
	l2, err := c.Renew(ctx(t), l, viaRelay)
	if err != nil || !l2.ACK.YourIPAddr.Equal(l.ACK.YourIPAddr) {
		t.Fatalf("renew: %v %v", err, l2)
	}
	// REBINDING: ciaddr set, no server identifier, to any server.
	rebind, _ := dhcpv4.New(dhcpv4.WithHwAddr(hw), dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest),
		dhcpv4.WithClientIP(l.ACK.YourIPAddr), viaRelay)
	ack, err := c.SendAndRead(ctx(t), c.RemoteAddr(), rebind, nclient4.IsMessageType(dhcpv4.MessageTypeAck, dhcpv4.MessageTypeNak))
	if err != nil || ack.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("rebind: %v %v", err, ack)
	}
	// RELEASE: no reply; the binding is stored Released. (nclient4's
	// Release sends to the server identifier, which loopback cannot reach.)
	rel, err := dhcpv4.NewReleaseFromACK(l2.ACK, viaRelay)
	if err != nil {
		t.Fatal(err)
	}
	// From anywhere but its relay, it is ignored.
	sendFrom(t, netip.MustParseAddr("127.0.0.9"), rel)
	time.Sleep(200 * time.Millisecond)
	if b, _ := lb.store.Get("lab", addr); b.State != lease.Bound {
		t.Fatalf("a RELEASE from 127.0.0.9 with giaddr %s was honoured: %s", relayAddr.Addr(), b.State)
	}
	send(t, rel)
	waitFor(t, func() bool { b, _ := lb.store.Get("lab", addr); return b.State == lease.Released })
}

// send writes a message to the server from an ephemeral port of the
// relay's address.
func send(t *testing.T, m *dhcpv4.DHCPv4) { sendFrom(t, relayAddr.Addr(), m) }

// sendFrom writes a message to the server from an ephemeral port of from.
func sendFrom(t *testing.T, from netip.Addr, m *dhcpv4.DHCPv4) {
	t.Helper()
	conn, err := net.DialUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0)), net.UDPAddrFromAddrPort(serverAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.Write(m.ToBytes()); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met within 2s")
}

func TestLoopbackDecline(t *testing.T) {
	lb := startServer(t, false)
	hw := net.HardwareAddr{2, 0, 0, 0, 0, 2}
	c := client(t, hw)
	l, err := c.Request(ctx(t), viaRelay)
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := dhcpv4.New(dhcpv4.WithHwAddr(hw), dhcpv4.WithMessageType(dhcpv4.MessageTypeDecline),
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(l.ACK.YourIPAddr)),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(serverID.AsSlice())), viaRelay)
	send(t, dec)
	addr, _ := netip.AddrFromSlice(l.ACK.YourIPAddr.To4())
	waitFor(t, func() bool { b, _ := lb.store.Get("lab", addr); return b.State == lease.Declined })
	// Starting over, the client gets another address.
	l2, err := c.Request(ctx(t), viaRelay)
	if err != nil || l2.ACK.YourIPAddr.Equal(l.ACK.YourIPAddr) {
		t.Fatalf("after decline: %v, address %v again", err, l2)
	}
}

func TestLoopbackInform(t *testing.T) {
	startServer(t, false)
	c := client(t, net.HardwareAddr{2, 0, 0, 0, 0, 3})
	ack, err := c.Inform(ctx(t), net.IPv4(10, 9, 0, 99), viaRelay)
	if err != nil {
		t.Fatal(err)
	}
	if ack.DomainName() != "lab.example" || ack.Options.Has(dhcpv4.OptionIPAddressLeaseTime) || !ack.YourIPAddr.IsUnspecified() {
		t.Errorf("INFORM ACK %s", ack.Summary())
	}
}

func TestLoopbackNak(t *testing.T) {
	startServer(t, true)
	a := client(t, net.HardwareAddr{2, 0, 0, 0, 0, 4})
	la, err := a.Request(ctx(t), viaRelay)
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	b := client(t, net.HardwareAddr{2, 0, 0, 0, 0, 5})
	// INIT-REBOOT for the address client a holds, on an authoritative subnet.
	req, _ := dhcpv4.New(dhcpv4.WithHwAddr(net.HardwareAddr{2, 0, 0, 0, 0, 5}), dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest),
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(la.ACK.YourIPAddr)), viaRelay)
	nak, err := b.SendAndRead(ctx(t), b.RemoteAddr(), req, nclient4.IsMessageType(dhcpv4.MessageTypeAck, dhcpv4.MessageTypeNak))
	if err != nil {
		t.Fatal(err)
	}
	if nak.MessageType() != dhcpv4.MessageTypeNak || !nak.IsBroadcast() || !nak.YourIPAddr.IsUnspecified() {
		t.Errorf("got %s, want a NAK with the broadcast bit set for the relay", nak.Summary())
	}
}

func TestMalformedAndPanicsAreCounted(t *testing.T) {
	lb := startServer(t, false)
	conn, _ := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(serverAddr))
	defer func() { _ = conn.Close() }()
	for _, b := range [][]byte{{1, 2, 3}, make([]byte, 300)} {
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool { return lb.server.Stats.Malformed.Load() == 2 })
}
