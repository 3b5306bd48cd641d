package transport

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
)

func numCPU() int { return runtime.NumCPU() }

// listener is one UDP socket on port 67, bound to a device when name is
// set, and the packet socket it unicasts through.
type listener struct {
	name string
	conn *net.UDPConn
	pc   *ipv4.PacketConn
	raw  *rawSender
	ifs  *ifaceCache
}

func openListener(name string, addr netip.AddrPort) (*listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = setSockopts(int(fd), name)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := lc.ListenPacket(context.Background(), "udp4", addr.String())
	if err != nil {
		return nil, err
	}
	pc := ipv4.NewPacketConn(conn)
	if err := pc.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("asking for packet info: %w", err)
	}
	return &listener{name: name, conn: conn.(*net.UDPConn), pc: pc, raw: newRawSender(), ifs: newIfaceCache(currentNetns())}, nil
}

// rcvBuf is the receive buffer asked for on each listener.
const rcvBuf = 4 << 20

func setSockopts(fd int, device string) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fmt.Errorf("SO_REUSEADDR: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BROADCAST, 1); err != nil {
		return fmt.Errorf("SO_BROADCAST: %w", err)
	}
	// Room for bursts: a pause of a few milliseconds at tens of thousands
	// of messages a second overflows the default buffer. Capped by
	// net.core.rmem_max; a smaller buffer is not an error.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvBuf)
	if device != "" {
		if err := unix.BindToDevice(fd, device); err != nil {
			return fmt.Errorf("SO_BINDTODEVICE %s: %w", device, err)
		}
	}
	return nil
}

func (l *listener) close() {
	_ = l.pc.Close()
	l.raw.close()
	l.ifs.ns.close()
}

// meta describes a received message from its IP_PKTINFO control message:
// the interface it came in on, the server's address there, and whether it
// was broadcast.
func (l *listener) meta(oob []byte, from net.Addr) engine.Meta {
	var m engine.Meta
	if ua, ok := from.(*net.UDPAddr); ok {
		m.Source = ua.AddrPort().Addr().Unmap()
	}
	index, dst, ok := pktinfo(oob)
	if !ok {
		m.Interface = l.name
		return m
	}
	ifc := l.ifs.get(index)
	m.Interface = ifc.name
	m.LocalAddr = ifc.addr
	m.Broadcast = dst == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || ifc.isBroadcast(dst)
	return m
}

// pktinfo finds IP_PKTINFO in a received control message and returns its
// interface index and the datagram's destination address, without
// allocating.
func pktinfo(oob []byte) (index int, dst netip.Addr, ok bool) {
	for len(oob) >= unix.SizeofCmsghdr {
		n := int(binary.NativeEndian.Uint64(oob))
		level := int32(binary.NativeEndian.Uint32(oob[8:]))
		typ := int32(binary.NativeEndian.Uint32(oob[12:]))
		if n < unix.SizeofCmsghdr || n > len(oob) {
			return 0, netip.Addr{}, false
		}
		if level == unix.IPPROTO_IP && typ == unix.IP_PKTINFO && n >= unix.SizeofCmsghdr+unix.SizeofInet4Pktinfo {
			d := oob[unix.SizeofCmsghdr:]
			return int(int32(binary.NativeEndian.Uint32(d))), netip.AddrFrom4([4]byte(d[8:12])), true
		}
		oob = oob[min(unix.CmsgSpace(n-unix.SizeofCmsghdr), len(oob)):]
	}
	return 0, netip.Addr{}, false
}

// send writes a reply where dest says. A unicast to a client without an
// address goes through a packet socket to its hardware address; where
// that fails, the reply is broadcast out of the interface it came in on.
func (l *listener) send(b []byte, dest engine.Dest, in engine.Meta, st *Stats) error {
	ifc := l.ifs.byName(in.Interface)
	if dest.HWAddr != nil && !dest.Broadcast {
		err := l.raw.send(b, ifc, in.LocalAddr, dest)
		if err == nil {
			st.RawUnicast.Add(1)
			return nil
		}
		st.RawFallback.Add(1)
		dest = engine.Dest{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), 68), Broadcast: true}
	}
	var oob []byte
	if dest.Broadcast {
		oob = ifc.oob // routed replies let the kernel choose the interface
	}
	_, _, err := l.conn.WriteMsgUDPAddrPort(b, oob, dest.Addr)
	return err
}

// iface is what the listener needs to know of an interface.
type iface struct {
	index int
	name  string
	oob   []byte         // IP_PKTINFO naming it, to send out of it
	addr  netip.Addr     // first IPv4 address
	nets  []netip.Prefix // its IPv4 networks
}

func (i iface) isBroadcast(a netip.Addr) bool {
	for _, p := range i.nets {
		if p.Bits() < 31 && p.Contains(a) && a == lastAddr(p) {
			return true
		}
	}
	return false
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// ifaceCache looks interfaces up by index and name, refreshing each entry
// every few seconds so address changes are seen.
type ifaceCache struct {
	mu      sync.Mutex
	ns      *netnsRef
	byIndex map[int]cached
}

type cached struct {
	iface
	at time.Time
}

func newIfaceCache(ns *netnsRef) *ifaceCache { return &ifaceCache{ns: ns, byIndex: map[int]cached{}} }

const ifaceTTL = 5 * time.Second

func (c *ifaceCache) get(index int) iface {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byIndex[index]; ok && time.Since(e.at) < ifaceTTL {
		return e.iface
	}
	var i iface
	var err error
	c.ns.do(func() {
		var ni *net.Interface
		if ni, err = net.InterfaceByIndex(index); err == nil {
			i = describe(ni)
		}
	})
	if err != nil {
		return iface{index: index}
	}
	c.byIndex[index] = cached{i, time.Now()}
	return i
}

func (c *ifaceCache) byName(name string) iface {
	c.mu.Lock()
	for _, e := range c.byIndex {
		if e.name == name && time.Since(e.at) < ifaceTTL {
			c.mu.Unlock()
			return e.iface
		}
	}
	c.mu.Unlock()
	var ni *net.Interface
	var err error
	c.ns.do(func() { ni, err = net.InterfaceByName(name) })
	if err != nil {
		return iface{name: name}
	}
	return c.get(ni.Index)
}

func describe(ni *net.Interface) iface {
	i := iface{index: ni.Index, name: ni.Name, oob: (&ipv4.ControlMessage{IfIndex: ni.Index}).Marshal()}
	addrs, _ := ni.Addrs()
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.To4() == nil {
			continue
		}
		ip, _ := netip.AddrFromSlice(ipn.IP.To4())
		bits, _ := ipn.Mask.Size()
		if !i.addr.IsValid() {
			i.addr = ip
		}
		i.nets = append(i.nets, netip.PrefixFrom(ip, bits).Masked())
	}
	return i
}
