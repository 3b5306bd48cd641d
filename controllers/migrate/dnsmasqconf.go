package migrate

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// ReadDnsmasqConf reads a dnsmasq configuration: each dhcp-range with a
// netmask becomes a Pool of the Subnet it lies in (its lease time the
// Subnet's, a tag it requires the Pool's client classes), dhcp-option
// lines options of every Subnet or of the Subnet whose range sets their
// tag, dhcp-vendorclass, dhcp-userclass and dhcp-match on option 93 tags
// that Pools and dhcp-boot rules match on, and dhcp-host lines with an
// address Reservations. Every line that does not map is listed.
func ReadDnsmasqConf(r io.Reader, ns string) (Objects, []Skipped, error) {
	var lines []dnsmasqLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, value, _ := strings.Cut(text, "=")
		lines = append(lines, dnsmasqLine{n: n, text: text, key: strings.TrimSpace(key), value: strings.TrimSpace(value)})
	}
	if err := sc.Err(); err != nil {
		return Objects{}, nil, err
	}
	d := &dnsmasqConf{b: &builder{ns: ns}, tags: map[string]*dnsmasqTag{}}
	for _, l := range lines {
		d.first(l)
	}
	for _, l := range lines {
		d.second(l)
	}
	d.bootRules()
	return d.b.result()
}

type dnsmasqLine struct {
	n          int
	text       string
	key, value string
}

// dnsmasqTag is what a tag stands for: clients matching a class test, or
// the network of the dhcp-range that sets it.
type dnsmasqTag struct {
	cond    cond
	isClass bool
	network *network
}

type dnsmasqBoot struct {
	line       dnsmasqLine
	tags       []string
	file       string
	serverName string
	nextServer string
}

type dnsmasqConf struct {
	b     *builder
	tags  map[string]*dnsmasqTag
	boots []dnsmasqBoot
}

func (d *dnsmasqConf) skip(l dnsmasqLine, why string) {
	d.b.skip(l.n, l.text, why)
}

func (d *dnsmasqConf) partly(l dnsmasqLine, why string) {
	d.b.skipped = append(d.b.skipped, Skipped{Line: l.n, Text: l.text, Why: why, Partly: true})
}

// first reads the lines that define networks and tags.
func (d *dnsmasqConf) first(l dnsmasqLine) {
	switch l.key {
	case "dhcp-range":
		d.rangeNetwork(l)
	case "dhcp-vendorclass", "dhcp-userclass", "dhcp-match":
		d.classTag(l)
	}
}

// second reads the rest, now that every tag is known.
func (d *dnsmasqConf) second(l dnsmasqLine) {
	switch l.key {
	case "dhcp-range":
		d.rangePool(l)
	case "dhcp-vendorclass", "dhcp-userclass", "dhcp-match":
	case "dhcp-option", "dhcp-option-force":
		d.option(l)
	case "dhcp-host":
		d.host(l)
	case "dhcp-boot":
		d.boot(l)
	case "dhcp-authoritative":
		d.b.global.authoritative = true
	case "dhcp-ignore":
		if l.value != "tag:!known" {
			d.skip(l, "only dhcp-ignore=tag:!known maps (denyUnknownClients)")
			return
		}
		d.b.global.denyUnknown = true
	case "domain":
		if strings.Contains(l.value, ",") {
			d.skip(l, "a domain per range does not map")
			return
		}
		if d.b.global.opts.DomainName == "" {
			d.b.global.opts.DomainName = dhcpv1alpha1.DomainName(l.value)
		}
	default:
		d.skip(l, "not mapped")
	}
}

// rangeFields splits a dhcp-range into its tags and the rest.
func rangeFields(v string) (sets, needs []string, rest []string) {
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		switch {
		case strings.HasPrefix(f, "set:"):
			sets = append(sets, f[4:])
		case strings.HasPrefix(f, "net:"):
			sets = append(sets, f[4:])
		case strings.HasPrefix(f, "tag:"):
			needs = append(needs, f[4:])
		default:
			rest = append(rest, f)
		}
	}
	return sets, needs, rest
}

