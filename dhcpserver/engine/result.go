package engine

import (
	"net"
	"net/netip"
	"sync"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// Reply is a message to send and where to send it. Call Release when done
// with it, so the engine can reuse it.
type Reply struct {
	// Msg is the reply; its Options hold every option to send.
	Msg *dhcpv4.DHCPv4
	// Order is the order to write the options in.
	Order []uint8
	// MaxSize is the largest DHCP message, in octets, the client accepts.
	MaxSize int
	// Dest is where to send it.
	Dest Dest

	times  [12]byte // storage for the lease time, T1 and T2 options
	yiaddr [4]byte  // storage for yiaddr
	siaddr [4]byte  // storage for siaddr
}

// ip4 copies a into storage owned by the reply and returns it as a
// net.IP, without allocating.
func ip4(dst *[4]byte, a netip.Addr) net.IP {
	*dst = a.As4()
	return net.IP(dst[:])
}

var replyPool = sync.Pool{New: func() any {
	return &Reply{Msg: &dhcpv4.DHCPv4{Options: make(dhcpv4.Options, 16)}, Order: make([]uint8, 0, 32)}
}}

// newReply takes a cleared Reply from the pool.
func newReply() *Reply { return replyPool.Get().(*Reply) }

// Release gives the reply back to the engine for reuse; neither it nor
// its message may be used afterwards. Calling it is optional.
func (r *Reply) Release() {
	opts, order := r.Msg.Options, r.Order[:0]
	clear(opts)
	*r.Msg = dhcpv4.DHCPv4{Options: opts}
	*r = Reply{Msg: r.Msg, Order: order}
	replyPool.Put(r)
}

// Dest is where a reply goes (RFC 2131 §4.1).
type Dest struct {
	// Addr is the IP destination: a relay's address and port 67, the
	// client's address and port 68, or 255.255.255.255:68.
	Addr netip.AddrPort
	// Broadcast says Addr is the limited broadcast address.
	Broadcast bool
	// HWAddr, when set, is the link-layer destination of a reply unicast to
	// a client that has no address yet (Addr is then yiaddr:68); where the
	// transport cannot send to it, it broadcasts instead.
	HWAddr net.HardwareAddr
}

// Outcomes of Handle.
const (
	OutcomeOffer  = "offer"
	OutcomeAck    = "ack"
	OutcomeNak    = "nak"
	OutcomeSilent = "silent"
)

// Result says what Handle did with a message, for logs and metrics.
type Result struct {
	// Type is the message type received, such as DISCOVER; empty when the
	// message had none.
	Type string
	// Outcome is offer, ack, nak or silent.
	Outcome string
	// Reason says why, for silence and NAKs.
	Reason Reason
	// Subnet is the subnet the message was served from, if any.
	Subnet string
	// Addr is the address offered, acknowledged, declined or released,
	// or the one a NAK refused (the requested address, else ciaddr).
	Addr netip.Addr
}

func drop(m *dhcpv4.DHCPv4, reason Reason) Result {
	r := Result{Outcome: OutcomeSilent, Reason: reason}
	if mt := m.Options[options.CodeMessageType]; len(mt) == 1 {
		r.Type = typeName(dhcpv4.MessageType(mt[0]))
	}
	return r
}

func typeName(t dhcpv4.MessageType) string {
	switch t {
	case dhcpv4.MessageTypeDiscover:
		return "DISCOVER"
	case dhcpv4.MessageTypeRequest:
		return "REQUEST"
	case dhcpv4.MessageTypeDecline:
		return "DECLINE"
	case dhcpv4.MessageTypeRelease:
		return "RELEASE"
	case dhcpv4.MessageTypeInform:
		return "INFORM"
	case dhcpv4.MessageTypeOffer, dhcpv4.MessageTypeAck, dhcpv4.MessageTypeNak:
		return "REPLY"
	}
	return "OTHER"
}
