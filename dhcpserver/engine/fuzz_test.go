package engine

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/dhcpserver/wire"
)

// FuzzHandle drives arbitrary bytes through the packet path the transport
// uses: parse, handle, marshal. It must never panic, and every reply must
// fit the size the client allows.
func FuzzHandle(f *testing.F) {
	f.Add(win7Discover())
	hw := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	for _, m := range []*dhcpv4.DHCPv4{
		discover(hw, relayed("10.0.0.1"), dhcpv4.WithOption(dhcpv4.OptRelayAgentInfo(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(1), []byte("x"))))),
		selecting(hw, net.ParseIP("10.0.0.10"), serverIP),
		initReboot(hw, ip("10.0.0.10")),
		renewing(hw, ip("10.0.0.10")),
		msg(dhcpv4.MessageTypeDecline, hw, dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.ParseIP("10.0.0.10")))),
		msg(dhcpv4.MessageTypeRelease, hw, dhcpv4.WithClientIP(net.ParseIP("10.0.0.10"))),
		msg(dhcpv4.MessageTypeInform, hw, dhcpv4.WithClientIP(net.ParseIP("10.0.0.77"))),
	} {
		f.Add(m.ToBytes())
	}
	sn := office()
	sn.Boot = &config.Boot{NextServer: ip("10.0.0.4"), Rules: []config.BootRule{{UserClass: "iPXE", File: "http://x/boot.ipxe"}, {File: "pxelinux.0"}}}
	snap, err := config.New(sn)
	if err != nil {
		f.Fatal(err)
	}
	clock := &fakeClock{t: t0}
	e := New(lease.NewMemory(), WithClock(clock))
	e.SetSnapshot(snap)
	if err := Restore(context.Background(), e, lease.NewMemory()); err != nil {
		f.Fatal(err)
	}
	buf := make([]byte, 0, 1500)
	f.Fuzz(func(t *testing.T, b []byte) {
		clock.Advance(time.Second)
		m, err := wire.Parse(b)
		if err != nil {
			return
		}
		r, _ := e.Handle(context.Background(), m, eth1)
		if r == nil {
			return
		}
		out, _ := wire.Marshal(buf, r.Msg, r.Order, r.MaxSize)
		if len(out) > r.MaxSize && len(out) > 300 {
			t.Fatalf("reply of %d octets exceeds the client's %d", len(out), r.MaxSize)
		}
		if _, err := wire.Parse(out); err != nil {
			t.Fatalf("reply does not parse: %v", err)
		}
	})
}
