package options

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Custom is an option given by code, type and value text, as the
// customOptions of the API. Type is one of ip, ipList, uint8, uint16,
// uint32, int8, int16, int32, bool, text, hex, domainList, routes.
type Custom struct {
	Code  uint8
	Type  string
	Value string
}

// serverOwned are the codes the server sets or derives itself, so that
// configuration may not: pad and end; the subnet mask (from the subnet's
// CIDR); the host name (from a reservation); the protocol's own options
// 50-61 (RFC 2132 §9), the vendor class among them, which the server
// echoes to PXE and HTTP boot clients, and the client identifier it
// echoes (RFC 6842); and relay agent information, echoed to the relay
// (RFC 3046). The CRDs refuse the same codes.
var serverOwned = func() (owned [256]bool) {
	for _, c := range []uint8{CodePad, CodeSubnetMask, CodeHostname, CodeEnd, CodeRelayInfo} {
		owned[c] = true
	}
	for c := CodeRequestedAddr; c <= CodeClientID; c++ {
		owned[c] = true
	}
	return owned
}()

// ServerOwned reports whether the server sets option code itself, so that
// configuration may not.
func ServerOwned(code uint8) bool { return serverOwned[code] }

// Encode returns the wire form of the option's value. An error names the
// code, the type and what is wrong with the value.
func (c Custom) Encode() ([]byte, error) {
	if ServerOwned(c.Code) {
		return nil, fmt.Errorf("code %d is set by the server and cannot be configured", c.Code)
	}
	b, err := encodeCustom(c.Type, c.Value)
	if err != nil {
		return nil, fmt.Errorf("code %d: value %q is not a valid %s: %w", c.Code, c.Value, c.Type, err)
	}
	return b, nil
}

func encodeCustom(typ, v string) ([]byte, error) {
	switch typ {
	case "ip", "ipList":
		return encodeAddrs(typ, v)
	case "uint8", "uint16", "uint32":
		return encodeUint(typ, v)
	case "int8", "int16", "int32":
		return encodeInt(typ, v)
	case "bool":
		return encodeBool(v)
	case "text":
		return []byte(v), nil
	case "hex":
		return ParseHex(v)
	case "domainList":
		return DomainList(splitList(v), false)
	case "routes":
		return encodeRoutes(v)
	}
	return nil, fmt.Errorf("unknown type")
}

func splitList(v string) []string {
	parts := strings.Split(v, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func encodeAddrs(typ, v string) ([]byte, error) {
	parts := splitList(v)
	if typ == "ip" && len(parts) != 1 {
		return nil, fmt.Errorf("want one address")
	}
	addrs := make([]netip.Addr, 0, len(parts))
	for _, p := range parts {
		a, err := netip.ParseAddr(p)
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("%q is not an IPv4 address", p)
		}
		addrs = append(addrs, a)
	}
	return addrList(addrs)
}

func bitsOf(typ string) int {
	switch typ[len(typ)-1] {
	case '8':
		return 8
	case '6':
		return 16
	}
	return 32
}

func putInt(u uint64, bits int) []byte {
	switch bits {
	case 8:
		return []byte{byte(u)}
	case 16:
		return binary.BigEndian.AppendUint16(nil, uint16(u))
	}
	return binary.BigEndian.AppendUint32(nil, uint32(u))
}

func encodeUint(typ, v string) ([]byte, error) {
	bits := bitsOf(typ)
	u, err := strconv.ParseUint(strings.TrimSpace(v), 10, bits)
	if err != nil {
		return nil, fmt.Errorf("want an integer from 0 to %d", uint64(1)<<bits-1)
	}
	return putInt(u, bits), nil
}

func encodeInt(typ, v string) ([]byte, error) {
	bits := bitsOf(typ)
	i, err := strconv.ParseInt(strings.TrimSpace(v), 10, bits)
	if err != nil {
		return nil, fmt.Errorf("want an integer from %d to %d", -(int64(1) << (bits - 1)), int64(1)<<(bits-1)-1)
	}
	return putInt(uint64(i), bits), nil
}

func encodeBool(v string) ([]byte, error) {
	switch strings.TrimSpace(v) {
	case "true":
		return []byte{1}, nil
	case "false":
		return []byte{0}, nil
	}
	return nil, fmt.Errorf("want true or false")
}

// ParseHex parses octets written in hex and separated by colons, such as
// 01:00:16:41:e0:f9:1c.
func ParseHex(v string) ([]byte, error) {
	parts := strings.Split(strings.TrimSpace(v), ":")
	b := make([]byte, 0, len(parts))
	for _, p := range parts {
		if len(p) != 2 {
			return nil, fmt.Errorf("want octets of two hex digits separated by colons")
		}
		o, err := hex.DecodeString(p)
		if err != nil {
			return nil, fmt.Errorf("want octets of two hex digits separated by colons")
		}
		b = append(b, o[0])
	}
	return b, nil
}

// FormatHex writes octets in hex separated by colons, the inverse of
// ParseHex.
func FormatHex(b []byte) string {
	var sb strings.Builder
	for i, o := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(hex.EncodeToString([]byte{o}))
	}
	return sb.String()
}

func encodeRoutes(v string) ([]byte, error) {
	parts := splitList(v)
	routes := make([]Route, 0, len(parts))
	for _, p := range parts {
		f := strings.Fields(p)
		if len(f) != 2 {
			return nil, fmt.Errorf("want routes written 'destination/prefix gateway'")
		}
		dst, err := netip.ParsePrefix(f[0])
		if err != nil || !dst.Addr().Is4() {
			return nil, fmt.Errorf("%q is not an IPv4 destination", f[0])
		}
		gw, err := netip.ParseAddr(f[1])
		if err != nil || !gw.Is4() {
			return nil, fmt.Errorf("%q is not an IPv4 gateway", f[1])
		}
		routes = append(routes, Route{Destination: dst, Gateway: gw})
	}
	return ClasslessRoutes(routes)
}
