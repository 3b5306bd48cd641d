package migrate

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// iscOptionNames are the codes of ISC dhcpd's and Kea's option names
// that map to kubedhcp's typed options.
var iscOptionNames = map[string]int{
	"subnet-mask": 1, "time-offset": 2, "routers": 3, "time-servers": 4, "domain-name-servers": 6, "log-servers": 7,
	"host-name": 12, "domain-name": 15, "root-path": 17, "interface-mtu": 26, "broadcast-address": 28, "ntp-servers": 42,
	"netbios-name-servers": 44, "netbios-node-type": 46, "tftp-server-name": 66, "bootfile-name": 67, "boot-file-name": 67,
	"domain-search": 119, "classless-static-route": 121, "rfc3442-classless-static-routes": 121,
}

// dnsmasqOptionNames are dnsmasq's names (after "option:") of the same.
var dnsmasqOptionNames = map[string]int{
	"netmask": 1, "time-offset": 2, "router": 3, "time-server": 4, "dns-server": 6, "log-server": 7, "hostname": 12,
	"domain-name": 15, "root-path": 17, "mtu": 26, "broadcast": 28, "ntp-server": 42, "netbios-ns": 44, "netbios-nodetype": 46,
	"tftp-server": 66, "bootfile-name": 67, "domain-search": 119, "classless-static-route": 121,
}

// setOption sets the typed option of code in o from its values, as the
// file wrote them (quotes removed). An error says why it cannot.
func setOption(o *dhcpv1alpha1.DHCPOptions, code int, values []string) error {
	if len(values) == 0 {
		return fmt.Errorf("no value")
	}
	one := func() (string, error) {
		if len(values) != 1 {
			return "", fmt.Errorf("one value wanted, got %d", len(values))
		}
		return values[0], nil
	}
	lists := map[int]*[]dhcpv1alpha1.IPv4Address{3: &o.Routers, 4: &o.TimeServers, 6: &o.DNSServers, 7: &o.LogServers,
		42: &o.NTPServers, 44: &o.NetBIOSNameServers}
	var err error
	switch code {
	case 3, 4, 6, 7, 42, 44:
		*lists[code], err = ipv4List(values)
	case 28:
		var l []dhcpv1alpha1.IPv4Address
		if l, err = ipv4List(values); err == nil {
			if len(l) != 1 {
				return fmt.Errorf("one address wanted")
			}
			o.BroadcastAddress = l[0]
		}
	case 2, 26:
		return setInt(o, code, values)
	case 15, 17, 66, 67:
		var v string
		if v, err = one(); err == nil {
			err = setText(o, code, v)
		}
	case 119:
		for _, d := range values {
			if len(d) > 253 || !domainRE.MatchString(d) {
				return fmt.Errorf("%q is not a domain name", d)
			}
			o.DomainSearch = append(o.DomainSearch, dhcpv1alpha1.DomainName(strings.TrimSuffix(d, ".")))
		}
	case 46:
		return setNodeType(o, values)
	case 121:
		o.ClasslessStaticRoutes, err = routesOf(values)
	default:
		return fmt.Errorf("option %d has no kubedhcp field", code)
	}
	return err
}

func setText(o *dhcpv1alpha1.DHCPOptions, code int, v string) error {
	if len(v) > 255 {
		return fmt.Errorf("longer than 255 characters")
	}
	switch code {
	case 15:
		if len(v) > 253 || !domainRE.MatchString(v) {
			return fmt.Errorf("%q is not a domain name", v)
		}
		o.DomainName = dhcpv1alpha1.DomainName(strings.TrimSuffix(v, "."))
	case 17:
		o.RootPath = v
	case 66:
		o.TFTPServerName = v
	case 67:
		o.BootFileName = v
	}
	return nil
}

func setInt(o *dhcpv1alpha1.DHCPOptions, code int, values []string) error {
	if len(values) != 1 {
		return fmt.Errorf("one number wanted")
	}
	n, err := strconv.ParseInt(values[0], 10, 32)
	if err != nil {
		return fmt.Errorf("%q is not a number", values[0])
	}
	v := int32(n)
	if code == 2 {
		o.TimeOffset = &v
	} else {
		o.InterfaceMTU = &v
	}
	return nil
}

func setNodeType(o *dhcpv1alpha1.DHCPOptions, values []string) error {
	t := map[string]dhcpv1alpha1.NetBIOSNodeType{"1": "B", "2": "P", "4": "M", "8": "H", "B": "B", "P": "P", "M": "M", "H": "H"}[strings.ToUpper(values[0])]
	if t == "" || len(values) != 1 {
		return fmt.Errorf("%q is not a node type 1, 2, 4 or 8", strings.Join(values, ","))
	}
	o.NetBIOSNodeType = t
	return nil
}

func ipv4List(values []string) ([]dhcpv1alpha1.IPv4Address, error) {
	out := make([]dhcpv1alpha1.IPv4Address, 0, len(values))
	for _, v := range values {
		a, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("%q is not an IPv4 address", v)
		}
		out = append(out, dhcpv1alpha1.IPv4Address(a.String()))
	}
	return out, nil
}

// splitValues splits an option's value at commas, trimming spaces and
// the quotes around each value.
func splitValues(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		v = strings.Trim(strings.TrimSpace(v), `"`)
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// serverSet says why option 1 or 12 is not imported as an option.
func serverSet(code int) error {
	if code == 1 {
		return fmt.Errorf("the subnet mask is sent from the Subnet's cidr")
	}
	return fmt.Errorf("the host name is sent from a Reservation's hostname")
}

// parseHex reads octets written 01:0a:ff, 1:a:ff (dhcpd) or 010aff and
// 0x010aff (Kea).
func parseHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, ":") {
		var out []byte
		for _, p := range strings.Split(s, ":") {
			n, err := strconv.ParseUint(p, 16, 8)
			if err != nil || len(p) > 2 {
				return nil, fmt.Errorf("%q is not octets in hex", s)
			}
			out = append(out, byte(n))
		}
		return out, nil
	}
	b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"), " ", ""))
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%q is not octets in hex", s)
	}
	return b, nil
}

// customOption is an option kubedhcp has no typed field for, kept as a
// custom option when its code may be configured.
func customOption(code int, typ dhcpv1alpha1.CustomOptionType, value string) (dhcpv1alpha1.CustomOption, error) {
	switch {
	case code < 1 || code > 254:
		return dhcpv1alpha1.CustomOption{}, fmt.Errorf("code %d is not 1-254", code)
	case code == 1 || code == 12 || (code >= 50 && code <= 61) || code == 82:
		return dhcpv1alpha1.CustomOption{}, fmt.Errorf("option %d is set by the server", code)
	case len(value) > 255:
		return dhcpv1alpha1.CustomOption{}, fmt.Errorf("value longer than 255 characters")
	}
	return dhcpv1alpha1.CustomOption{Code: int32(code), Type: typ, Value: value}, nil
}
