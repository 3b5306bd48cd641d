package engine

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

const (
	serverPort = 67
	clientPort = 68
)

var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// reply starts a BOOTREPLY to the message: xid, flags, giaddr and chaddr
// echoed (RFC 2131 Table 3), the message type and server identifier set,
// and the client identifier (RFC 6842) and relay agent information
// (RFC 3046) echoed.
func (t *txn) reply(mt dhcpv4.MessageType) *dhcpv4.DHCPv4 {
	q := t.r.m
	t.out = newReply()
	m := t.out.Msg
	m.OpCode, m.HWType, m.TransactionID, m.Flags = dhcpv4.OpcodeBootReply, q.HWType, q.TransactionID, q.Flags
	m.GatewayIPAddr, m.ClientHWAddr = q.GatewayIPAddr, q.ClientHWAddr
	m.Options[options.CodeMessageType] = messageTypes[mt]
	m.Options[options.CodeServerID] = t.sn.ServerIDBytes(t.sid)
	if id := t.r.info.ClientID; len(id) > 0 {
		m.Options[options.CodeClientID] = id
	}
	if len(t.r.relay) > 0 {
		m.Options[options.CodeRelayInfo] = t.r.relay
	}
	return m
}

// nak answers with a DHCPNAK: no address, no configuration.
func (t *txn) nak(reason Reason) (*Reply, Result) {
	if t.sn == nil || !t.sid.IsValid() {
		return nil, t.silent(reason)
	}
	m := t.reply(dhcpv4.MessageTypeNak)
	m.Options[options.CodeMessage] = []byte(reason)
	r := t.out
	r.Order = append(r.Order[:0], options.CodeMessageType, options.CodeServerID, options.CodeMessage, options.CodeClientID, options.CodeRelayInfo)
	r.MaxSize, r.Dest = t.maxSize(), t.dest(m, true)
	res := t.result(OutcomeNak, reason)
	if res.Addr = t.r.requested; !res.Addr.IsValid() {
		res.Addr = t.r.ciaddr
	}
	return r, res
}

// finish adds the lease times, configuration and boot settings to an
// OFFER or ACK for addr with a lease of d (d zero: an INFORM reply, which
// carries no lease times) and says where to send it.
func (t *txn) finish(m *dhcpv4.DHCPv4, addr netip.Addr, d time.Duration, lt config.LeaseTimes) *Reply {
	r := t.out
	o := orderer{codes: r.Order[:0]}
	o.add(options.CodeMessageType, options.CodeServerID)
	if d > 0 {
		t1, t2 := lt.Timers(d)
		m.Options[options.CodeLeaseTime] = putSecs(r.times[0:4], d)
		m.Options[options.CodeRenewal] = putSecs(r.times[4:8], t1)
		m.Options[options.CodeRebinding] = putSecs(r.times[8:12], t2)
		o.add(options.CodeLeaseTime, options.CodeRenewal, options.CodeRebinding)
	}
	set := t.optionsFor(addr)
	if h := t.hostnameOption(); h != "" {
		m.Options[options.CodeHostname] = []byte(h)
	}
	t.boot(m)
	for _, c := range t.r.prl {
		if _, have := m.Options[c]; !have {
			if v, ok := set.Get(c); ok {
				m.Options[c] = v
			}
		}
		if _, ok := m.Options[c]; ok {
			o.add(c)
		}
	}
	for _, c := range []uint8{options.CodeSubnetMask, options.CodeRouters, options.CodeDNSServers, options.CodeDomainName} {
		if v, ok := set.Get(c); ok && !o.has(c) {
			m.Options[c] = v
			o.add(c)
		}
	}
	for _, c := range []uint8{options.CodeHostname, options.CodeBootFileName, options.CodeVendorClass, options.CodeClientID, options.CodeRelayInfo} {
		if _, ok := m.Options[c]; ok {
			o.add(c)
		}
	}
	r.Order, r.MaxSize, r.Dest = o.codes, t.maxSize(), t.dest(m, false)
	return r
}

