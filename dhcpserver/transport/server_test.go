package transport_test

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
	"github.com/kubedhcp/kubedhcp/dhcpserver/transport"
)

// panicky panics on its first message and counts the rest.
type panicky struct{ calls atomic.Int32 }

func (p *panicky) Handle(context.Context, *dhcpv4.DHCPv4, engine.Meta) (*engine.Reply, engine.Result) {
	if p.calls.Add(1) == 1 {
		panic("boom")
	}
	return nil, engine.Result{Outcome: engine.OutcomeSilent}
}

func TestPanicIsRecoveredAndServingGoesOn(t *testing.T) {
	h := &panicky{}
	addr := netip.MustParseAddrPort("127.0.0.1:1067")
	s := transport.New(transport.Config{Addr: addr, Handler: h, Log: logr.Discard(), Workers: 1})
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Serve(ctx) }()
	m, _ := dhcpv4.NewDiscovery(net.HardwareAddr{2, 0, 0, 0, 0, 9})
	conn, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	for i := 0; i < 3; i++ {
		if _, err := conn.Write(m.ToBytes()); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool { return h.calls.Load() == 3 })
	if got := s.Stats.Panics.Load(); got != 1 {
		t.Errorf("panics counted %d, want 1", got)
	}
	// Shutdown is clean: Serve returns and the port is free again.
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatalf("port still held after shutdown: %v", err)
	}
	_ = c.Close()
}
