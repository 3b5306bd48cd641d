package migrate

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// stdOption is an RFC 2132 (or later) option kubedhcp has no typed field
// for, by the type its value has: imported as a custom option.
type stdOption struct {
	code int
	typ  dhcpv1alpha1.CustomOptionType
}

// standardOptions are such options by the names ISC dhcpd and Kea give
// them (they share most; the others are listed under both).
var standardOptions = map[string]stdOption{
	"name-servers": {5, "ipList"}, "cookie-servers": {8, "ipList"}, "lpr-servers": {9, "ipList"},
	"impress-servers": {10, "ipList"}, "resource-location-servers": {11, "ipList"}, "boot-size": {13, "uint16"},
	"merit-dump": {14, "text"}, "swap-server": {16, "ip"}, "extensions-path": {18, "text"}, "ip-forwarding": {19, "bool"},
	"non-local-source-routing": {20, "bool"}, "max-dgram-reassembly": {22, "uint16"}, "default-ip-ttl": {23, "uint8"},
	"path-mtu-aging-timeout": {24, "uint32"}, "all-subnets-local": {27, "bool"}, "perform-mask-discovery": {29, "bool"},
	"mask-supplier": {30, "bool"}, "router-discovery": {31, "bool"}, "router-solicitation-address": {32, "ip"},
	"trailer-encapsulation": {34, "bool"}, "arp-cache-timeout": {35, "uint32"}, "ieee802-3-encapsulation": {36, "bool"},
	"default-tcp-ttl": {37, "uint8"}, "tcp-keepalive-interval": {38, "uint32"}, "tcp-keepalive-garbage": {39, "bool"},
	"nis-domain": {40, "text"}, "nis-servers": {41, "ipList"}, "netbios-dd-server": {45, "ipList"}, "netbios-scope": {47, "text"},
	"font-servers": {48, "ipList"}, "x-display-manager": {49, "ipList"}, "nwip-domain": {62, "text"}, "nwip-domain-name": {62, "text"},
	"nisplus-domain": {64, "text"}, "nisplus-domain-name": {64, "text"}, "nisplus-servers": {65, "ipList"},
	"mobile-ip-home-agent": {68, "ipList"}, "smtp-server": {69, "ipList"}, "pop-server": {70, "ipList"}, "nntp-server": {71, "ipList"},
	"www-server": {72, "ipList"}, "finger-server": {73, "ipList"}, "irc-server": {74, "ipList"}, "streettalk-server": {75, "ipList"},
	"streettalk-directory-assistance-server": {76, "ipList"}, "pcode": {100, "text"}, "tcode": {101, "text"},
	"v4-captive-portal": {114, "text"}, "default-url": {114, "text"},
}

// standardByCode is standardOptions by code.
var standardByCode = func() map[int]dhcpv1alpha1.CustomOptionType {
	out := map[int]dhcpv1alpha1.CustomOptionType{}
	for _, o := range standardOptions {
		out[o.code] = o.typ
	}
	return out
}()

// standardCustom is option code, of type typ, with value as the file wrote
// it, as a custom option: addresses and numbers checked, booleans written
// true or false, text unquoted.
func standardCustom(code int, typ dhcpv1alpha1.CustomOptionType, value string) (dhcpv1alpha1.CustomOption, error) {
	values := splitValues(value)
	if len(values) == 0 {
		return dhcpv1alpha1.CustomOption{}, fmt.Errorf("no value")
	}
	switch typ {
	case dhcpv1alpha1.CustomIPList, dhcpv1alpha1.CustomIP:
		l, err := ipv4List(values)
		if err != nil {
			return dhcpv1alpha1.CustomOption{}, err
		}
		if typ == dhcpv1alpha1.CustomIP && len(l) != 1 {
			return dhcpv1alpha1.CustomOption{}, fmt.Errorf("one address wanted")
		}
		strs := make([]string, len(l))
		for i, a := range l {
			strs[i] = string(a)
		}
		value = strings.Join(strs, ",")
	case dhcpv1alpha1.CustomBool:
		b, ok := map[string]string{"on": "true", "true": "true", "1": "true", "off": "false", "false": "false", "0": "false"}[strings.ToLower(values[0])]
		if !ok || len(values) != 1 {
			return dhcpv1alpha1.CustomOption{}, fmt.Errorf("%q is not on or off", value)
		}
		value = b
	case dhcpv1alpha1.CustomUint8, dhcpv1alpha1.CustomUint16, dhcpv1alpha1.CustomUint32:
		bits := map[dhcpv1alpha1.CustomOptionType]int{"uint8": 8, "uint16": 16, "uint32": 32}[typ]
		n, err := strconv.ParseUint(values[0], 0, bits) // Kea writes numbers in hex too (0xf0)
		if err != nil || len(values) != 1 {
			return dhcpv1alpha1.CustomOption{}, fmt.Errorf("%q is not a %d-bit number", value, bits)
		}
		value = strconv.FormatUint(n, 10)
	default:
		value = strings.Trim(strings.TrimSpace(value), `"`)
	}
	return customOption(code, typ, value)
}

