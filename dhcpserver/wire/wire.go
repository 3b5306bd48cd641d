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

	"github.com/insomniacslk/dhcp/dhcpv4"
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
	optPad    = 0
	optEnd    = 255
	optOverld = 52
	optRelay  = 82
)

var magicCookie = [4]byte{99, 130, 83, 99}

// ErrTooShort means a message is shorter than the fixed BOOTP header.
var ErrTooShort = errors.New("message shorter than the BOOTP header")

// Parse decodes a message. Options a sender overloaded into the file and
// sname fields (option 52) are read too, and those fields then read empty.
func Parse(b []byte) (*dhcpv4.DHCPv4, error) {
	if len(b) < headerLen+cookieLen {
		return nil, ErrTooShort
	}
	m, err := dhcpv4.FromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("decoding message: %w", err)
	}
	ov := m.Options.Get(dhcpv4.OptionOptionOverload)
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

// Marshal writes m into buf (reusing its storage) and returns it. Options
// are written in order (codes absent from m.Options are skipped; option 82
// goes last, as RFC 3046 requires). When they do not fit in maxSize octets
// they overflow into the file, then the sname field where those are
// unused, announced by option 52; what still does not fit is left out and
// its codes returned.
func Marshal(buf []byte, m *dhcpv4.DHCPv4, order []uint8, maxSize int) ([]byte, []uint8) {
	if maxSize < MinMaxSize {
		maxSize = MinMaxSize
	}
	main := area{room: maxSize - headerLen - cookieLen - 1}
	var relay []byte
	if v, ok := m.Options[optRelay]; ok {
		relay = appendOption(nil, optRelay, v)
		main.room -= len(relay)
	}
	areas := []*area{&main}
	var file, sname area
	total := 0
	for _, c := range order {
		if v, ok := m.Options[c]; ok && c != optRelay {
			total += len(v) + 2*(len(v)/255+1)
		}
	}
	overload := byte(0)
	if total > main.room {
		main.room -= 3
		if m.BootFileName == "" {
			file.room = fileLen - 1
			areas = append(areas, &file)
		}
		if m.ServerHostName == "" {
			sname.room = snameLen - 1
			areas = append(areas, &sname)
		}
	}
	var dropped []uint8
	for _, c := range order {
		v, ok := m.Options[c]
		if !ok || c == optRelay {
			continue
		}
		if !place(areas, c, v) {
			dropped = append(dropped, c)
		}
	}
	if len(file.data) > 0 {
		overload |= 1
	}
	if len(sname.data) > 0 {
		overload |= 2
	}
	if overload != 0 {
		main.data = append(main.data, optOverld, 1, overload)
	}
	main.data = append(main.data, relay...)
	return write(buf, m, main.data, file.data, sname.data), dropped
}

// place writes option c into the first areas with room, in order, split
// into 255-octet parts (RFC 3396); it reports false when it did not fit.
func place(areas []*area, c uint8, v []byte) bool {
	first := 0
	for _, p := range split(v) {
		for first < len(areas) && areas[first].room-len(areas[first].data) < len(p)+2 {
			first++
		}
		if first == len(areas) {
			return false
		}
		areas[first].data = appendOption(areas[first].data, c, p)
	}
	return true
}

func split(v []byte) [][]byte {
	if len(v) <= 255 {
		return [][]byte{v}
	}
	var parts [][]byte
	for len(v) > 255 {
		parts = append(parts, v[:255])
		v = v[255:]
	}
	return append(parts, v)
}

func appendOption(b []byte, c uint8, v []byte) []byte {
	for _, p := range split(v) {
		b = append(b, c, byte(len(p)))
		b = append(b, p...)
	}
	return b
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
		b = appendField(b, append(sname, optEnd), snameLen)
	} else {
		b = appendField(b, []byte(truncate(m.ServerHostName, snameLen-1)), snameLen)
	}
	if file != nil {
		b = appendField(b, append(file, optEnd), fileLen)
	} else {
		b = appendField(b, []byte(truncate(m.BootFileName, fileLen-1)), fileLen)
	}
	b = append(b, magicCookie[:]...)
	b = append(b, opts...)
	b = append(b, optEnd)
	for len(b) < minLen {
		b = append(b, optPad)
	}
	return b
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
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