// dhcpRange is a dhcp-range's addresses, network and lease time.
type dhcpRange struct {
	r      dhcpv1alpha1.AddressRange
	prefix netip.Prefix
	lease  *metav1.Duration
}

func parseDhcpRange(rest []string) (dhcpRange, error) {
	var out dhcpRange
	if len(rest) < 3 || !isIPv4(rest[2]) {
		return out, fmt.Errorf("no netmask: dnsmasq takes it from the interface; write START,END,NETMASK")
	}
	start, err1 := netip.ParseAddr(rest[0])
	if err1 != nil || !start.Is4() {
		return out, fmt.Errorf("only IPv4 ranges START,END,NETMASK map")
	}
	r, err := parseRange(rest[0] + " " + rest[1])
	if err != nil {
		return out, err
	}
	prefix, err := toPrefix(rest[0], rest[2])
	if err != nil {
		return out, err
	}
	out.r, out.prefix = r, prefix
	for _, f := range rest[3:] {
		if a, err := netip.ParseAddr(f); err == nil && a.Is4() {
			continue // broadcast address, sent as the network's
		}
		d, err := dnsmasqDuration(f)
		if err != nil {
			return out, err
		}
		out.lease = d
	}
	return out, nil
}

// dnsmasqDuration reads 45m, 12h, 1d, 1w, 3600 or infinite.
func dnsmasqDuration(s string) (*metav1.Duration, error) {
	if s == "infinite" {
		return nil, fmt.Errorf("infinite leases do not map: kubedhcp's longest is 10 years")
	}
	unit := time.Second
	switch {
	case strings.HasSuffix(s, "m"):
		unit = time.Minute
	case strings.HasSuffix(s, "h"):
		unit = time.Hour
	case strings.HasSuffix(s, "d"):
		unit = 24 * time.Hour
	case strings.HasSuffix(s, "w"):
		unit = 7 * 24 * time.Hour
	}
	n, err := strconv.Atoi(strings.TrimRight(s, "mhdw"))
	if err != nil || n <= 0 || time.Duration(n)*unit > 87600*time.Hour {
		return nil, fmt.Errorf("%q is not a lease time", s)
	}
	return &metav1.Duration{Duration: time.Duration(n) * unit}, nil
}

// rangeNetwork adds the network of a dhcp-range and names it by the
// tags the range sets.
func (d *dnsmasqConf) rangeNetwork(l dnsmasqLine) {
	sets, _, rest := rangeFields(l.value)
	dr, err := parseDhcpRange(rest)
	if err != nil {
		return // said by rangePool
	}
	n := d.b.network(dr.prefix, l.n)
	for _, t := range sets {
		d.tags[t] = &dnsmasqTag{network: n}
	}
	if dr.lease != nil && n.own.times.Default == nil {
		n.own.times.Default, n.own.times.Max = dr.lease, dr.lease
	}
}

// rangePool adds a dhcp-range's pool, restricted to the classes of the
// tags it requires.
func (d *dnsmasqConf) rangePool(l dnsmasqLine) {
	_, needs, rest := rangeFields(l.value)
	dr, err := parseDhcpRange(rest)
	if err != nil {
		d.skip(l, err.Error())
		return
	}
	p := dhcpv1alpha1.PoolSpec{Ranges: []dhcpv1alpha1.AddressRange{dr.r}}
	if n := d.b.networkOf(netip.MustParseAddr(string(dr.r.Start))); dr.lease != nil && n != nil &&
		(n.own.times.Default == nil || *dr.lease != *n.own.times.Default) {
		p.LeaseTime = &dhcpv1alpha1.LeaseTimes{Default: dr.lease, Max: dr.lease}
	}
	c, err := d.tagCond(needs)
	if err != nil {
		d.partly(l, err.Error()+": the range is imported for every client")
	} else if !c.empty() {
		p.ClientClasses = c.classes()
	}
	if why, ok := d.b.addPool(p); !ok {
		d.skip(l, why)
	}
}