// routesOf reads classless static routes (option 121) as the servers write
// them: dnsmasq's DEST/LEN,GATEWAY pairs, Kea's "DEST/LEN - GATEWAY" list,
// and ISC dhcpd's RFC 3442 octets (an "array of integer 8" option).
func routesOf(values []string) ([]dhcpv1alpha1.ClasslessRoute, error) {
	if len(values) > 0 && strings.Contains(values[0], " - ") {
		var out []dhcpv1alpha1.ClasslessRoute
		for _, v := range values {
			dest, gw, _ := strings.Cut(v, " - ")
			r, err := route(strings.TrimSpace(dest), strings.TrimSpace(gw))
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	if len(values) > 0 && strings.Contains(values[0], "/") {
		if len(values)%2 != 0 {
			return nil, fmt.Errorf("routes come in pairs DEST/LEN,GATEWAY")
		}
		var out []dhcpv1alpha1.ClasslessRoute
		for i := 0; i < len(values); i += 2 {
			r, err := route(values[i], values[i+1])
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	return rfc3442(values)
}

func route(dest, gw string) (dhcpv1alpha1.ClasslessRoute, error) {
	p, err := netip.ParsePrefix(dest)
	g, err2 := netip.ParseAddr(gw)
	if err != nil || err2 != nil || !p.Addr().Is4() || !g.Is4() {
		return dhcpv1alpha1.ClasslessRoute{}, fmt.Errorf("%q via %q is not an IPv4 route", dest, gw)
	}
	return dhcpv1alpha1.ClasslessRoute{Destination: dhcpv1alpha1.IPv4CIDR(p.Masked().String()), Gateway: dhcpv1alpha1.IPv4Address(g.String())}, nil
}

// rfc3442 decodes routes written as RFC 3442 octets: the prefix length,
// the significant octets of the destination, then the gateway's four.
func rfc3442(values []string) ([]dhcpv1alpha1.ClasslessRoute, error) {
	b := make([]byte, 0, len(values))
	for _, v := range values {
		n, err := strconv.ParseUint(v, 0, 8)
		if err != nil {
			return nil, fmt.Errorf("%q is not an octet of RFC 3442 routes", v)
		}
		b = append(b, byte(n))
	}
	var out []dhcpv1alpha1.ClasslessRoute
	for len(b) > 0 {
		bits := int(b[0])
		size := (bits + 7) / 8
		if bits > 32 || len(b) < 1+size+4 {
			return nil, fmt.Errorf("RFC 3442 routes cut short or with a prefix over 32 bits")
		}
		var dest [4]byte
		copy(dest[:], b[1:1+size])
		gw := [4]byte(b[1+size : 1+size+4])
		out = append(out, dhcpv1alpha1.ClasslessRoute{
			Destination: dhcpv1alpha1.IPv4CIDR(netip.PrefixFrom(netip.AddrFrom4(dest), bits).Masked().String()),
			Gateway:     dhcpv1alpha1.IPv4Address(netip.AddrFrom4(gw).String())})
		b = b[1+size+4:]
	}
	return out, nil
}
