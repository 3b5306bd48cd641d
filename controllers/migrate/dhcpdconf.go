package migrate

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

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

// statement is one dhcpd.conf statement: its words, its block (if it
// opens one) and its line.
type statement struct {
	words []string
	block []statement
	line  int
}

// ReadDhcpdConf reads an ISC dhcpd.conf: each subnet becomes a Subnet
// (its options, lease times), each range a Pool, each host with
// hardware ethernet and fixed-address a Reservation in the Subnet holding
// the address. Every statement that does not map is listed with its line.
func ReadDhcpdConf(r io.Reader, ns string) (Objects, []Skipped, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return Objects{}, nil, err
	}
	stmts, err := parseConf(string(src))
	if err != nil {
		return Objects{}, nil, err
	}
	c := &conf{ns: ns}
	global := &dhcpv1alpha1.DHCPOptions{}
	var globalTimes dhcpv1alpha1.LeaseTimes
	var hosts []statement
	for _, s := range stmts {
		switch {
		case s.words[0] == "subnet":
			c.subnet(s, global, globalTimes)
		case s.words[0] == "host":
			hosts = append(hosts, s)
		case !c.option(s, global, &globalTimes):
			c.skip(s, "not mapped")
		}
	}
	for _, h := range hosts {
		c.host(h)
	}
	return c.out, c.skipped, nil
}

type conf struct {
	ns      string
	out     Objects
	skipped []Skipped
}

func (c *conf) skip(s statement, why string) {
	c.skipped = append(c.skipped, Skipped{s.line, strings.Join(s.words, " "), why})
}

// subnet maps "subnet A netmask M { ... }".
func (c *conf) subnet(s statement, global *dhcpv1alpha1.DHCPOptions, times dhcpv1alpha1.LeaseTimes) {
	if len(s.words) != 4 || s.words[2] != "netmask" {
		c.skip(s, "not subnet ADDRESS netmask MASK")
		return
	}
	prefix, err := toPrefix(s.words[1], s.words[3])
	if err != nil {
		c.skip(s, err.Error())
		return
	}
	name := "net-" + strings.ReplaceAll(prefix.Addr().String(), ".", "-") + "-" + strconv.Itoa(prefix.Bits())
	opts := *global.DeepCopy()
	lt := *times.DeepCopy()
	var ranges []dhcpv1alpha1.AddressRange
	for _, b := range s.block {
		switch {
		case b.words[0] == "range" && len(b.words) == 3:
			ranges = append(ranges, dhcpv1alpha1.AddressRange{Start: dhcpv1alpha1.IPv4Address(b.words[1]), End: dhcpv1alpha1.IPv4Address(b.words[2])})
		case b.words[0] == "host":
			c.host(b)
		case !c.option(b, &opts, &lt):
			c.skip(b, "not mapped")
		}
	}
	sn := dhcpv1alpha1.Subnet{TypeMeta: metav1.TypeMeta{APIVersion: dhcpv1alpha1.GroupVersion.String(), Kind: "Subnet"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.ns},
		Spec:       dhcpv1alpha1.SubnetSpec{CIDR: dhcpv1alpha1.IPv4CIDR(prefix.String())}}
	if !equality.Semantic.DeepEqual(opts, dhcpv1alpha1.DHCPOptions{}) {
		sn.Spec.Options = &opts
	}
	if lt.Default != nil || lt.Max != nil {
		sn.Spec.LeaseTime = &lt
	}
	c.out.Subnets = append(c.out.Subnets, sn)
	if len(ranges) > 0 {
		c.out.Pools = append(c.out.Pools, dhcpv1alpha1.Pool{TypeMeta: metav1.TypeMeta{APIVersion: dhcpv1alpha1.GroupVersion.String(), Kind: "Pool"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.ns},
			Spec:       dhcpv1alpha1.PoolSpec{Subnet: dhcpv1alpha1.ObjectName(name), Ranges: ranges}})
	}
}

// option maps an option or lease-time statement into o and lt; false when
// it is not one kubedhcp has.
func (c *conf) option(s statement, o *dhcpv1alpha1.DHCPOptions, lt *dhcpv1alpha1.LeaseTimes) bool {
	w := s.words
	switch {
	case w[0] == "default-lease-time" && len(w) == 2:
		return seconds(w[1], &lt.Default)
	case w[0] == "max-lease-time" && len(w) == 2:
		return seconds(w[1], &lt.Max)
	case w[0] != "option" || len(w) < 3:
		return false
	}
	args := strings.Split(strings.Join(w[2:], ""), ",")
	switch w[1] {
	case "routers":
		o.Routers = addrs(args)
	case "domain-name-servers":
		o.DNSServers = addrs(args)
	case "ntp-servers":
		o.NTPServers = addrs(args)
	case "domain-name":
		o.DomainName = dhcpv1alpha1.DomainName(strings.Trim(w[2], `"`))
	default:
		return false
	}
	return true
}