// optionsFor returns the options for this client at addr: its
// reservation's, else its pool's, else its subnet's.
func (t *txn) optionsFor(addr netip.Addr) options.Set {
	if t.res != nil && t.res.Addr == addr {
		return t.res.Opts()
	}
	if p := t.sn.PoolFor(addr); p != nil {
		return p.Opts()
	}
	if addr.IsValid() {
		if r := t.sn.ReservationAt(addr); r != nil && r.Pool() != nil {
			return r.Pool().Opts()
		}
	}
	return t.sn.Opts()
}

// hostnameOption is the host name to send: only a reservation's; a
// client's own name is its to keep.
func (t *txn) hostnameOption() string {
	if t.res != nil {
		return t.res.Hostname
	}
	return ""
}

// boot sets siaddr, sname and file for a network-booting client, and the
// boot file option where the client asked for it or it does not fit the
// file field. PXE and UEFI HTTP boot clients get their vendor class back
// (option 60), which their firmware requires of a boot server.
func (t *txn) boot(m *dhcpv4.DHCPv4) {
	b, file := t.sn.BootFor(t.res, &t.r.info)
	if b != nil {
		if b.NextServer.IsValid() {
			m.ServerIPAddr = ip4(&t.out.siaddr, b.NextServer)
		}
		m.ServerHostName = b.ServerName
	}
	if file != "" {
		if len(file) < 128 {
			m.BootFileName = file
		}
		if len(file) >= 128 || wants(t.r.prl, options.CodeBootFileName) {
			m.Options[options.CodeBootFileName] = []byte(file)
		}
	}
	for _, vc := range []string{"PXEClient", "HTTPClient"} {
		if strings.HasPrefix(t.r.info.VendorClass, vc) {
			m.Options[options.CodeVendorClass] = []byte(vc)
		}
	}
}

func wants(prl []byte, code uint8) bool {
	for _, c := range prl {
		if c == code {
			return true
		}
	}
	return false
}

// dest says where a reply goes (RFC 2131 §4.1): to the relay when
// relayed, broadcast for a NAK, to ciaddr when the client has an address,
// broadcast when it asked for it, and otherwise unicast to its hardware
// address and the offered address.
func (t *txn) dest(m *dhcpv4.DHCPv4, nak bool) Dest {
	r := t.r
	switch {
	case r.giaddr.IsValid():
		if nak {
			m.SetBroadcast()
		}
		return Dest{Addr: netip.AddrPortFrom(r.giaddr, serverPort)}
	case nak:
		return Dest{Addr: netip.AddrPortFrom(limitedBroadcast, clientPort), Broadcast: true}
	case r.ciaddr.IsValid():
		return Dest{Addr: netip.AddrPortFrom(r.ciaddr, clientPort)}
	case r.m.IsBroadcast():
		return Dest{Addr: netip.AddrPortFrom(limitedBroadcast, clientPort), Broadcast: true}
	}
	yi := addr4(m.YourIPAddr)
	if !yi.IsValid() {
		return Dest{Addr: netip.AddrPortFrom(limitedBroadcast, clientPort), Broadcast: true}
	}
	return Dest{Addr: netip.AddrPortFrom(yi, clientPort), HWAddr: r.m.ClientHWAddr}
}

// maxSize is the largest DHCP message the client accepts: its option 57
// (at least 576) less the IP and UDP headers it counts.
func (t *txn) maxSize() int { return t.r.maxSize - 28 }

// putSecs writes d in whole seconds into b (4 octets) and returns it;
// never 0xffffffff, which would mean an infinite lease.
func putSecs(b []byte, d time.Duration) []byte {
	binary.BigEndian.PutUint32(b, config.WireSecs(d))
	return b
}

// messageTypes holds option 53's value for each message type.
var messageTypes = func() (m [256][]byte) {
	for t := range m {
		m[t] = []byte{byte(t)}
	}
	return m
}()

// orderer collects option codes in order, each once.
type orderer struct {
	seen  [256]bool
	codes []uint8
}

func (o *orderer) add(codes ...uint8) {
	for _, c := range codes {
		if !o.seen[c] {
			o.seen[c] = true
			o.codes = append(o.codes, c)
		}
	}
}

func (o *orderer) has(c uint8) bool { return o.seen[c] }
