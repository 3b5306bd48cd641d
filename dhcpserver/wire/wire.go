// Package wire reads and writes DHCPv4 messages on top of
// github.com/insomniacslk/dhcp/dhcpv4, adding what a server needs and that
// library leaves out: options written in a chosen order, replies that fit
// the client's maximum message size by option overload (RFC 2131 §4.1,
// RFC 2132 §9.3) and long options split per RFC 3396, and requests whose
// options overflow into the file and sname fields.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// MinMaxSize is the largest DHCP message every client accepts: the 576
// octets of RFC 2131 less the IP and UDP headers.
const MinMaxSize = 576 - 28

const (
	headerLen = 236
	cookieLen = 4
	snameLen  = 64
	fileLen   = 128
	snameOff  = 44
	fileOff   = 108
	minLen    = 300 // BOOTP (RFC 951) minimum, which some relays enforce
)

var magicCookie = [4]byte{99, 130, 83, 99}

// ErrTooShort means a message is shorter than the fixed BOOTP header.
var ErrTooShort = errors.New("message shorter than the BOOTP header")

// ErrBadHeader means the fixed header cannot be valid (RFC 2131 §2): a
// hardware address length over the 16 octets of chaddr, or one the
// hardware type does not have.
var ErrBadHeader = errors.New("invalid fixed header")

// hwLens are the hardware address lengths of the hardware types that
// have one: Ethernet and IEEE 802 (RFC 1700), and InfiniBand, whose
// clients leave chaddr empty and identify by client identifier (RFC 4390).
var hwLens = map[byte]byte{1: 6, 6: 6, 32: 0}

// checkHeader says what makes the fixed header of b invalid, if anything.
func checkHeader(b []byte) error {
	htype, hlen := b[1], b[2]
	if hlen > 16 {
		return fmt.Errorf("%w: hlen %d is more than the 16 octets of chaddr", ErrBadHeader, hlen)
	}
	if want, known := hwLens[htype]; known && hlen != want {
		return fmt.Errorf("%w: hlen %d, but hardware type %d has %d", ErrBadHeader, hlen, htype, want)
	}
	return nil
}

// Fault names what is wrong with a message Parse refused, for metrics:
// truncated, badCookie, badHeader or badOptions.
func Fault(err error) string {
	switch {
	case errors.Is(err, ErrTooShort):
		return "truncated"
	case errors.Is(err, ErrBadCookie):
		return "badCookie"
	case errors.Is(err, ErrBadHeader):
		return "badHeader"
	}
	return "badOptions"
}

// Parse decodes a message. Options a sender overloaded into the file and
// sname fields (option 52) are read too, and those fields then read empty.
func Parse(b []byte) (*dhcpv4.DHCPv4, error) { return new(Decoder).Parse(b) }

// Decoder parses messages into storage it reuses: a message it returns,
// and every slice in it, is valid only until its next Parse. A transport
// worker, which is done with one message before it reads the next, keeps
// one and allocates nothing per message for it.
type Decoder struct {
	m     dhcpv4.DHCPv4
	block []byte
}

// Parse is the package's Parse into d's storage.
func (d *Decoder) Parse(b []byte) (*dhcpv4.DHCPv4, error) {
	m, err := d.decode(b)
	if err != nil {
		return nil, fmt.Errorf("decoding message: %w", err)
	}
	if err := checkHeader(b); err != nil {
		return nil, err
	}
	ov := m.Options[options.CodeOverload]
	if len(ov) != 1 {
		return m, nil
	}
	if ov[0]&1 != 0 {
		if err := m.Options.FromBytes(b[fileOff : fileOff+fileLen]); err != nil {
			return nil, fmt.Errorf("decoding options overloaded into file: %w", err)
		}
		m.BootFileName = ""
	}
	if ov[0]&2 != 0 {
		if err := m.Options.FromBytes(b[snameOff : snameOff+snameLen]); err != nil {
			return nil, fmt.Errorf("decoding options overloaded into sname: %w", err)
		}
		m.ServerHostName = ""
	}
	return m, nil
}

// area is one place options are written: the options field, file, sname.
type area struct {
	room int
	data []byte
}

// scratch holds Marshal's working storage between calls.
type scratch struct {
	main, file, sname area
	relay             []byte
	areas             []*area
}

var scratches = sync.Pool{New: func() any {
	return &scratch{main: area{data: make([]byte, 0, 1500)}, file: area{data: make([]byte, 0, fileLen)},
		sname: area{data: make([]byte, 0, snameLen)}, areas: make([]*area, 0, 3)}
}}

// reset empties s for a message of at most maxSize octets.
func (s *scratch) reset(maxSize int) {
	s.main = area{room: maxSize - headerLen - cookieLen - 1, data: s.main.data[:0]}
	s.file = area{data: s.file.data[:0]}
	s.sname = area{data: s.sname.data[:0]}
	s.relay = s.relay[:0]
	s.areas = append(s.areas[:0], &s.main)
}

// essential are the options a reply must not lose to others when they do
// not all fit: the protocol's own (message type, server identifier, lease
// times, the client identifier echoed per RFC 6842), the boot server and
// file and the vendor class PXE clients need echoed, and the configuration
// every client needs (options.Required).
var essential = func() (e [256]bool) {
	for _, c := range []uint8{options.CodeMessageType, options.CodeServerID, options.CodeLeaseTime, options.CodeRenewal, options.CodeRebinding,
		options.CodeClientID, options.CodeVendorClass, options.CodeTFTPServerName, options.CodeBootFileName} {
		e[c] = true
	}
	for _, c := range options.Required {
		e[c] = true
	}
	return e
}()

