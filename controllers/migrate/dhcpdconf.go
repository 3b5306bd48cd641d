package migrate

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// ReadDhcpdConf reads an ISC dhcpd.conf: each subnet becomes a Subnet
// (options, lease times, authoritative, boot), each pool or the ranges
// outside pools a Pool (a pool's "allow members of" a class that maps
// becomes its client classes), if/elsif/else chains choosing a filename
// become boot rules, and each host with hardware ethernet or a client
// identifier and a fixed-address a Reservation. Every statement that does
// not map is listed with its line.
func ReadDhcpdConf(r io.Reader, ns string) (Objects, []Skipped, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return Objects{}, nil, err
	}
	stmts, err := parseConf(string(src))
	if err != nil {
		return Objects{}, nil, err
	}
	c := &dhcpdConf{b: &builder{ns: ns}, classes: map[string]cond{}, names: map[string]int{}, types: map[string]dhcpv1alpha1.CustomOptionType{}}
	c.scope(stmts, &c.b.global, nil)
	return c.b.result()
}

// dhcpdConf reads dhcpd.conf statements into a builder.
type dhcpdConf struct {
	b       *builder
	classes map[string]cond                          // class name: its match, when it maps
	names   map[string]int                           // declared option names: code
	types   map[string]dhcpv1alpha1.CustomOptionType // declared option names: type
}

func (c *dhcpdConf) skip(s statement, why string) {
	c.b.skip(s.line, strings.Join(s.words, " "), why)
}

// scope reads the statements of the file or of a subnet (n) into set.
// Boot chains are collected in order and turned into rules at the end: a
// later statement overrides an earlier one in dhcpd, a rule listed earlier
// wins in kubedhcp.
func (c *dhcpdConf) scope(stmts []statement, set *settings, n *network) {
	var chains [][]dhcpv1alpha1.BootRule
	var ranges []dhcpv1alpha1.AddressRange
	var rangeLine int
	for _, s := range stmts {
		w := s.words
		switch {
		case c.bootChain(s, &chains):
		case w[0] == "range" && n != nil:
			if r, ok := c.rangeOf(s); ok {
				ranges = append(ranges, r)
				rangeLine = s.line
			}
		case w[0] == "pool" && n != nil:
			c.pool(s, n)
		case n == nil && c.topLevel(s):
		case w[0] == "host" && len(w) == 2:
			c.host(s)
		case w[0] == "group":
			c.group(s)
		default:
			c.setting(s, set)
		}
	}
	for i := len(chains) - 1; i >= 0; i-- {
		set.rules = append(set.rules, chains[i]...)
	}
	if len(ranges) > 0 {
		if why, ok := c.b.addPool(dhcpv1alpha1.PoolSpec{Ranges: ranges}); !ok {
			c.b.skip(rangeLine, "range", why)
		}
	}
}

// topLevel reads the declarations only the file's top level has: subnet,
// shared-network and class; false for any other statement.
func (c *dhcpdConf) topLevel(s statement) bool {
	w := s.words
	switch {
	case w[0] == "subnet":
		c.subnet(s)
	case w[0] == "shared-network":
		c.skip(statement{words: w[:min(2, len(w))], line: s.line},
			"kubedhcp has no shared networks: its subnets are imported each on its own (a relay of one reaches only its own; add relayAddresses)")
		c.sharedNetwork(s)
	case w[0] == "class" && len(w) == 2:
		c.class(s)
	default:
		return false
	}
	return true
}

// sharedNetwork imports the subnets and hosts of a shared-network; its
// own statements are listed, since they would apply to its subnets only.
func (c *dhcpdConf) sharedNetwork(s statement) {
	for _, b := range s.block {
		switch {
		case b.words[0] == "subnet":
			c.subnet(b)
		case b.words[0] == "host" && len(b.words) == 2:
			c.host(b)
		case b.words[0] == "pool":
			c.pool(b, nil) // into the Subnet holding its first range
		default:
			c.skip(b, "not mapped (in a shared-network: set it on each Subnet)")
		}
	}
}