// tagCond is what a client must be to carry every one of tags.
func (d *dnsmasqConf) tagCond(tags []string) (cond, error) {
	var c cond
	for _, t := range tags {
		var one cond
		switch def := d.tags[t]; {
		case t == "known":
			one.known = dhcpv1alpha1.KnownClientsOnly
		case t == "!known":
			one.known = dhcpv1alpha1.KnownClientsDeny
		case def == nil || !def.isClass:
			return c, fmt.Errorf("tag %s is not a class that maps", t)
		default:
			one = def.cond
		}
		var err error
		if c, err = c.and(one); err != nil {
			return c, err
		}
	}
	return c, nil
}

// classTag reads dhcp-vendorclass=set:TAG,CLASS, dhcp-userclass=set:TAG,CLASS
// and dhcp-match=set:TAG,option:client-arch|93,N.
func (d *dnsmasqConf) classTag(l dnsmasqLine) {
	f := strings.Split(l.value, ",")
	if len(f) < 2 {
		d.skip(l, "not set:TAG,VALUE")
		return
	}
	tag := strings.TrimPrefix(strings.TrimPrefix(f[0], "set:"), "net:")
	var c cond
	switch l.key {
	case "dhcp-vendorclass":
		if strings.HasPrefix(f[1], "enterprise:") || len(f) != 2 {
			d.skip(l, "a vendor class of an enterprise number does not map")
			return
		}
		c.vendorClassPrefix = f[1]
		d.partly(l, "dnsmasq matches the class anywhere in option 60; kubedhcp as its start (vendorClassPrefix)")
	case "dhcp-userclass":
		c.userClass = f[1]
		d.partly(l, "dnsmasq matches the class anywhere in option 77; kubedhcp the whole (userClass)")
	default:
		if len(f) != 3 || (f[1] != "option:client-arch" && f[1] != "93") {
			d.skip(l, "only dhcp-match on option:client-arch (93) with a value maps")
			return
		}
		n, err := archNumber(f[2])
		if err != nil {
			d.skip(l, err.Error())
			return
		}
		c.arch = []dhcpv1alpha1.ClientArch{dhcpv1alpha1.ClientArch(n)}
	}
	prev, ok := d.tags[tag]
	switch {
	case !ok:
		d.tags[tag] = &dnsmasqTag{cond: c, isClass: true}
	case prev.isClass && len(prev.cond.arch) > 0 && len(c.arch) > 0 && prev.cond.vendorClassPrefix == "" && prev.cond.userClass == "":
		prev.cond.arch = append(prev.cond.arch, c.arch...) // two matches setting one tag: either sets it
	default:
		d.skip(l, "tag "+tag+" is set by another line too: only architectures combine")
	}
}

// option maps dhcp-option=[tag:T,]CODE|option:NAME,VALUE...
func (d *dnsmasqConf) option(l dnsmasqLine) {
	f := strings.Split(l.value, ",")
	set := &d.b.global
	for len(f) > 0 && strings.HasPrefix(f[0], "tag:") {
		def := d.tags[f[0][4:]]
		if def == nil || def.network == nil || set != &d.b.global {
			d.skip(l, "options per class or tag do not map: kubedhcp sets options per Subnet, Pool and Reservation")
			return
		}
		set = &def.network.own
		f = f[1:]
	}
	if len(f) == 0 || strings.Contains(f[0], ":") && !strings.HasPrefix(f[0], "option:") {
		d.skip(l, "encapsulated and vendor options do not map")
		return
	}
	code, ok := dnsmasqOptionNames[strings.TrimPrefix(f[0], "option:")]
	if n, err := strconv.Atoi(f[0]); err == nil {
		code, ok = n, true
	}
	values := splitValues(strings.Join(f[1:], ","))
	switch {
	case !ok:
		d.skip(l, "option "+f[0]+" is not one the importer knows")
	case code == 1 || code == 12:
		d.skip(l, serverSet(code).Error())
	case len(values) == 0 || strings.Join(values, "") == "0.0.0.0":
		d.skip(l, "dnsmasq fills this value with its own address: give the address")
	default:
		if err := d.setValues(set, code, values); err != nil {
			d.skip(l, err.Error())
		}
	}
}

