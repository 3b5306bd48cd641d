package options

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Option codes this package encodes (RFC 2132 unless noted).
const (
	CodeSubnetMask         = 1
	CodeTimeOffset         = 2
	CodeRouters            = 3
	CodeTimeServers        = 4
	CodeDNSServers         = 6
	CodeLogServers         = 7
	CodeHostname           = 12
	CodeDomainName         = 15
	CodeRootPath           = 17
	CodeInterfaceMTU       = 26
	CodeBroadcastAddress   = 28
	CodeNTPServers         = 42
	CodeNetBIOSNameServers = 44
	CodeNetBIOSNodeType    = 46
	CodeTFTPServerName     = 66
	CodeBootFileName       = 67
	CodeDomainSearch       = 119 // RFC 3397
	CodeClasslessRoutes    = 121 // RFC 3442
)

// Option codes of the protocol itself, which the server reads or sets
// (RFC 2132 §9 unless noted). With the codes above they are the one list
// of option codes in this module.
const (
	CodeRequestedAddr = 50
	CodeLeaseTime     = 51
	CodeOverload      = 52
	CodeMessageType   = 53
	CodeServerID      = 54
	CodeParamRequest  = 55
	CodeMessage       = 56
	CodeMaxSize       = 57
	CodeRenewal       = 58
	CodeRebinding     = 59
	CodeVendorClass   = 60
	CodeClientID      = 61
	CodeUserClass     = 77  // RFC 3004
	CodeRelayInfo     = 82  // RFC 3046
	CodeClientArch    = 93  // RFC 4578
	CodeSubnetSelect  = 118 // RFC 3011
	CodePad           = 0
	CodeEnd           = 255
)

// Truncate returns at most the first n octets of v.
func Truncate[T ~string | ~[]byte](v T, n int) T {
	if len(v) > n {
		return v[:n]
	}
	return v
}

// Options are typed DHCP options as an operator writes them. The zero
// value sets nothing.
type Options struct {
	Routers            []netip.Addr
	DNSServers         []netip.Addr
	DomainName         string
	DomainSearch       []string
	NTPServers         []netip.Addr
	TimeOffset         *int32
	InterfaceMTU       *uint16
	BroadcastAddress   netip.Addr
	ClasslessRoutes    []Route
	TFTPServerName     string
	BootFileName       string
	NetBIOSNameServers []netip.Addr
	NetBIOSNodeType    string // B, P, M or H
	TimeServers        []netip.Addr
	LogServers         []netip.Addr
	RootPath           string
	// Custom options are encoded after the typed ones and replace a typed
	// option of the same code.
	Custom []Custom
}

// Route is one classless static route (option 121).
type Route struct {
	Destination netip.Prefix
	Gateway     netip.Addr
}

// Encode returns the wire form of every option o sets. An error names the
// option at fault.
func Encode(o Options) (Set, error) {
	m := map[uint8][]byte{}
	var errs []error
	putAddrs := func(code uint8, name string, addrs []netip.Addr) {
		if len(addrs) == 0 {
			return
		}
		b, err := addrList(addrs)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			return
		}
		m[code] = b
	}
	putText := func(code uint8, s string) {
		if s != "" {
			m[code] = []byte(s)
		}
	}
	putAddrs(CodeRouters, "options.routers", o.Routers)
	putAddrs(CodeDNSServers, "options.dnsServers", o.DNSServers)
	putAddrs(CodeNTPServers, "options.ntpServers", o.NTPServers)
	putAddrs(CodeNetBIOSNameServers, "options.netbiosNameServers", o.NetBIOSNameServers)
	putAddrs(CodeTimeServers, "options.timeServers", o.TimeServers)
	putAddrs(CodeLogServers, "options.logServers", o.LogServers)
	putText(CodeDomainName, o.DomainName)
	putText(CodeTFTPServerName, o.TFTPServerName)
	putText(CodeBootFileName, o.BootFileName)
	putText(CodeRootPath, o.RootPath)
	if len(o.DomainSearch) > 0 {
		b, err := DomainList(o.DomainSearch, true)
		if err != nil {
			errs = append(errs, fmt.Errorf("options.domainSearch: %w", err))
		}
		m[CodeDomainSearch] = b
	}
	if o.TimeOffset != nil {
		m[CodeTimeOffset] = binary.BigEndian.AppendUint32(nil, uint32(*o.TimeOffset))
	}
	if o.InterfaceMTU != nil {
		if *o.InterfaceMTU < 68 {
			errs = append(errs, fmt.Errorf("options.interfaceMTU: %d is below the minimum of 68", *o.InterfaceMTU))
		}
		m[CodeInterfaceMTU] = binary.BigEndian.AppendUint16(nil, *o.InterfaceMTU)
	}
	if o.BroadcastAddress.IsValid() {
		b, err := addrList([]netip.Addr{o.BroadcastAddress})
		if err != nil {
			errs = append(errs, fmt.Errorf("options.broadcastAddress: %w", err))
		}
		m[CodeBroadcastAddress] = b
	}
	if len(o.ClasslessRoutes) > 0 {
		b, err := ClasslessRoutes(o.ClasslessRoutes)
		if err != nil {
			errs = append(errs, fmt.Errorf("options.classlessStaticRoutes: %w", err))
		}
		m[CodeClasslessRoutes] = b
	}
	if o.NetBIOSNodeType != "" {
		b, err := netbiosNodeType(o.NetBIOSNodeType)
		if err != nil {
			errs = append(errs, fmt.Errorf("options.netbiosNodeType: %w", err))
		}
		m[CodeNetBIOSNodeType] = b
	}
	for i, c := range o.Custom {
		b, err := c.Encode()
		if err != nil {
			errs = append(errs, fmt.Errorf("customOptions[%d]: %w", i, err))
			continue
		}
		m[c.Code] = b
	}
	if err := errors.Join(errs...); err != nil {
		return Set{}, err
	}
	return Set{m: m}, nil
}

// addrList encodes IPv4 addresses back to back.
func addrList(addrs []netip.Addr) ([]byte, error) {
	b := make([]byte, 0, 4*len(addrs))
	for _, a := range addrs {
		if !a.Is4() {
			return nil, fmt.Errorf("%s is not an IPv4 address", a)
		}
		v := a.As4()
		b = append(b, v[:]...)
	}
	return b, nil
}

// netbiosNodeType encodes option 46 (RFC 2132 §8.7).
func netbiosNodeType(t string) ([]byte, error) {
	switch t {
	case "B":
		return []byte{0x1}, nil
	case "P":
		return []byte{0x2}, nil
	case "M":
		return []byte{0x4}, nil
	case "H":
		return []byte{0x8}, nil
	}
	return nil, fmt.Errorf("%q is not one of B, P, M, H", t)
}

// ClasslessRoutes encodes option 121 per RFC 3442: for each route the
// prefix length, the significant octets of the destination, then the
// gateway.
func ClasslessRoutes(routes []Route) ([]byte, error) {
	var b []byte
	for _, r := range routes {
		if !r.Destination.Addr().Is4() || !r.Gateway.Is4() {
			return nil, fmt.Errorf("route %s via %s is not IPv4", r.Destination, r.Gateway)
		}
		bits := r.Destination.Bits()
		dst := r.Destination.Masked().Addr().As4()
		gw := r.Gateway.As4()
		b = append(b, byte(bits))
		b = append(b, dst[:(bits+7)/8]...)
		b = append(b, gw[:]...)
	}
	return b, nil
}
