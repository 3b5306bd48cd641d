package engine

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/alloc"
	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

const (
	relayCircuitID = 1
	relayRemoteID  = 2
	relayLinkSel   = 5
)

// request is a client message with the fields the engine uses decoded.
type request struct {
	m         *dhcpv4.DHCPv4
	mt        dhcpv4.MessageType
	client    alloc.Client
	info      config.ClientInfo
	ciaddr    netip.Addr
	giaddr    netip.Addr
	requested netip.Addr
	serverID  netip.Addr
	linkSel   netip.Addr // RFC 3527, from a relay only
	subnetSel netip.Addr // RFC 3011 subnet selection, option 118
	leaseReq  time.Duration
	bucket    uint8 // RFC 3074 hash bucket of the client
	prl       []byte
	maxSize   int
	hostname  string
	relay     []byte
}

// parse decodes a message into r, or says why it is dropped.
func parse(r *request, m *dhcpv4.DHCPv4) Reason {
	if m.OpCode != dhcpv4.OpcodeBootRequest {
		return ReasonNotRequest
	}
	mt := m.Options[options.CodeMessageType]
	if len(mt) != 1 {
		return ReasonNoMessageType
	}
	if len(m.ClientHWAddr) == 0 && len(m.Options[options.CodeClientID]) == 0 {
		return ReasonNoClientIdentity
	}
	*r = request{m: m, mt: dhcpv4.MessageType(mt[0])}
	r.ciaddr = addr4(m.ClientIPAddr)
	r.giaddr = addr4(m.GatewayIPAddr)
	o := m.Options
	r.requested = addr4(o[options.CodeRequestedAddr])
	r.serverID = addr4(o[options.CodeServerID])
	if v := o[options.CodeLeaseTime]; len(v) == 4 {
		r.leaseReq = time.Duration(binary.BigEndian.Uint32(v)) * time.Second
	}
	r.prl = o[options.CodeParamRequest]
	r.maxSize = 576
	if v := o[options.CodeMaxSize]; len(v) == 2 && int(binary.BigEndian.Uint16(v)) > r.maxSize {
		r.maxSize = int(binary.BigEndian.Uint16(v))
	}
	r.hostname = string(o[options.CodeHostname])
	r.info = clientInfo(m)
	r.client = alloc.ClientOf(r.info.ClientID, m.ClientHWAddr)
	r.bucket = balance.ClientBucket(r.info.ClientID, m.ClientHWAddr)
	// Option 82 is echoed whoever sent it (RFC 3046 §2.2), but what it
	// says counts only from a relay: a directly attached client could
	// otherwise pose as any relay port or link.
	r.relay = o[options.CodeRelayInfo]
	if len(r.relay) > 0 && r.giaddr.IsValid() {
		r.info.CircuitID, r.info.RemoteID, r.linkSel = relaySubOptions(r.relay)
	}
	r.subnetSel = addr4(o[options.CodeSubnetSelect])
	return ""
}

func clientInfo(m *dhcpv4.DHCPv4) config.ClientInfo {
	o := m.Options
	ci := config.ClientInfo{HWAddr: m.ClientHWAddr, ClientID: o[options.CodeClientID],
		VendorClass: string(o[options.CodeVendorClass])}
	if uc := o[options.CodeUserClass]; len(uc) > 0 {
		ci.UserClasses = userClasses(uc)
	}
	if a := o[options.CodeClientArch]; len(a) >= 2 {
		for i := 0; i+1 < len(a); i += 2 {
			ci.Arch = append(ci.Arch, binary.BigEndian.Uint16(a[i:]))
		}
	}
	return ci
}

// userClasses decodes option 77. RFC 3004 encodes a list of
// length-prefixed classes, but iPXE and others send plain text: the whole
// text is always a class too, and the only one when it does not parse as
// such a list.
func userClasses(b []byte) []string {
	var out []string
	for i := 0; i < len(b); {
		n := int(b[i])
		if n == 0 || i+1+n > len(b) {
			return []string{string(b)}
		}
		out = append(out, string(b[i+1:i+1+n]))
		i += 1 + n
	}
	return append(out, string(b))
}

// relaySubOptions returns the circuit ID, remote ID and RFC 3527 link
// selection address of an option 82 value.
func relaySubOptions(b []byte) (circuit, remote []byte, link netip.Addr) {
	for i := 0; i+2 <= len(b); {
		code, n := b[i], int(b[i+1])
		if i+2+n > len(b) {
			break
		}
		v := b[i+2 : i+2+n]
		switch code {
		case relayCircuitID:
			circuit = v
		case relayRemoteID:
			remote = v
		case relayLinkSel:
			link = addr4(v)
		}
		i += 2 + n
	}
	return circuit, remote, link
}

// addr4 returns the IPv4 address of 4 octets, or the zero Addr for
// anything else and for 0.0.0.0.
func addr4(b []byte) netip.Addr {
	if len(b) != 4 {
		if len(b) == 16 {
			if a, ok := netip.AddrFromSlice(b); ok && a.Is4In6() {
				return nonZero(a.Unmap())
			}
		}
		return netip.Addr{}
	}
	return nonZero(netip.AddrFrom4([4]byte(b)))
}

func nonZero(a netip.Addr) netip.Addr {
	if a.IsUnspecified() {
		return netip.Addr{}
	}
	return a
}