// bootChain reads if, elsif, else and filename into chains; false when s
// is none of them.
func (c *dhcpdConf) bootChain(s statement, chains *[][]dhcpv1alpha1.BootRule) bool {
	w := s.words
	switch {
	case w[0] == "if":
		*chains = append(*chains, c.ifChain(s))
	case w[0] == "elsif" || w[0] == "else":
		if len(*chains) == 0 {
			c.skip(s, w[0]+" without if")
			return true
		}
		last := len(*chains) - 1
		(*chains)[last] = append((*chains)[last], c.ifChain(s)...)
	case w[0] == "filename" && len(w) == 2:
		*chains = append(*chains, []dhcpv1alpha1.BootRule{{BootFileName: unquote(w[1])}})
	default:
		return false
	}
	return true
}

// setting maps a statement that sets something for a scope.
func (c *dhcpdConf) setting(s statement, set *settings) {
	w := s.words
	var err error
	switch {
	case len(w) == 2 && leaseTimeOf(w[0], &set.times) != nil:
		err = seconds(w[1], leaseTimeOf(w[0], &set.times))
	case w[0] == "authoritative" && len(w) == 1:
		set.authoritative = true
	case strings.Join(w, " ") == "deny unknown-clients" || strings.Join(w, " ") == "ignore unknown-clients":
		set.denyUnknown = true
	case w[0] == "next-server" && len(w) == 2:
		_, err = ipv4List(w[1:])
		set.nextServer = w[1]
	case w[0] == "server-name" && len(w) == 2:
		set.serverName = unquote(w[1])
	case w[0] == "option" && len(w) >= 4 && w[2] == "code":
		err = c.declare(s)
	case w[0] == "option" && len(w) >= 3:
		err = c.option(w[1], strings.Join(w[2:], " "), set)
	default:
		err = fmt.Errorf("not mapped")
	}
	if err != nil {
		c.skip(s, err.Error())
	}
}

// leaseTimeOf is the field of lt a lease-time statement sets, nil for
// other statements.
func leaseTimeOf(keyword string, lt *dhcpv1alpha1.LeaseTimes) **metav1.Duration {
	return map[string]**metav1.Duration{"default-lease-time": &lt.Default, "max-lease-time": &lt.Max, "min-lease-time": &lt.Min}[keyword]
}

// option sets option name to value in set.
func (c *dhcpdConf) option(name, value string, set *settings) error {
	if code, ok := iscOptionNames[name]; ok {
		if code == 1 || code == 12 {
			return serverSet(code)
		}
		return setOption(&set.opts, code, splitValues(value))
	}
	if std, ok := standardOptions[name]; ok {
		co, err := standardCustom(std.code, std.typ, value)
		return c.custom(set, co, err)
	}
	code, ok := c.names[name]
	if !ok {
		return fmt.Errorf("option %s has no kubedhcp field", name)
	}
	if code == 121 { // declared by the configuration, as RFC 3442 octets
		return setOption(&set.opts, code, splitValues(value))
	}
	typ := c.types[name]
	if typ == "" {
		return fmt.Errorf("option %s (code %d): its type does not map to a custom option", name, code)
	}
	if typ == dhcpv1alpha1.CustomText || typ == dhcpv1alpha1.CustomDomainList {
		value = unquote(value)
	}
	co, err := customOption(code, typ, value)
	return c.custom(set, co, err)
}

// custom adds co to set, unless err says why not.
func (c *dhcpdConf) custom(set *settings, co dhcpv1alpha1.CustomOption, err error) error {
	if err == nil {
		set.custom = append(set.custom, co)
	}
	return err
}

