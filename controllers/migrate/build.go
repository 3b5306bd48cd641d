package migrate

import (
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// Objects are the kubedhcp objects an import writes.
type Objects struct {
	Subnets      []dhcpv1alpha1.Subnet
	Pools        []dhcpv1alpha1.Pool
	Reservations []dhcpv1alpha1.Reservation
}

// settings are what a scope (the whole file, or one subnet) gives its
// clients: options, lease times, boot rules and the next server.
type settings struct {
	opts          dhcpv1alpha1.DHCPOptions
	custom        []dhcpv1alpha1.CustomOption
	times         dhcpv1alpha1.LeaseTimes
	rules         []dhcpv1alpha1.BootRule
	nextServer    string
	serverName    string
	authoritative bool
	denyUnknown   bool
}

// network is one subnet as it is read.
type network struct {
	prefix     netip.Prefix
	line       int
	own        settings
	pools      []dhcpv1alpha1.PoolSpec
	interfaces []dhcpv1alpha1.InterfaceName
	relays     []dhcpv1alpha1.IPv4Address
}

// host is one reservation as it is read, placed in the Subnet holding its
// address when the import finishes.
type host struct {
	name string
	spec dhcpv1alpha1.ReservationSpec
	line int
	text string
}

// settings puts what a host's own statements set into its Reservation:
// options, custom options and its boot file and server.
func (h *host) settings(set settings) {
	if !isZeroOptions(set.opts) {
		h.spec.Options = &set.opts
	}
	h.spec.CustomOptions = append(h.spec.CustomOptions, set.custom...)
	if boot := bootOf(nil, set, settings{}); boot != nil {
		h.spec.Boot = boot
	}
}

// builder gathers what a configuration file says, in the terms of kubedhcp
// objects, whichever server's file it is; each reader fills one.
type builder struct {
	ns       string
	global   settings
	first    []dhcpv1alpha1.BootRule // rules before any scope's (Kea's classes override subnet and global)
	networks []*network
	hosts    []host
	skipped  []Skipped
}

func (b *builder) skip(line int, text, why string) {
	b.skipped = append(b.skipped, Skipped{Line: line, Text: text, Why: why})
}

// network returns the network of prefix, adding it when it is new.
func (b *builder) network(prefix netip.Prefix, line int) *network {
	for _, n := range b.networks {
		if n.prefix == prefix {
			return n
		}
	}
	n := &network{prefix: prefix, line: line}
	b.networks = append(b.networks, n)
	return n
}

// networkOf is the network holding a, nil when none does.
func (b *builder) networkOf(a netip.Addr) *network {
	var best *network
	for _, n := range b.networks {
		if n.prefix.Contains(a) && (best == nil || n.prefix.Bits() > best.prefix.Bits()) {
			best = n
		}
	}
	return best
}

// subnetName names a Subnet after its network: net-10-0-0-0-24.
func subnetName(p netip.Prefix) string {
	return "net-" + strings.ReplaceAll(p.Addr().String(), ".", "-") + "-" + strconv.Itoa(p.Bits())
}

// result is the objects and what was not imported, by line.
func (b *builder) result() (Objects, []Skipped, error) {
	objs := b.finish()
	sort.SliceStable(b.skipped, func(i, j int) bool { return b.skipped[i].Line < b.skipped[j].Line })
	return objs, b.skipped, nil
}

// finish writes the objects: every network a Subnet carrying the global
// settings under its own, its pools Pools named after the Subnet, and each
// host a Reservation in the Subnet holding its address.
func (b *builder) finish() Objects {
	var out Objects
	sort.SliceStable(b.networks, func(i, j int) bool { return b.networks[i].prefix.Addr().Less(b.networks[j].prefix.Addr()) })
	for _, n := range b.networks {
		name := subnetName(n.prefix)
		out.Subnets = append(out.Subnets, b.subnet(n, name))
		sort.SliceStable(n.pools, func(i, j int) bool { return rangeStart(n.pools[i]).Less(rangeStart(n.pools[j])) })
		for i, p := range n.pools {
			p.Subnet = dhcpv1alpha1.ObjectName(name)
			out.Pools = append(out.Pools, dhcpv1alpha1.Pool{TypeMeta: typeMeta("Pool"),
				ObjectMeta: metav1.ObjectMeta{Name: name + "-pool-" + strconv.Itoa(i+1), Namespace: b.ns}, Spec: p})
		}
	}
	names := map[string]bool{}
	for _, h := range b.hosts {
		if r, ok := b.reservation(h, names); ok {
			out.Reservations = append(out.Reservations, r)
		}
	}
	return out
}

func rangeStart(p dhcpv1alpha1.PoolSpec) netip.Addr {
	if len(p.Ranges) == 0 {
		return netip.Addr{}
	}
	a, _ := netip.ParseAddr(string(p.Ranges[0].Start))
	return a
}

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: dhcpv1alpha1.GroupVersion.String(), Kind: kind}
}