// host maps "host NAME { hardware ethernet MAC; fixed-address IP; }".
func (c *conf) host(s statement) {
	var mac, ip string
	for _, b := range s.block {
		switch {
		case len(b.words) == 3 && b.words[0] == "hardware" && b.words[1] == "ethernet":
			mac = b.words[2]
		case len(b.words) == 2 && b.words[0] == "fixed-address":
			ip = b.words[1]
		default:
			c.skip(b, "not mapped (in host "+strings.Join(s.words[1:], " ")+")")
		}
	}
	a, err := netip.ParseAddr(ip)
	if mac == "" || err != nil {
		c.skip(s, "a host needs hardware ethernet and an IPv4 fixed-address")
		return
	}
	var subnet string
	for _, sn := range c.out.Subnets {
		if p, err := netip.ParsePrefix(string(sn.Spec.CIDR)); err == nil && p.Contains(a) {
			subnet = sn.Name
		}
	}
	if subnet == "" {
		c.skip(s, ip+" is in no subnet")
		return
	}
	name := strings.ToLower(strings.Trim(s.words[1], `"`))
	c.out.Reservations = append(c.out.Reservations, dhcpv1alpha1.Reservation{
		TypeMeta:   metav1.TypeMeta{APIVersion: dhcpv1alpha1.GroupVersion.String(), Kind: "Reservation"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.ns},
		Spec: dhcpv1alpha1.ReservationSpec{Subnet: dhcpv1alpha1.ObjectName(subnet), MACAddress: dhcpv1alpha1.MACAddress(strings.ToLower(mac)),
			IPAddress: dhcpv1alpha1.IPv4Address(ip)}})
}

func seconds(v string, d **metav1.Duration) bool {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return false
	}
	*d = &metav1.Duration{Duration: time.Duration(n) * time.Second}
	return true
}

func addrs(args []string) []dhcpv1alpha1.IPv4Address {
	out := make([]dhcpv1alpha1.IPv4Address, 0, len(args))
	for _, a := range args {
		if a != "" {
			out = append(out, dhcpv1alpha1.IPv4Address(a))
		}
	}
	return out
}

func toPrefix(addr, mask string) (netip.Prefix, error) {
	a, err1 := netip.ParseAddr(addr)
	m, err2 := netip.ParseAddr(mask)
	if err1 != nil || err2 != nil || !a.Is4() || !m.Is4() {
		return netip.Prefix{}, fmt.Errorf("subnet %s netmask %s: not IPv4", addr, mask)
	}
	b := m.As4()
	bits := 0
	for _, x := range b {
		for i := 7; i >= 0; i-- {
			if x&(1<<i) == 0 {
				return netip.PrefixFrom(a, bits).Masked(), nil
			}
			bits++
		}
	}
	return netip.PrefixFrom(a, bits).Masked(), nil
}

// parseConf splits dhcpd.conf into statements: words up to ';', or up to
// '{' with the block that follows. Comments (#) and quoted strings are
// respected.
func parseConf(src string) ([]statement, error) {
	p := &confParser{src: src, line: 1}
	return p.block(true)
}

type confParser struct {
	src  string
	pos  int
	line int
}

func (p *confParser) block(top bool) ([]statement, error) {
	var out []statement
	cur := statement{}
	for {
		tok, kind := p.next()
		switch kind {
		case 0: // end of input
			if len(cur.words) > 0 {
				return out, fmt.Errorf("line %d: statement without ';'", cur.line)
			}
			if !top {
				return out, fmt.Errorf("line %d: block without '}'", p.line)
			}
			return out, nil
		case '}':
			if top {
				return out, fmt.Errorf("line %d: '}' without a block", p.line)
			}
			if len(cur.words) > 0 {
				return out, fmt.Errorf("line %d: statement without ';'", cur.line)
			}
			return out, nil
		case ';':
			if len(cur.words) > 0 {
				out = append(out, cur)
			}
			cur = statement{}
		case '{':
			inner, err := p.block(false)
			if err != nil {
				return out, err
			}
			if len(cur.words) == 0 {
				return out, fmt.Errorf("line %d: block without a statement", p.line)
			}
			cur.block = inner
			out = append(out, cur)
			cur = statement{}
		default:
			if len(cur.words) == 0 {
				cur.line = p.line
			}
			cur.words = append(cur.words, tok)
		}
	}
}

// next returns the next word (kind 'w'), or one of ; { } as its kind, or
// kind 0 at the end.
func (p *confParser) next() (string, byte) {
	for p.pos < len(p.src) {
		ch := p.src[p.pos]
		switch ch {
		case '\n':
			p.line++
			p.pos++
		case ' ', '\t', '\r':
			p.pos++
		case '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		case ';', '{', '}':
			p.pos++
			return string(ch), ch
		case '"':
			end := strings.IndexByte(p.src[p.pos+1:], '"')
			if end < 0 {
				end = len(p.src) - p.pos - 1
			}
			tok := p.src[p.pos : p.pos+end+2]
			p.pos += end + 2
			return tok, 'w'
		default:
			start := p.pos
			for p.pos < len(p.src) && !strings.ContainsRune(" \t\r\n;{}#\"", rune(p.src[p.pos])) {
				p.pos++
			}
			return p.src[start:p.pos], 'w'
		}
	}
	return "", 0
}