// declare reads "option NAME code N = TYPE".
func (c *dhcpdConf) declare(s statement) error {
	w := s.words
	code, err := strconv.Atoi(w[3])
	if err != nil || len(w) < 6 || w[4] != "=" {
		return fmt.Errorf("not option NAME code N = TYPE")
	}
	c.names[w[1]] = code
	typ := map[string]dhcpv1alpha1.CustomOptionType{"ip-address": "ip", "array of ip-address": "ipList", "unsigned integer 8": "uint8",
		"unsigned integer 16": "uint16", "unsigned integer 32": "uint32", "signed integer 8": "int8", "signed integer 16": "int16",
		"signed integer 32": "int32", "integer 8": "int8", "integer 16": "int16", "integer 32": "int32", "text": "text",
		"string": "hex", "boolean": "bool", "domain-list": "domainList"}[strings.Join(w[5:], " ")]
	if typ != "" {
		c.types[w[1]] = typ
	}
	return nil
}

// subnet maps "subnet A netmask M { ... }".
func (c *dhcpdConf) subnet(s statement) {
	if len(s.words) != 4 || s.words[2] != "netmask" {
		c.skip(s, "not subnet ADDRESS netmask MASK")
		return
	}
	prefix, err := toPrefix(s.words[1], s.words[3])
	if err != nil {
		c.skip(s, err.Error())
		return
	}
	n := c.b.network(prefix, s.line)
	c.scope(s.block, &n.own, n)
}

// rangeOf reads "range [dynamic-bootp] A [B]".
func (c *dhcpdConf) rangeOf(s statement) (dhcpv1alpha1.AddressRange, bool) {
	w := s.words[1:]
	if len(w) > 0 && w[0] == "dynamic-bootp" {
		c.skip(s, "BOOTP clients are not served: the range is imported for DHCP clients")
		w = w[1:]
	}
	if len(w) == 1 {
		w = append(w, w[0])
	}
	r, err := parseRange(strings.Join(w, " "))
	if err != nil {
		c.skip(s, err.Error())
		return r, false
	}
	return r, true
}

// pool maps "pool { range ..; allow members of "class"; ... }" into n, or
// when n is nil (a pool of a shared-network) into the network holding its
// first range.
func (c *dhcpdConf) pool(s statement, n *network) {
	var p dhcpv1alpha1.PoolSpec
	var set settings
	var classes cond
	for _, b := range s.block {
		w := b.words
		var err error
		switch {
		case w[0] == "range":
			if r, ok := c.rangeOf(b); ok {
				p.Ranges = append(p.Ranges, r)
			}
		case w[0] == "allow" || w[0] == "deny":
			var cl cond
			if cl, err = c.permit(w); err == nil {
				classes, err = classes.and(cl)
			}
		case w[0] == "option" || strings.HasSuffix(w[0], "-lease-time"):
			c.setting(b, &set)
		default:
			err = fmt.Errorf("not mapped (in a pool)")
		}
		if err != nil {
			c.skip(b, err.Error())
		}
	}
	if len(p.Ranges) == 0 {
		c.skip(s, "a pool without a range")
		return
	}
	if !classes.empty() {
		p.ClientClasses = classes.classes()
	}
	if !isZeroOptions(set.opts) {
		p.Options = &set.opts
	}
	if set.times != (dhcpv1alpha1.LeaseTimes{}) {
		p.LeaseTime = &set.times
	}
	p.CustomOptions = set.custom
	if n != nil {
		n.pools = append(n.pools, p)
	} else if why, ok := c.b.addPool(p); !ok {
		c.skip(s, why)
	}
}

// permit reads a pool's allow or deny statement that maps: allow members
// of a class whose match maps, and known or unknown clients.
func (c *dhcpdConf) permit(w []string) (cond, error) {
	switch text := strings.Join(w, " "); {
	case len(w) == 4 && w[0] == "allow" && w[1] == "members" && w[2] == "of":
		cl, ok := c.classes[unquote(w[3])]
		if !ok {
			return cond{}, fmt.Errorf("class %s is not one that maps", w[3])
		}
		return cl, nil
	case text == "allow known-clients" || text == "deny unknown-clients":
		return cond{known: dhcpv1alpha1.KnownClientsOnly}, nil
	case text == "deny known-clients" || text == "allow unknown-clients":
		return cond{known: dhcpv1alpha1.KnownClientsDeny}, nil
	}
	return cond{}, fmt.Errorf("not mapped (in a pool)")
}