// setValues sets option code to values in set: a typed option, else a
// custom one of the option's standard type, else of the type its values
// have.
func (d *dnsmasqConf) setValues(set *settings, code int, values []string) error {
	err := setOption(&set.opts, code, values)
	if typ := standardByCode[code]; err != nil && typ != "" {
		var co dhcpv1alpha1.CustomOption
		if co, err = standardCustom(code, typ, strings.Join(values, ",")); err == nil {
			set.custom = append(set.custom, co)
		}
		return err
	}
	if err != nil && strings.Contains(err.Error(), "no kubedhcp field") {
		return d.customOption(set, code, values)
	}
	return err
}

// customOption keeps an option of a code kubedhcp has no field for, when
// its values are addresses or one quoted text.
func (d *dnsmasqConf) customOption(set *settings, code int, values []string) error {
	typ := dhcpv1alpha1.CustomIPList
	if _, err := ipv4List(values); err != nil {
		if len(values) != 1 {
			return fmt.Errorf("option %d: only addresses or one text map to a custom option", code)
		}
		typ = dhcpv1alpha1.CustomText
		if b, err := parseHex(values[0]); err == nil && strings.Contains(values[0], ":") {
			typ, values = dhcpv1alpha1.CustomHex, []string{options.FormatHex(b)}
		}
	}
	co, err := customOption(code, typ, strings.Join(values, ","))
	if err == nil {
		set.custom = append(set.custom, co)
	}
	return err
}

// host maps dhcp-host=[MAC][,id:CLIENTID][,IP][,NAME][,LEASETIME].
func (d *dnsmasqConf) host(l dnsmasqLine) {
	h := host{line: l.n, text: l.text}
	for _, f := range strings.Split(l.value, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			h.spec.IPAddress = dhcpv1alpha1.IPv4Address(a.String())
			continue
		}
		switch {
		case strings.HasPrefix(f, "id:"):
			b, err := parseHex(f[3:])
			if err != nil {
				b = []byte(f[3:])
			}
			h.spec.ClientID = dhcpv1alpha1.HexOctets(options.FormatHex(b))
		case isMAC(f) && h.spec.MACAddress == "":
			h.spec.MACAddress = dhcpv1alpha1.MACAddress(strings.ToLower(f))
		case f == "ignore" || strings.HasPrefix(f, "set:") || strings.HasPrefix(f, "tag:") || isMAC(f) || strings.Contains(f, "*"):
			d.partly(l, f+" does not map")
		case f == "infinite" || f[0] >= '0' && f[0] <= '9':
			d.partly(l, "a lease time per host does not map")
		default:
			h.spec.Hostname = dhcpv1alpha1.Hostname(f)
			h.name = f
		}
	}
	if h.spec.IPAddress == "" {
		d.skip(l, "a host without an address: kubedhcp reserves addresses")
		return
	}
	d.b.hosts = append(d.b.hosts, h)
}

func isMAC(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 16, 8); err != nil || len(p) != 2 {
			return false
		}
	}
	return true
}

// boot reads dhcp-boot=[tag:T,...]FILE[,SERVERNAME[,SERVERADDRESS]].
func (d *dnsmasqConf) boot(l dnsmasqLine) {
	f := strings.Split(l.value, ",")
	b := dnsmasqBoot{line: l}
	for len(f) > 0 && (strings.HasPrefix(f[0], "tag:") || strings.HasPrefix(f[0], "net:")) {
		b.tags = append(b.tags, f[0][4:])
		f = f[1:]
	}
	if len(f) == 0 || f[0] == "" {
		d.skip(l, "no boot file")
		return
	}
	b.file = f[0]
	if len(f) > 1 {
		b.serverName = f[1]
	}
	if len(f) > 2 {
		b.nextServer = f[2]
	}
	d.boots = append(d.boots, b)
}

