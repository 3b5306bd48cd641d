package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// ErrBadCookie means the four octets after the BOOTP header are not the
// DHCP magic cookie.
var ErrBadCookie = errors.New("bad magic cookie")

// decode reads b as dhcpv4.FromBytes does, with the same results, into
// fresh storage.
func decode(b []byte) (*dhcpv4.DHCPv4, error) { return new(Decoder).decode(b) }

// decode reads b as dhcpv4.FromBytes does, with the same results, into
// d's storage: the message, its options map and one block holding its
// addresses, hardware address and option values, all reused from the
// last call. It never keeps b.
func (d *Decoder) decode(b []byte) (*dhcpv4.DHCPv4, error) {
	if len(b) < headerLen+cookieLen {
		return nil, ErrTooShort
	}
	if [4]byte(b[headerLen:]) != magicCookie {
		return nil, fmt.Errorf("%w: got %v, want %v", ErrBadCookie, b[headerLen:headerLen+cookieLen], magicCookie[:])
	}
	if need := 32 + len(b) - headerLen - cookieLen; cap(d.block) < need {
		d.block = make([]byte, 0, need)
	}
	block := d.block[:0]
	opts := d.m.Options
	if opts == nil {
		opts = make(dhcpv4.Options, 12)
	}
	clear(opts)
	d.m = dhcpv4.DHCPv4{
		OpCode:     dhcpv4.OpcodeType(b[0]),
		HWType:     iana.HWType(b[1]),
		HopCount:   b[3],
		NumSeconds: uint16(b[8])<<8 | uint16(b[9]),
		Flags:      uint16(b[10])<<8 | uint16(b[11]),
		Options:    opts,
	}
	m := &d.m
	m.TransactionID = dhcpv4.TransactionID(b[4:8])
	block = append(block, b[12:44]...)
	m.ClientIPAddr = net.IP(block[0:4:4])
	m.YourIPAddr = net.IP(block[4:8:8])
	m.ServerIPAddr = net.IP(block[8:12:12])
	m.GatewayIPAddr = net.IP(block[12:16:16])
	m.ClientHWAddr = net.HardwareAddr(block[16 : 16+min(int(b[2]), 16) : 32])
	m.ServerHostName = cString(b[snameOff : snameOff+snameLen])
	m.BootFileName = cString(b[fileOff : fileOff+fileLen])
	if err := decodeOptions(m.Options, b[headerLen+cookieLen:], block[32:]); err != nil {
		return nil, err
	}
	return m, nil
}

// decodeOptions adds the options in data to o, copying their values into
// the free capacity of block. Repeated options are concatenated (RFC 3396);
// an End option is required unless there are no options at all.
func decodeOptions(o dhcpv4.Options, data, block []byte) error {
	if len(data) == 0 {
		return nil
	}
	for len(data) > 0 {
		code := data[0]
		switch code {
		case options.CodePad:
			data = data[1:]
			continue
		case options.CodeEnd:
			return nil
		}
		if len(data) < 2 || len(data) < 2+int(data[1]) {
			return fmt.Errorf("error collecting options: option %d runs past the end of the message: %w", code, io.ErrUnexpectedEOF)
		}
		n := int(data[1])
		v := data[2 : 2+n]
		data = data[2+n:]
		prev, seen := o[code]
		switch {
		case n == 0:
			o[code] = prev // present, with no value
			continue
		case seen:
			o[code] = append(prev[:len(prev):len(prev)], v...)
			continue
		}
		start := len(block)
		block = append(block, v...)
		o[code] = block[start:len(block):len(block)]
	}
	return io.ErrUnexpectedEOF
}

// cString is the text of a NUL-terminated field.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 {
		return ""
	}
	return string(b)
}
