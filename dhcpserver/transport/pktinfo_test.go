package transport

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// cmsg builds one IPPROTO_IP control message as the kernel lays it out.
func cmsg(typ int32, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	binary.NativeEndian.PutUint64(b, uint64(unix.CmsgLen(len(data))))
	binary.NativeEndian.PutUint32(b[8:], uint32(unix.IPPROTO_IP))
	binary.NativeEndian.PutUint32(b[12:], uint32(typ))
	copy(b[unix.SizeofCmsghdr:], data)
	return b
}

func TestPktinfo(t *testing.T) {
	info := make([]byte, unix.SizeofInet4Pktinfo)
	binary.NativeEndian.PutUint32(info, 7)
	copy(info[4:], []byte{10, 0, 0, 1})        // spec_dst: the local address
	copy(info[8:], []byte{255, 255, 255, 255}) // addr: the header's destination
	ttl := cmsg(unix.IP_TTL, []byte{64, 0, 0, 0})
	for name, oob := range map[string][]byte{
		"alone":         cmsg(unix.IP_PKTINFO, info),
		"after another": append(ttl, cmsg(unix.IP_PKTINFO, info)...),
	} {
		index, dst, ok := pktinfo(oob)
		if !ok || index != 7 || dst != netip.MustParseAddr("255.255.255.255") {
			t.Errorf("%s: pktinfo = %d %s %v, want 7 255.255.255.255 true", name, index, dst, ok)
		}
	}
	for name, oob := range map[string][]byte{
		"empty":     nil,
		"other":     ttl,
		"truncated": cmsg(unix.IP_PKTINFO, info)[:unix.SizeofCmsghdr+4],
		"bad length": func() []byte {
			b := cmsg(unix.IP_PKTINFO, info)
			binary.NativeEndian.PutUint64(b, 1000)
			return b
		}(),
	} {
		if _, _, ok := pktinfo(oob); ok {
			t.Errorf("%s: pktinfo found something", name)
		}
	}
}