// class maps "class NAME { match if EXPR; }" when EXPR maps.
func (c *dhcpdConf) class(s statement) {
	for _, b := range s.block {
		if len(b.words) > 2 && b.words[0] == "match" && b.words[1] == "if" {
			cl, err := parseCond(strings.Join(b.words[2:], " "), c.names)
			if err != nil {
				c.skip(b, err.Error())
				continue
			}
			c.classes[unquote(s.words[1])] = cl
			continue
		}
		c.skip(b, "not mapped (in class "+s.words[1]+")")
	}
}

// ifChain maps one link of an if/elsif/else chain whose block names a
// filename into a boot rule.
func (c *dhcpdConf) ifChain(s statement) []dhcpv1alpha1.BootRule {
	var m dhcpv1alpha1.BootMatch
	if s.words[0] != "else" {
		cl, err := parseCond(strings.Join(s.words[1:], " "), c.names)
		if err == nil {
			m, err = cl.bootMatch()
		}
		if err != nil {
			c.skip(s, err.Error())
			return nil
		}
	}
	var rules []dhcpv1alpha1.BootRule
	for _, b := range s.block {
		if len(b.words) == 2 && b.words[0] == "filename" {
			rules = append(rules, dhcpv1alpha1.BootRule{Match: m, BootFileName: unquote(b.words[1])})
			continue
		}
		c.skip(b, "not mapped (under "+s.words[0]+"): only a filename maps to a boot rule")
	}
	return rules
}

// group imports the hosts of a group; its other statements are listed,
// since they apply only to its hosts.
func (c *dhcpdConf) group(s statement) {
	for _, b := range s.block {
		if b.words[0] == "host" && len(b.words) == 2 {
			c.host(b)
			continue
		}
		c.skip(b, "not mapped (in a group: kubedhcp has no groups; set it on each Reservation)")
	}
}

// host maps "host NAME { hardware ethernet MAC; fixed-address IP; ... }".
func (c *dhcpdConf) host(s statement) {
	h := host{name: unquote(s.words[1]), line: s.line, text: strings.Join(s.words, " ")}
	var set settings
	for _, b := range s.block {
		w := b.words
		switch {
		case len(w) == 3 && w[0] == "hardware" && w[1] == "ethernet":
			h.spec.MACAddress = dhcpv1alpha1.MACAddress(w[2])
		case len(w) == 2 && w[0] == "fixed-address":
			h.spec.IPAddress = dhcpv1alpha1.IPv4Address(w[1])
		case len(w) == 3 && w[0] == "option" && w[1] == "host-name":
			h.spec.Hostname = dhcpv1alpha1.Hostname(unquote(w[2]))
		case len(w) == 3 && w[0] == "option" && w[1] == "dhcp-client-identifier":
			h.spec.ClientID = dhcpv1alpha1.HexOctets(options.FormatHex(dhcpdOctets(w[2])))
		case len(w) == 2 && w[0] == "filename":
			set.rules = []dhcpv1alpha1.BootRule{{BootFileName: unquote(w[1])}}
		case w[0] == "option" || w[0] == "next-server" || w[0] == "server-name":
			c.setting(b, &set)
		default:
			c.skip(b, "not mapped (in host "+h.name+")")
		}
	}
	if h.spec.MACAddress != "" && h.spec.ClientID != "" {
		c.b.skipped = append(c.b.skipped, Skipped{Line: s.line, Text: h.text, Partly: true,
			Why: "a Reservation has one identity: the client identifier is kept, as dhcpd matches it first"})
		h.spec.MACAddress = ""
	}
	h.settings(set)
	c.b.hosts = append(c.b.hosts, h)
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

func seconds(v string, d **metav1.Duration) error {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a number of seconds", v)
	}
	*d = &metav1.Duration{Duration: time.Duration(n) * time.Second}
	return nil
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
