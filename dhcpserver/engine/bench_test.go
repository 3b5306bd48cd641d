package engine

import (
	"context"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/go-logr/zapr"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/dhcpserver/limit"
	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
	"github.com/kubedhcp/kubedhcp/dhcpserver/wire"
)

// benchEngine is an engine over a /8 with one pool of 16 million
// addresses, so b.N clients never run it dry; without rate limits, as its
// clock stands still.
func benchEngine(b *testing.B, opts ...Option) *Engine {
	return benchEngineOver(b, lease.NewMemory(), opts...)
}

// benchEngineOver is benchEngine over store.
func benchEngineOver(b *testing.B, store lease.Store, opts ...Option) *Engine {
	sn := &config.Subnet{Name: "big", Prefix: netip.MustParsePrefix("10.0.0.0/8"), ServerID: serverIP, Interfaces: []string{"eth1"},
		LeaseTimes: config.LeaseTimes{Default: time.Hour},
		Options:    options.Options{Routers: []netip.Addr{ip("10.0.0.1")}, DNSServers: []netip.Addr{ip("10.0.0.2")}, DomainName: "corp.example"},
		Pools:      []*config.Pool{{Name: "all", Ranges: []config.Range{{Start: ip("10.0.1.0"), End: ip("10.255.255.254")}}}}}
	s, err := config.New(sn)
	if err != nil {
		b.Fatal(err)
	}
	e := New(store, append([]Option{WithClock(&fakeClock{t: t0}), WithSettings(Settings{NoLimits: true})}, opts...)...)
	e.SetSnapshot(s)
	if err := Restore(context.Background(), e, lease.NewMemory()); err != nil {
		b.Fatal(err)
	}
	return e
}

func setClient(m *dhcpv4.DHCPv4, i int) {
	m.ClientHWAddr[2], m.ClientHWAddr[3], m.ClientHWAddr[4], m.ClientHWAddr[5] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	m.TransactionID[0], m.TransactionID[1], m.TransactionID[2], m.TransactionID[3] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
}

// BenchmarkEngineDORA measures one DISCOVER-OFFER-REQUEST-ACK through the
// engine and the memory store, for a new client each time: ns/op and
// allocs/op are per DORA (two messages).
func BenchmarkEngineDORA(b *testing.B) { benchDORA(b, benchEngine(b)) }

// BenchmarkEngineDORAWithLimits is BenchmarkEngineDORA with both rate
// limits on (set too high to bite): their cost per DORA.
func BenchmarkEngineDORAWithLimits(b *testing.B) {
	high := &limit.Rate{PerSecond: 1e12, Burst: 1e12}
	benchDORA(b, benchEngine(b, WithSettings(Settings{ClientRate: high, LinkRate: high})))
}

// BenchmarkEngineDORAWithHistory is BenchmarkEngineDORA with the binding
// history on (--binding-log), logged as the manager logs: zap's JSON
// encoder through zapr, here to io.Discard. The difference to
// BenchmarkEngineDORA is the cost of one history line per ACK.
func BenchmarkEngineDORAWithHistory(b *testing.B) {
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel)
	log := zapr.NewLogger(zap.New(core)).WithName("history")
	benchDORA(b, benchEngineOver(b, lease.WithHistory(lease.NewMemory(), log)))
}

func benchDORA(b *testing.B, e *Engine) {
	ctx := context.Background()
	hw := net.HardwareAddr{2, 0, 0, 0, 0, 0}
	prl := dhcpv4.WithRequestedOptions(dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter, dhcpv4.OptionDomainNameServer, dhcpv4.OptionDomainName)
	d := discover(hw, prl)
	r := selecting(hw, net.IPv4(10, 0, 0, 0), serverIP, prl)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		setClient(d, i)
		offer, _ := e.Handle(ctx, d, eth1)
		if offer == nil {
			b.Fatal("no offer")
		}
		setClient(r, i)
		// A copy: the reply's storage goes back to its pool on Release.
		r.Options[options.CodeRequestedAddr] = append(net.IP(nil), offer.Msg.YourIPAddr.To4()...)
		offer.Release()
		ack, res := e.Handle(ctx, r, eth1)
		if ack == nil || ack.Msg.MessageType() != dhcpv4.MessageTypeAck {
			b.Fatalf("no ack: %+v", res)
		}
		ack.Release()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "DORA/s")
}

// BenchmarkPacketPathDORA adds what the transport does per message:
// parsing the request and marshalling the reply.
func BenchmarkPacketPathDORA(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	hw := net.HardwareAddr{2, 0, 0, 0, 0, 0}
	prl := dhcpv4.WithRequestedOptions(dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter, dhcpv4.OptionDomainNameServer, dhcpv4.OptionDomainName)
	d := discover(hw, prl)
	r := selecting(hw, net.IPv4(10, 0, 0, 0), serverIP, prl)
	out := make([]byte, 0, 1500)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		setClient(d, i)
		m, _ := wire.Parse(d.ToBytes())
		offer, _ := e.Handle(ctx, m, eth1)
		out, _ = wire.Marshal(out, offer.Msg, offer.Order, offer.MaxSize)
		setClient(r, i)
		// A copy: the reply's storage goes back to its pool on Release.
		r.Options[options.CodeRequestedAddr] = append(net.IP(nil), offer.Msg.YourIPAddr.To4()...)
		offer.Release()
		m, _ = wire.Parse(r.ToBytes())
		ack, _ := e.Handle(ctx, m, eth1)
		out, _ = wire.Marshal(out, ack.Msg, ack.Order, ack.MaxSize)
		ack.Release()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "DORA/s")
}

// BenchmarkEngineRenewal measures a RENEWING REQUEST from a bound client
// whose stored Lease already covers the renewal (most renewals at T1:
// renewals are amortised), so no write: ns/op and allocs/op per renewal.
func BenchmarkEngineRenewal(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	const clients = 1024
	renewals := make([]*dhcpv4.DHCPv4, clients)
	for i := range renewals {
		hw := net.HardwareAddr{2, 0, 0, 0, byte(i >> 8), byte(i)}
		offer, _ := e.Handle(ctx, discover(hw), eth1)
		if offer == nil {
			b.Fatal("no offer")
		}
		addr := append(net.IP(nil), offer.Msg.YourIPAddr.To4()...) // the reply's storage is pooled
		offer.Release()
		ack, _ := e.Handle(ctx, selecting(hw, addr, serverIP), eth1)
		if ack == nil || ack.Msg.MessageType() != dhcpv4.MessageTypeAck {
			b.Fatal("no ack")
		}
		ack.Release()
		renewals[i] = renewing(hw, addrOf(addr))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ack, _ := e.Handle(ctx, renewals[i%clients], eth1)
		if ack == nil || ack.Msg.MessageType() != dhcpv4.MessageTypeAck {
			b.Fatal("no ack for a renewal")
		}
		ack.Release()
	}
}
