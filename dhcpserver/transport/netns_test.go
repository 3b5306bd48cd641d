package transport_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/dhcpserver/transport"
	"github.com/kubedhcp/kubedhcp/test/netns"
)

// segment is one Ethernet segment: the server's namespace holds bridge br0
// (10.77.0.1/24), and a client namespace and a host namespace each hang
// off it by a veth named eth0.
type segment struct {
	server, client, host *netns.NS
}

func newSegment(t *testing.T) *segment {
	s := &segment{server: netns.New(t, "kds"), client: netns.New(t, "kdc"), host: netns.New(t, "kdh")}
	s.server.Run("ip", "link", "add", "br0", "type", "bridge")
	s.server.Run("ip", "addr", "add", "10.77.0.1/24", "dev", "br0")
	s.server.Run("ip", "link", "set", "br0", "up")
	for i, ns := range []*netns.NS{s.client, s.host} {
		port := []string{"portc", "porth"}[i]
		netns.Veth(t, s.server, port, ns, "eth0")
		s.server.Run("ip", "link", "set", port, "master", "br0")
	}
	return s
}

func testLog(t *testing.T) logr.Logger {
	return funcr.New(func(prefix, args string) { t.Log(prefix, args) }, funcr.Options{Verbosity: 1})
}

func TestDirectClientWithPingConflict(t *testing.T) {
	seg := newSegment(t)
	// A host already uses the pool's first address.
	seg.host.Run("ip", "addr", "add", "10.77.0.10/24", "dev", "eth0")

	store := lease.NewMemory()
	sn := &config.Subnet{Name: "seg", Prefix: netip.MustParsePrefix("10.77.0.0/24"), Interfaces: []string{"br0"},
		Ping:  config.PingCheck{Enabled: true, Timeout: 300 * time.Millisecond},
		Pools: []*config.Pool{{Name: "seg", Ranges: []config.Range{{Start: netip.MustParseAddr("10.77.0.10"), End: netip.MustParseAddr("10.77.0.20")}}}}}
	snap, err := config.New(sn)
	if err != nil {
		t.Fatal(err)
	}
	var srv *transport.Server
	var pinger *transport.Pinger
	err = seg.server.Do(func() error {
		var err error
		if pinger, err = transport.NewPinger(); err != nil {
			return err
		}
		e := engine.New(store, engine.WithProber(pinger))
		e.SetSnapshot(snap)
		if err := engine.Restore(context.Background(), e, store); err != nil {
			return err
		}
		srv = transport.New(transport.Config{Interfaces: []string{"br0"}, Handler: e, Log: testLog(t)})
		return srv.Listen()
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done; _ = pinger.Close() })

	var l *nclient4.Lease
	err = seg.client.Do(func() error {
		c, err := nclient4.New("eth0", nclient4.WithTimeout(2*time.Second), nclient4.WithRetry(3))
		if err != nil {
			return err
		}
		defer func() { _ = c.Close() }()
		rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer rcancel()
		// Without the broadcast flag: the server must unicast to chaddr.
		l, err = c.Request(rctx, dhcpv4.WithBroadcast(false))
		return err
	})
	if err != nil {
		t.Fatalf("DORA on the segment: %v (received %d, replied %d, raw %d, fallback %d, send failed %d)", err,
			srv.Stats.Received.Load(), srv.Stats.Replied.Load(), srv.Stats.RawUnicast.Load(), srv.Stats.RawFallback.Load(), srv.Stats.SendFailed.Load())
	}
	if got := l.ACK.YourIPAddr; !got.Equal(net.IPv4(10, 77, 0, 11)) {
		t.Errorf("got %s, want 10.77.0.11: 10.77.0.10 answers pings", got)
	}
	if b, ok := store.Get("seg", netip.MustParseAddr("10.77.0.10")); !ok || b.State != lease.Declined {
		t.Errorf("10.77.0.10 stored as %+v, want Declined (conflict)", b)
	}
	if got := l.ACK.ServerIdentifier(); !got.Equal(net.IPv4(10, 77, 0, 1)) {
		t.Errorf("server id %s, want br0's 10.77.0.1", got)
	}
	if srv.Stats.RawUnicast.Load() < 2 || srv.Stats.RawFallback.Load() != 0 {
		t.Errorf("raw unicasts %d, fallbacks %d: want OFFER and ACK unicast to chaddr",
			srv.Stats.RawUnicast.Load(), srv.Stats.RawFallback.Load())
	}
}
