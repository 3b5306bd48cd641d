package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
)

// rawSender unicasts IPv4/UDP datagrams to a hardware address through an
// AF_PACKET socket, for replies to clients that have no address yet
// (RFC 2131 §4.1). Its socket is opened with the listener, in the
// listener's namespace; without CAP_NET_RAW that fails and every such reply
// is broadcast instead.
type rawSender struct {
	mu  sync.Mutex
	fd  int
	err error
}

func newRawSender() *rawSender {
	// Protocol 0: this socket sends only, and receives nothing.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return &rawSender{fd: -1, err: fmt.Errorf("opening a packet socket (needs CAP_NET_RAW): %w", err)}
	}
	return &rawSender{fd: fd}
}

func (r *rawSender) socket() (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fd, r.err
}

func (r *rawSender) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		_ = unix.Close(r.fd)
	}
	r.fd, r.err = -1, errors.New("closed")
}

func (r *rawSender) send(payload []byte, ifc iface, src netip.Addr, dest engine.Dest) error {
	if ifc.index == 0 || !src.IsValid() || len(dest.HWAddr) != 6 {
		return errors.New("no interface, source address or Ethernet destination for a unicast")
	}
	fd, err := r.socket()
	if err != nil {
		return err
	}
	pkt := udpPacket(src, dest.Addr.Addr(), 67, dest.Addr.Port(), payload)
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifc.index, Halen: 6}
	copy(sa.Addr[:], dest.HWAddr)
	return unix.Sendto(fd, pkt, 0, sa)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// udpPacket builds an IPv4 header, a UDP header and the payload.
func udpPacket(src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	const ipLen, udpLen = 20, 8
	b := make([]byte, ipLen+udpLen+len(payload))
	b[0] = 0x45
	b[1] = 0x10
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	b[8] = 64
	b[9] = unix.IPPROTO_UDP
	s, d := src.As4(), dst.As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	binary.BigEndian.PutUint16(b[10:], checksum(b[:ipLen], 0))
	u := b[ipLen:]
	binary.BigEndian.PutUint16(u[0:], sport)
	binary.BigEndian.PutUint16(u[2:], dport)
	binary.BigEndian.PutUint16(u[4:], uint16(udpLen+len(payload)))
	copy(u[udpLen:], payload)
	pseudo := uint32(0)
	for i := 0; i < 4; i += 2 {
		pseudo += uint32(binary.BigEndian.Uint16(s[i:])) + uint32(binary.BigEndian.Uint16(d[i:]))
	}
	pseudo += unix.IPPROTO_UDP + uint32(len(u))
	c := checksum(u, pseudo)
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(u[6:], c)
	return b
}

// checksum is the Internet checksum (RFC 1071) of b, starting from sum.
func checksum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