// subnet is the Subnet of n: its own settings over the global ones.
func (b *builder) subnet(n *network, name string) dhcpv1alpha1.Subnet {
	sn := dhcpv1alpha1.Subnet{TypeMeta: typeMeta("Subnet"), ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: b.ns},
		Spec: dhcpv1alpha1.SubnetSpec{CIDR: dhcpv1alpha1.IPv4CIDR(n.prefix.String()), Interfaces: n.interfaces, RelayAddresses: n.relays,
			Authoritative: n.own.authoritative || b.global.authoritative, DenyUnknownClients: n.own.denyUnknown || b.global.denyUnknown}}
	opts := *n.own.opts.DeepCopy()
	overlay(&opts, &b.global.opts)
	if !isZeroOptions(opts) {
		sn.Spec.Options = &opts
	}
	sn.Spec.CustomOptions = mergeCustom(n.own.custom, b.global.custom)
	lt := *n.own.times.DeepCopy()
	overlay(&lt, &b.global.times)
	if !equality.Semantic.DeepEqual(lt, dhcpv1alpha1.LeaseTimes{}) {
		sn.Spec.LeaseTime = &lt
	}
	sn.Spec.Boot = bootOf(b.first, n.own, b.global)
	return sn
}

// bootOf is a Subnet's boot: the rules that come first, its own rules,
// then the global ones, up to the first that fits every client.
func bootOf(first []dhcpv1alpha1.BootRule, own, global settings) *dhcpv1alpha1.Boot {
	boot := &dhcpv1alpha1.Boot{NextServer: dhcpv1alpha1.IPv4Address(own.nextServer), ServerName: own.serverName}
	if boot.NextServer == "" {
		boot.NextServer = dhcpv1alpha1.IPv4Address(global.nextServer)
	}
	if boot.ServerName == "" {
		boot.ServerName = global.serverName
	}
	for _, r := range append(append(append([]dhcpv1alpha1.BootRule{}, first...), own.rules...), global.rules...) {
		boot.Rules = append(boot.Rules, r)
		if equality.Semantic.DeepEqual(r.Match, dhcpv1alpha1.BootMatch{}) {
			break
		}
	}
	if equality.Semantic.DeepEqual(*boot, dhcpv1alpha1.Boot{}) {
		return nil
	}
	return boot
}

// isZeroOptions reports whether o sets no option.
func isZeroOptions(o dhcpv1alpha1.DHCPOptions) bool {
	return equality.Semantic.DeepEqual(o, dhcpv1alpha1.DHCPOptions{})
}

// overlay sets each zero field of dst (a pointer to a struct) to src's.
func overlay(dst, src any) {
	d, s := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	for i := range d.NumField() {
		if d.Field(i).IsZero() {
			d.Field(i).Set(s.Field(i))
		}
	}
}