// bootRules turns the dhcp-boot lines into boot rules of every Subnet.
// dnsmasq takes the last line whose tags all match, and a line without
// tags only when no tagged line matches: so tagged lines come first, last
// first, and the untagged after them. A line negating a tag (tag:!x) is
// then moved after the lines that require x, which no client matches
// together with it, and its negation dropped once a line of tag x alone
// comes before it, as first-match then makes it the same. A negation that
// cannot be placed so is not imported: the rule without it would take
// clients the line does not.
func (d *dnsmasqConf) bootRules() {
	var order []dnsmasqBoot
	for i := len(d.boots) - 1; i >= 0; i-- {
		if len(d.boots[i].tags) > 0 {
			order = append(order, d.boots[i])
		}
	}
	for i := len(d.boots) - 1; i >= 0; i-- {
		if len(d.boots[i].tags) == 0 {
			order = append(order, d.boots[i])
		}
	}
	placeNegations(order)
	var before []string // tags of lines of that one tag, so far
	for _, b := range order {
		var need []string
		implied := true
		for _, t := range b.tags {
			switch {
			case strings.HasPrefix(t, "!"):
				implied = implied && slices.Contains(before, t[1:])
			default:
				need = append(need, t)
			}
		}
		if !implied {
			d.skip(b.line, "its tag:! negation cannot be matched: no line of that tag alone comes before it")
			continue
		}
		c, err := d.tagCond(need)
		var m dhcpv1alpha1.BootMatch
		if err == nil {
			m, err = c.bootMatch()
		}
		if err != nil {
			d.skip(b.line, err.Error())
			continue
		}
		if len(b.tags) == 1 && len(need) == 1 {
			before = append(before, need[0])
		}
		d.bootServer(b)
		d.b.global.rules = append(d.b.global.rules, dhcpv1alpha1.BootRule{Match: m, BootFileName: b.file})
	}
}

// placeNegations moves each line that negates a tag x after the lines
// that require x, when every line it passes is one no client matches
// together with it: passing those does not change which line a client
// gets.
func placeNegations(order []dnsmasqBoot) {
	for range len(order) * len(order) {
		if !moveOneNegation(order) {
			return
		}
	}
}

// moveOneNegation makes one such move; false when none is left.
func moveOneNegation(order []dnsmasqBoot) bool {
	for i, a := range order {
		for _, t := range a.tags {
			if !strings.HasPrefix(t, "!") {
				continue
			}
			last := -1 // the last line after a that requires the negated tag
			for j := i + 1; j < len(order); j++ {
				if slices.Contains(order[j].tags, t[1:]) {
					last = j
				}
			}
			if last < 0 || !disjointFrom(a, order[i+1:last+1]) {
				continue
			}
			copy(order[i:last], order[i+1:last+1])
			order[last] = a
			return true
		}
	}
	return false
}

// disjointFrom reports whether no client matches a and any of lines: each
// requires a tag a negates, or negates one a requires.
func disjointFrom(a dnsmasqBoot, lines []dnsmasqBoot) bool {
	negates := func(x, y dnsmasqBoot) bool {
		for _, t := range x.tags {
			if strings.HasPrefix(t, "!") && slices.Contains(y.tags, t[1:]) {
				return true
			}
		}
		return false
	}
	for _, b := range lines {
		if !negates(a, b) && !negates(b, a) {
			return false
		}
	}
	return true
}

// bootServer takes a dhcp-boot line's server name and address as the
// Subnets' (one of each).
func (d *dnsmasqConf) bootServer(b dnsmasqBoot) {
	g := &d.b.global
	if b.nextServer != "" {
		if _, err := ipv4List([]string{b.nextServer}); err != nil {
			d.partly(b.line, "the TFTP server is not an address: not imported")
		} else if g.nextServer == "" || g.nextServer == b.nextServer {
			g.nextServer = b.nextServer
		} else {
			d.partly(b.line, "a Subnet has one next server ("+g.nextServer+"): this line's is not imported")
		}
	}
	if b.serverName != "" {
		if g.serverName == "" || g.serverName == b.serverName {
			g.serverName = b.serverName
		} else {
			d.partly(b.line, "a Subnet has one server name ("+g.serverName+"): this line's is not imported")
		}
	}
}

func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}
