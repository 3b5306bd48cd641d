package engine

import (
	"context"
	"encoding/binary"
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
		checkReply(t, buf, r)
	})
}

// checkReply marshals a reply, if there is one, as the transport does and
// fails t unless it fits the size the client allows and parses back.
func checkReply(t *testing.T, buf []byte, r *Reply) {
	t.Helper()
	if r == nil {
		return
	}
	defer r.Release()
	out, _ := wire.Marshal(buf, r.Msg, r.Order, r.MaxSize)
	if len(out) > r.MaxSize && len(out) > 300 {
		t.Fatalf("reply of %d octets exceeds the client's %d", len(out), r.MaxSize)
	}
	if _, err := wire.Parse(out); err != nil {
		t.Fatalf("reply does not parse: %v", err)
	}
}

// FuzzHandleHeader varies every field of the fixed header of the messages
// clients send (op, htype, hlen, hops, secs, flags, ciaddr, giaddr) and
// drives them through the packet path: it must never panic, a header
// that cannot be valid never reaches the engine, and every reply fits.
func FuzzHandleHeader(f *testing.F) {
	hw := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	seeds := []*dhcpv4.DHCPv4{
		discover(hw), selecting(hw, net.ParseIP("10.0.0.10"), serverIP), renewing(hw, ip("10.0.0.10")),
		msg(dhcpv4.MessageTypeRelease, hw, dhcpv4.WithClientIP(net.ParseIP("10.0.0.10"))),
	}
	f.Add(uint8(0), uint8(1), uint8(1), uint8(6), uint8(0), uint16(0), uint16(0), uint32(0), uint32(0))
	f.Add(uint8(1), uint8(1), uint8(1), uint8(17), uint8(3), uint16(9), uint16(0x8000), uint32(0), uint32(0x0a000001))
	f.Add(uint8(2), uint8(2), uint8(32), uint8(0), uint8(255), uint16(65535), uint16(1), uint32(0x0a00000a), uint32(0xac100001))
	e := New(lease.NewMemory(), WithClock(&fakeClock{t: t0}))
	snap, err := config.New(office())
	if err != nil {
		f.Fatal(err)
	}
	e.SetSnapshot(snap)
	e.SetLoaded()
	buf := make([]byte, 0, 1500)
	f.Fuzz(func(t *testing.T, which, op, htype, hlen, hops uint8, secs, flags uint16, ciaddr, giaddr uint32) {
		b := seeds[int(which)%len(seeds)].ToBytes()
		b[0], b[1], b[2], b[3] = op, htype, hlen, hops
		binary.BigEndian.PutUint16(b[8:], secs)
		binary.BigEndian.PutUint16(b[10:], flags)
		binary.BigEndian.PutUint32(b[12:], ciaddr)
		binary.BigEndian.PutUint32(b[24:], giaddr)
		m, err := wire.Parse(b)
		if err != nil {
			return
		}
		if hlen > 16 || (htype == 1 && hlen != 6) {
			t.Fatalf("a header with htype %d hlen %d was parsed", htype, hlen)
		}
		r, _ := e.Handle(context.Background(), m, eth1)
		checkReply(t, buf, r)
	})
}