// mergeCustom is own's custom options and those of global whose code own
// does not have.
func mergeCustom(own, global []dhcpv1alpha1.CustomOption) []dhcpv1alpha1.CustomOption {
	out := append([]dhcpv1alpha1.CustomOption{}, own...)
	for _, g := range global {
		if !hasCode(out, g.Code) {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func hasCode(cs []dhcpv1alpha1.CustomOption, code int32) bool {
	for _, c := range cs {
		if c.Code == code {
			return true
		}
	}
	return false
}

// reservation places h in the Subnet holding its address.
func (b *builder) reservation(h host, names map[string]bool) (dhcpv1alpha1.Reservation, bool) {
	a, err := netip.ParseAddr(string(h.spec.IPAddress))
	switch {
	case h.spec.IPAddress == "":
		b.skip(h.line, h.text, "no address: kubedhcp reserves an address for a client, and keeps per-client settings on that Reservation")
		return dhcpv1alpha1.Reservation{}, false
	case err != nil || !a.Is4():
		b.skip(h.line, h.text, strconv.Quote(string(h.spec.IPAddress))+" is not an IPv4 address (names are not resolved)")
		return dhcpv1alpha1.Reservation{}, false
	case h.spec.MACAddress == "" && h.spec.ClientID == "":
		b.skip(h.line, h.text, "a reservation needs an Ethernet address or a client identifier")
		return dhcpv1alpha1.Reservation{}, false
	}
	n := b.networkOf(a)
	if n == nil {
		b.skip(h.line, h.text, a.String()+" is in no subnet")
		return dhcpv1alpha1.Reservation{}, false
	}
	if h.spec.MACAddress != "" {
		mac, ok := normalMAC(string(h.spec.MACAddress))
		if !ok {
			b.skip(h.line, h.text, string(h.spec.MACAddress)+" is not an Ethernet address")
			return dhcpv1alpha1.Reservation{}, false
		}
		h.spec.MACAddress = dhcpv1alpha1.MACAddress(mac)
	}
	if hn := string(h.spec.Hostname); hn != "" && (len(hn) > 253 || !hostnameRE.MatchString(hn)) {
		b.skipped = append(b.skipped, Skipped{Line: h.line, Text: h.text, Partly: true,
			Why: "host name " + strconv.Quote(hn) + " is not a valid host name: left out"})
		h.spec.Hostname = ""
	}
	name := objectName(h.name)
	if name == "" || names[name] {
		name = "host-" + strings.ReplaceAll(a.String(), ".", "-")
	}
	names[name] = true
	h.spec.Subnet = dhcpv1alpha1.ObjectName(subnetName(n.prefix))
	return dhcpv1alpha1.Reservation{TypeMeta: typeMeta("Reservation"), ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: b.ns},
		Spec: h.spec}, true
}

// hostnameRE is the API's Hostname pattern; domainRE its DomainName's.
var (
	hostnameRE = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?[.])*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)
	domainRE   = regexp.MustCompile(`^([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?[.])*[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?[.]?$`)
)

// normalMAC writes an Ethernet address as the API does (00:1b:a9:12:34:56),
// from dhcpd's 0:1b:a9:12:34:56 or dashes too.
func normalMAC(s string) (string, bool) {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '-' })
	if len(parts) != 6 {
		return "", false
	}
	out := make([]string, 6)
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 16, 8)
		if err != nil || len(p) > 2 {
			return "", false
		}
		out[i] = fmt.Sprintf("%02x", n)
	}
	return strings.Join(out, ":"), true
}

// objectName makes s a Kubernetes object name (RFC 1123 subdomain): lower
// case, other characters as '-', trimmed; empty when nothing is left.
func objectName(s string) string {
	s = strings.ToLower(strings.Trim(s, `"`))
	var sb strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-':
			sb.WriteRune(r)
		default:
			sb.WriteByte('-')
		}
	}
	out := strings.Trim(sb.String(), "-.")
	if len(out) > 253 {
		out = strings.Trim(out[:253], "-.")
	}
	return out
}

// parseRange reads "A - B", "A-B" or a CIDR (Kea's pool forms) or two
// words A B.
func parseRange(s string) (dhcpv1alpha1.AddressRange, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() {
		return dhcpv1alpha1.AddressRange{CIDR: dhcpv1alpha1.IPv4CIDR(p.Masked().String())}, nil
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == ' ' || r == '\t' })
	if len(parts) != 2 {
		return dhcpv1alpha1.AddressRange{}, fmt.Errorf("%q is not a range FIRST - LAST", s)
	}
	a, err1 := netip.ParseAddr(parts[0])
	z, err2 := netip.ParseAddr(parts[1])
	if err1 != nil || err2 != nil || !a.Is4() || !z.Is4() || z.Less(a) {
		return dhcpv1alpha1.AddressRange{}, fmt.Errorf("%q is not a range of IPv4 addresses, first to last", s)
	}
	return dhcpv1alpha1.AddressRange{Start: dhcpv1alpha1.IPv4Address(a.String()), End: dhcpv1alpha1.IPv4Address(z.String())}, nil
}

// addPool adds a pool of ranges to the network holding them; false with a
// reason when no network does.
func (b *builder) addPool(p dhcpv1alpha1.PoolSpec) (string, bool) {
	first := rangeStart(p)
	if !first.IsValid() && len(p.Ranges) > 0 && p.Ranges[0].CIDR != "" {
		if pr, err := netip.ParsePrefix(string(p.Ranges[0].CIDR)); err == nil {
			first = pr.Addr()
		}
	}
	n := b.networkOf(first)
	if n == nil {
		return "in no subnet", false
	}
	n.pools = append(n.pools, p)
	return "", true
}
