// Package probe checks a segment the way a client sees it: it broadcasts
// a DISCOVER (never a REQUEST, so it takes no address) on an interface
// from a probe identity and collects every OFFER that answers it, each
// with the address and MAC it came from, so that the caller can tell its
// own server's answer from another server's on the same segment.
package probe

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Offer is one OFFER seen on the segment.
type Offer struct {
	// ServerID is the OFFER's server identifier (option 54).
	ServerID netip.Addr
	// Source and MAC are the IP and hardware source of the frame.
	Source netip.Addr
	MAC    net.HardwareAddr
	// Outgoing says this host sent it: this server's own answer.
	Outgoing bool
	// Offered is yiaddr.
	Offered netip.Addr
}

// Result is what one probe of one interface saw.
type Result struct {
	Interface string
	Offers    []Offer
}

// Own reports whether this host answered the probe.
func (r Result) Own() bool {
	for _, o := range r.Offers {
		if o.Outgoing {
			return true
		}
	}
	return false
}

// Probe broadcasts one DISCOVER from hw on iface and returns the OFFERs
// seen within window. secs is set high, so that every replica of a
// load-balanced group answers. open, when set, runs the socket setup (for
// a network namespace).
func Probe(ctx context.Context, iface string, hw net.HardwareAddr, window time.Duration, open func(func() error) error) (Result, error) {
	res := Result{Interface: iface}
	var recv, send int
	setup := func() error {
		var err error
		if recv, err = listen(iface); err != nil {
			return err
		}
		if send, err = sender(iface); err != nil {
			_ = unix.Close(recv)
		}
		return err
	}
	if open == nil {
		open = func(f func() error) error { return f() }
	}
	if err := open(setup); err != nil {
		return res, err
	}
	defer func() { _ = unix.Close(recv); _ = unix.Close(send) }()
	m, err := Discover(hw)
	if err != nil {
		return res, err
	}
	if err := unix.Sendto(send, m.ToBytes(), 0, &unix.SockaddrInet4{Port: 67, Addr: [4]byte{255, 255, 255, 255}}); err != nil {
		return res, fmt.Errorf("sending the probe on %s: %w", iface, err)
	}
	deadline := time.Now().Add(window)
	buf := make([]byte, 2048)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		o, ok := receive(recv, buf, m.TransactionID, hw, time.Until(deadline))
		if ok {
			res.Offers = append(res.Offers, o)
		}
	}
	return res, nil
}

// ClientID is the probe's client identifier (option 61).
var ClientID = append([]byte{0}, []byte("kubedhcp-probe")...)

// Discover is the probe's DISCOVER from hw: broadcast, with secs high so
// that every replica of a load-balanced group answers.
func Discover(hw net.HardwareAddr) (*dhcpv4.DHCPv4, error) {
	return dhcpv4.NewDiscovery(hw, dhcpv4.WithBroadcast(true), func(m *dhcpv4.DHCPv4) { m.NumSeconds = 0xffff },
		dhcpv4.WithOption(dhcpv4.OptClientIdentifier(ClientID)))
}

// listen opens a packet socket that sees every frame on iface, in and
// out: bound to ETH_P_ALL, since a socket bound to ETH_P_IP is not handed
// the frames this host sends, and this server's own OFFER is one of them.
func listen(iface string) (int, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return -1, err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return -1, fmt.Errorf("opening a packet socket (needs NET_RAW): %w", err)
	}
	if err := attachFilter(fd); err != nil {
		_ = unix.Close(fd)
		return -1, err
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		_ = unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// toPort68 is a socket filter that passes only IPv4 UDP datagrams to port
// 68 that are not fragments (the packet socket is SOCK_DGRAM: offset 0 is
// the IP header), so that a busy segment's other frames never reach the
// probe.
var toPort68 = []bpf.Instruction{
	bpf.LoadExtension{Num: bpf.ExtProto},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.ETH_P_IP, SkipFalse: 8},
	bpf.LoadAbsolute{Off: 9, Size: 1},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.IPPROTO_UDP, SkipFalse: 6},
	bpf.LoadAbsolute{Off: 6, Size: 2},
	bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 4},
	bpf.LoadMemShift{Off: 0},
	bpf.LoadIndirect{Off: 2, Size: 2},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 68, SkipFalse: 1},
	bpf.RetConstant{Val: 0xffff},
	bpf.RetConstant{Val: 0},
}

func attachFilter(fd int) error {
	raw, err := bpf.Assemble(toPort68)
	if err != nil {
		return err
	}
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}); err != nil {
		return fmt.Errorf("attaching the socket filter: %w", err)
	}
	return nil
}

// sender opens a UDP socket on port 68 of iface that may broadcast.
func sender(iface string) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	for _, o := range []int{unix.SO_REUSEADDR, unix.SO_BROADCAST} {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, o, 1); err != nil {
			_ = unix.Close(fd)
			return -1, err
		}
	}
	if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, iface); err != nil {
		_ = unix.Close(fd)
		return -1, fmt.Errorf("SO_BINDTODEVICE %s: %w", iface, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 68}); err != nil {
		_ = unix.Close(fd)
		return -1, fmt.Errorf("binding port 68 on %s: %w", iface, err)
	}
	return fd, nil
}

// receive reads one frame within wait and returns it as an OFFER to the
// probe, if it is one.
func receive(fd int, buf []byte, xid dhcpv4.TransactionID, hw net.HardwareAddr, wait time.Duration) (Offer, bool) {
	if wait <= 0 {
		return Offer{}, false
	}
	tv := unix.NsecToTimeval(wait.Nanoseconds())
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	n, from, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return Offer{}, false
	}
	ll, _ := from.(*unix.SockaddrLinklayer)
	if ll == nil || ll.Protocol != htons(unix.ETH_P_IP) {
		return Offer{}, false
	}
	payload, src, ok := udpTo68(buf[:n])
	if !ok {
		return Offer{}, false
	}
	m, err := dhcpv4.FromBytes(payload)
	if err != nil || m.TransactionID != xid || m.MessageType() != dhcpv4.MessageTypeOffer || m.ClientHWAddr.String() != hw.String() {
		return Offer{}, false
	}
	o := Offer{Source: src}
	if sid := m.ServerIdentifier(); sid != nil {
		o.ServerID, _ = netip.AddrFromSlice(sid.To4())
	}
	o.Offered, _ = netip.AddrFromSlice(m.YourIPAddr.To4())
	o.MAC = net.HardwareAddr(append([]byte(nil), ll.Addr[:min(int(ll.Halen), len(ll.Addr))]...))
	o.Outgoing = ll.Pkttype == unix.PACKET_OUTGOING
	return o, true
}

// udpTo68 returns the UDP payload of an IPv4 datagram to port 68, and its
// source address.
func udpTo68(b []byte) ([]byte, netip.Addr, bool) {
	if len(b) < 20 || b[0]>>4 != 4 || b[9] != unix.IPPROTO_UDP {
		return nil, netip.Addr{}, false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl+8 {
		return nil, netip.Addr{}, false
	}
	udp := b[ihl:]
	if binary.BigEndian.Uint16(udp[2:]) != 68 {
		return nil, netip.Addr{}, false
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	return udp[8:], src, true
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