// Marshal writes m into buf (reusing its storage) and returns it. Options
// are written in order (codes absent from m.Options are skipped; option 82
// goes last, as RFC 3046 requires). When they do not fit in maxSize octets
// they overflow into the file, then the sname field where those are
// unused, announced by option 52, essential options placed first; what
// still does not fit is left out and its codes returned.
func Marshal(buf []byte, m *dhcpv4.DHCPv4, order []uint8, maxSize int) ([]byte, []uint8) {
	s := scratches.Get().(*scratch)
	defer scratches.Put(s)
	s.reset(max(maxSize, MinMaxSize))
	if v, ok := m.Options[options.CodeRelayInfo]; ok {
		s.relay = appendOption(s.relay, options.CodeRelayInfo, v)
		s.main.room -= len(s.relay)
	}
	if optionsLen(m, order) > s.main.room {
		s.main.room -= 3
		if m.BootFileName == "" {
			s.file.room = fileLen - 1
			s.areas = append(s.areas, &s.file)
		}
		if m.ServerHostName == "" {
			s.sname.room = snameLen - 1
			s.areas = append(s.areas, &s.sname)
		}
	}
	var dropped []uint8
	pass := func(all, want bool) {
		for _, c := range order {
			v, ok := m.Options[c]
			if !ok || c == options.CodeRelayInfo || (!all && essential[c] != want) {
				continue
			}
			if !place(s.areas, c, v) {
				dropped = append(dropped, c)
			}
		}
	}
	if len(s.areas) == 1 {
		pass(true, false)
	} else {
		// Not everything fits as it comes: the options a client cannot do
		// without go first, so what is left out is of the others.
		pass(false, true)
		pass(false, false)
	}
	overload := byte(0)
	if len(s.file.data) > 0 {
		overload |= 1
	}
	if len(s.sname.data) > 0 {
		overload |= 2
	}
	if overload != 0 {
		s.main.data = append(s.main.data, options.CodeOverload, 1, overload)
	}
	s.main.data = append(s.main.data, s.relay...)
	return write(buf, m, s.main.data, nilIfEmpty(s.file.data), nilIfEmpty(s.sname.data)), dropped
}

// optionsLen is how many octets the options of order take, split into
// 255-octet parts, option 82 aside.
func optionsLen(m *dhcpv4.DHCPv4, order []uint8) int {
	total := 0
	for _, c := range order {
		if v, ok := m.Options[c]; ok && c != options.CodeRelayInfo {
			total += len(v) + 2*(len(v)/255+1)
		}
	}
	return total
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// place writes option c into the first areas with room, in order, split
// into 255-octet parts (RFC 3396); it reports false when it did not fit.
func place(areas []*area, c uint8, v []byte) bool {
	first := 0
	for {
		p, rest := nextPart(v)
		for first < len(areas) && areas[first].room-len(areas[first].data) < len(p)+2 {
			first++
		}
		if first == len(areas) {
			return false
		}
		areas[first].data = append(areas[first].data, c, byte(len(p)))
		areas[first].data = append(areas[first].data, p...)
		if len(rest) == 0 {
			return true
		}
		v = rest
	}
}

// nextPart splits the first 255 octets (RFC 3396) off v.
func nextPart(v []byte) (part, rest []byte) {
	if len(v) <= 255 {
		return v, nil
	}
	return v[:255], v[255:]
}

func appendOption(b []byte, c uint8, v []byte) []byte {
	for {
		p, rest := nextPart(v)
		b = append(b, c, byte(len(p)))
		b = append(b, p...)
		if len(rest) == 0 {
			return b
		}
		v = rest
	}
}

func write(buf []byte, m *dhcpv4.DHCPv4, opts, file, sname []byte) []byte {
	b := buf[:0]
	hlen := len(m.ClientHWAddr)
	if hlen > 16 {
		hlen = 16
	}
	b = append(b, byte(m.OpCode), byte(m.HWType), byte(hlen), m.HopCount)
	b = append(b, m.TransactionID[:]...)
	b = binary.BigEndian.AppendUint16(b, m.NumSeconds)
	b = binary.BigEndian.AppendUint16(b, m.Flags)
	for _, ip := range []net.IP{m.ClientIPAddr, m.YourIPAddr, m.ServerIPAddr, m.GatewayIPAddr} {
		b = appendIP(b, ip)
	}
	b = appendField(b, m.ClientHWAddr[:hlen], 16)
	if sname != nil {
		b = appendField(b, append(sname, options.CodeEnd), snameLen)
	} else {
		b = appendField(b, []byte(options.Truncate(m.ServerHostName, snameLen-1)), snameLen)
	}
	if file != nil {
		b = appendField(b, append(file, options.CodeEnd), fileLen)
	} else {
		b = appendField(b, []byte(options.Truncate(m.BootFileName, fileLen-1)), fileLen)
	}
	b = append(b, magicCookie[:]...)
	b = append(b, opts...)
	b = append(b, options.CodeEnd)
	for len(b) < minLen {
		b = append(b, options.CodePad)
	}
	return b
}

func appendIP(b []byte, ip net.IP) []byte {
	if v4 := ip.To4(); v4 != nil {
		return append(b, v4...)
	}
	return append(b, 0, 0, 0, 0)
}

// appendField appends v zero-padded to n octets.
func appendField(b, v []byte, n int) []byte {
	b = append(b, v...)
	for i := len(v); i < n; i++ {
		b = append(b, 0)
	}
	return b
}
