package probe_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"golang.org/x/sys/unix"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/dhcpserver/probe"
	"github.com/kubedhcp/kubedhcp/dhcpserver/transport"
	"github.com/kubedhcp/kubedhcp/test/netns"
)

// The probe sees this host's own server answer on the wire: the real
// transport and engine serve br0 in the server's namespace, the probe runs
// in the same namespace, and the server's OFFER, which leaves through a
// packet socket, comes back to the probe as an outgoing frame. Another
// server on the segment (a plain responder in a second namespace) is seen
// as received, with its address and MAC.
func TestProbeSeesOwnAndOtherOffers(t *testing.T) {
	netns.RequireRoot(t)
	server, other := netns.New(t, "kps"), netns.New(t, "kpo")
	server.Run("ip", "link", "add", "br0", "type", "bridge")
	server.Run("ip", "addr", "add", "10.77.0.1/24", "dev", "br0")
	server.Run("ip", "link", "set", "br0", "up")
	netns.Veth(t, server, "port0", other, "eth0")
	server.Run("ip", "link", "set", "port0", "master", "br0")
	other.Run("ip", "addr", "add", "10.77.0.9/24", "dev", "eth0")
	otherMAC := strings.TrimSpace(other.Run("cat", "/sys/class/net/eth0/address"))

	serve(t, server)
	respond(t, other)
	hw := net.HardwareAddr{0x02, 0x6b, 0, 0, 0, 1}
	res, err := probe.Probe(context.Background(), "br0", hw, time.Second, server.Do)
	if err != nil {
		t.Fatal(err)
	}
	var own, others []probe.Offer
	for _, o := range res.Offers {
		if o.Outgoing {
			own = append(own, o)
		} else {
			others = append(others, o)
		}
	}
	if !res.Own() || len(own) != 1 || own[0].ServerID != netip.MustParseAddr("10.77.0.1") || !own[0].Offered.IsValid() {
		t.Errorf("own OFFERs %+v: want this server's (server identifier 10.77.0.1), seen leaving br0", own)
	}
	if len(others) != 1 || others[0].ServerID != netip.MustParseAddr("10.77.0.9") || others[0].Source != netip.MustParseAddr("10.77.0.9") ||
		others[0].MAC.String() != otherMAC {
		t.Errorf("other OFFERs %+v: want one from 10.77.0.9 (MAC %s)", others, otherMAC)
	}
	t.Logf("probe on br0 saw %+v", res.Offers)
}

// serve runs kubedhcp's transport and engine on br0 of ns.
func serve(t *testing.T, ns *netns.NS) {
	t.Helper()
	sn := &config.Subnet{Name: "seg", Prefix: netip.MustParsePrefix("10.77.0.0/24"), Interfaces: []string{"br0"},
		LeaseTimes: config.LeaseTimes{Default: time.Hour},
		Pools:      []*config.Pool{{Name: "seg", Ranges: []config.Range{{Start: netip.MustParseAddr("10.77.0.10"), End: netip.MustParseAddr("10.77.0.20")}}}}}
	snap, err := config.New(sn)
	if err != nil {
		t.Fatal(err)
	}
	store := lease.NewMemory()
	e := engine.New(store)
	e.SetSnapshot(snap)
	if err := engine.Restore(context.Background(), e, store); err != nil {
		t.Fatal(err)
	}
	srv := transport.New(transport.Config{Interfaces: []string{"br0"}, Handler: e, Log: logr.Discard()})
	if err := ns.Do(srv.Listen); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// respond answers every DISCOVER on eth0 of ns with a broadcast OFFER of
// 10.77.0.99 from server identifier 10.77.0.9: another server.
func respond(t *testing.T, ns *netns.NS) {
	t.Helper()
	var conn *net.UDPConn
	err := ns.Do(func() error {
		lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) {
				_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1)
				_ = unix.BindToDevice(int(fd), "eth0")
			})
		}}
		pc, err := lc.ListenPacket(context.Background(), "udp4", "0.0.0.0:67")
		if err == nil {
			conn = pc.(*net.UDPConn)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			m, err := dhcpv4.FromBytes(buf[:n])
			if err != nil || m.MessageType() != dhcpv4.MessageTypeDiscover {
				continue
			}
			offer, err := dhcpv4.NewReplyFromRequest(m, dhcpv4.WithMessageType(dhcpv4.MessageTypeOffer),
				dhcpv4.WithServerIP(net.IPv4(10, 77, 0, 9)), dhcpv4.WithYourIP(net.IPv4(10, 77, 0, 99)),
				dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 77, 0, 9))))
			if err != nil {
				continue
			}
			_, _ = conn.WriteToUDP(offer.ToBytes(), &net.UDPAddr{IP: net.IPv4bcast, Port: 68})
		}
	}()
}
