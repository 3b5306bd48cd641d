package migrate

import (
	"encoding/json"
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

// ReadKeaConf reads a Kea kea-dhcp4.json: each subnet4 (also inside
// shared networks) becomes a Subnet (option-data, lifetimes, interface,
// relay addresses, next-server and boot file), each pool a Pool (its
// client-class, when the class's test maps, as client classes), classes
// whose test maps and that set a boot file become boot rules, and
// reservations (global and per subnet) Reservations. Every member that
// does not map is listed with its line.
func ReadKeaConf(r io.Reader, ns string) (Objects, []Skipped, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return Objects{}, nil, err
	}
	root, err := parseJSONC(src)
	if err != nil {
		return Objects{}, nil, err
	}
	k := &keaConf{b: &builder{ns: ns}, classes: map[string]cond{}, seen: map[netip.Prefix]bool{}}
	if root.kind != '{' {
		return Objects{}, nil, fmt.Errorf("line %d: not a JSON object", root.line)
	}
	var dhcp4 *jnode
	for _, f := range root.fields {
		if f.key == "Dhcp4" && f.val.kind == '{' {
			dhcp4 = f.val
			continue
		}
		k.skipField(f, "not mapped")
	}
	if dhcp4 == nil {
		return Objects{}, nil, fmt.Errorf("no Dhcp4 object")
	}
	k.dhcp4(dhcp4)
	return k.b.result()
}

// keaConf reads a Kea configuration into a builder.
type keaConf struct {
	b       *builder
	classes map[string]cond
	seen    map[netip.Prefix]bool // subnets read
}

func (k *keaConf) skipField(f jfield, why string) {
	k.b.skip(f.line, fmt.Sprintf("%q: %s", f.key, f.val.text()), why)
}

// keaServerOwn are Dhcp4 members about the server process itself, set in
// kubedhcp by its flags and chart, not by objects.
var keaServerOwn = map[string]string{"interfaces-config": "the chart's interfaces value", "lease-database": "Lease objects",
	"control-socket": "the Kubernetes API", "loggers": "the manager's log flags", "hooks-libraries": "no hooks",
	"multi-threading": "always concurrent", "dhcp-ddns": "spec.dns (ExternalDNS)", "expired-leases-processing": "the sweeper",
	"high-availability": "replicas"}

func (k *keaConf) dhcp4(n *jnode) {
	var subnets []*jnode
	var reservations []jfield
	for _, f := range n.fields {
		switch {
		case ignorable(f.key):
		case f.key == "client-classes":
			k.clientClasses(f.val)
		case f.key == "subnet4":
			subnets = append(subnets, f.val.items...)
		case f.key == "shared-networks":
			subnets = append(subnets, k.sharedNetworks(f)...)
		case f.key == "reservations":
			reservations = append(reservations, f)
		case keaServerOwn[f.key] != "":
			k.skipField(f, "set in kubedhcp by "+keaServerOwn[f.key])
		default:
			if !k.setting(f, &k.b.global) {
				k.skipField(f, "not mapped")
			}
		}
	}
	for _, s := range subnets {
		k.subnet(s)
	}
	for _, f := range reservations {
		k.reservations(f.val)
	}
}

// sharedNetworks returns the subnets of each shared network, listing the
// network's own members.
func (k *keaConf) sharedNetworks(f jfield) []*jnode {
	var out []*jnode
	for _, sh := range f.val.items {
		for _, m := range sh.fields {
			switch {
			case m.key == "subnet4":
				out = append(out, m.val.items...)
			case m.key == "name" || ignorable(m.key):
			default:
				k.skipField(m, "kubedhcp has no shared networks: set it on each Subnet")
			}
		}
		k.b.skip(sh.line, "shared network", "its subnets are imported each on its own (a relay of one reaches only its own; add relayAddresses)")
	}
	return out
}

// setting maps a member that sets something for a scope (Dhcp4 or a
// subnet); false when it is not one.
func (k *keaConf) setting(f jfield, set *settings) bool {
	var err error
	switch f.key {
	case "option-data":
		k.optionData(f.val, &set.opts, &set.custom)
		return true
	case "valid-lifetime":
		if err = lifetime(f.val, &set.times.Default); err == nil && set.times.Max == nil {
			set.times.Max = set.times.Default // Kea's max-valid-lifetime defaults to it
			k.b.skipped = append(k.b.skipped, Skipped{Line: f.line, Text: fmt.Sprintf("%q: %s", f.key, f.val.text()), Partly: true,
				Why: "Kea's min-valid-lifetime defaults to it too; kubedhcp grants a client the shorter lease it asks for (down to leaseTime.min, 1m)"})
		}
	case "min-valid-lifetime":
		err = lifetime(f.val, &set.times.Min)
	case "max-valid-lifetime":
		err = lifetime(f.val, &set.times.Max)
	case "renew-timer":
		err = lifetime(f.val, &set.times.Renew)
	case "rebind-timer":
		err = lifetime(f.val, &set.times.Rebind)
	case "authoritative":
		set.authoritative, _ = f.val.value.(bool)
	case "next-server":
		set.nextServer, err = keaAddress(f.val)
	case "server-hostname":
		set.serverName = f.val.str()
	case "boot-file-name":
		if s := f.val.str(); s != "" {
			set.rules = append(set.rules, dhcpv1alpha1.BootRule{BootFileName: s})
		}
	default:
		return false
	}
	if err != nil {
		k.skipField(f, err.Error())
	}
	return true
}

// subnet maps one subnet4 entry.
func (k *keaConf) subnet(s *jnode) {
	var prefix netip.Prefix
	for _, f := range s.fields {
		if f.key == "subnet" {
			v := f.val.str()
			p, err := netip.ParsePrefix(strings.TrimSpace(v))
			if err != nil || !p.Addr().Is4() {
				k.skipField(f, "not an IPv4 network")
				return
			}
			prefix = p.Masked()
		}
	}
	if !prefix.IsValid() {
		k.b.skip(s.line, "subnet4 entry", "no subnet")
		return
	}
	if k.seen[prefix] {
		k.b.skip(s.line, prefix.String(), "a second subnet4 entry of the same network")
		return
	}
	k.seen[prefix] = true
	n := k.b.network(prefix, s.line)
	for _, f := range s.fields {
		switch {
		case f.key == "subnet" || f.key == "id" || ignorable(f.key):
		case f.key == "pools":
			for _, p := range f.val.items {
				k.pool(p, n)
			}
		case f.key == "reservations":
			k.reservations(f.val)
		case f.key == "interface":
			v := f.val.str()
			n.interfaces = append(n.interfaces, dhcpv1alpha1.InterfaceName(v))
		case f.key == "relay":
			k.relay(f, n)
		case !k.setting(f, &n.own):
			k.skipField(f, "not mapped")
		}
	}
}

// relay maps "relay": {"ip-addresses": [...]} (or Kea 1.x "ip-address"):
// addresses inside the subnet select it anyway.
func (k *keaConf) relay(f jfield, n *network) {
	for _, m := range f.val.fields {
		var list []*jnode
		switch m.key {
		case "ip-addresses":
			list = m.val.items
		case "ip-address":
			list = []*jnode{m.val}
		default:
			k.skipField(m, "not mapped")
			continue
		}
		for _, a := range list {
			s, err := keaAddress(a)
			if err != nil {
				k.skipField(m, err.Error())
				continue
			}
			if addr := netip.MustParseAddr(s); !n.prefix.Contains(addr) {
				n.relays = append(n.relays, dhcpv1alpha1.IPv4Address(s))
			}
		}
	}
}

// pool maps {"pool": "A - B" | "CIDR", "client-class": NAME, "option-data": [...]}.
func (k *keaConf) pool(p *jnode, n *network) {
	var spec dhcpv1alpha1.PoolSpec
	var set settings
	for _, f := range p.fields {
		switch {
		case ignorable(f.key):
		case f.key == "pool":
			v := f.val.str()
			r, err := parseRange(v)
			if err != nil {
				k.skipField(f, err.Error())
				return
			}
			spec.Ranges = append(spec.Ranges, r)
		case f.key == "client-class":
			name := f.val.str()
			cl, ok := k.classes[name]
			if !ok {
				k.skipField(f, "class "+name+" is not one whose test maps: the pool is imported for every client")
				continue
			}
			spec.ClientClasses = cl.classes()
		case f.key == "option-data":
			k.optionData(f.val, &set.opts, &set.custom)
		default:
			k.skipField(f, "not mapped (in a pool)")
		}
	}
	if len(spec.Ranges) == 0 {
		k.b.skip(p.line, "pool", "no pool range")
		return
	}
	if !isZeroOptions(set.opts) {
		spec.Options = &set.opts
	}
	spec.CustomOptions = set.custom
	n.pools = append(n.pools, spec)
}

// clientClasses keeps each class whose test maps; one that sets a boot
// file (boot-file-name, or option 67 in its option-data) becomes a boot
// rule of every Subnet, in the order the classes are defined, before the
// Subnet's and the global boot file, which a class's overrides in Kea.
func (k *keaConf) clientClasses(list *jnode) {
	for _, c := range list.items {
		var name, test string
		var boot settings
		var testLine int
		for _, f := range c.fields {
			switch {
			case f.key == "name":
				name = f.val.str()
			case f.key == "test":
				test = f.val.str()
				testLine = f.line
			case f.key == "boot-file-name" || f.key == "next-server" || f.key == "server-hostname" || f.key == "option-data":
				k.setting(f, &boot)
			case ignorable(f.key):
			default:
				k.skipField(f, "not mapped (in class "+name+")")
			}
		}
		if test == "" {
			k.b.skip(c.line, "class "+name, "no test: kubedhcp matches classes by their test only")
			continue
		}
		cl, err := parseCond(test, nil)
		if err != nil {
			k.b.skip(testLine, "class "+name, err.Error())
			continue
		}
		k.classes[name] = cl
		k.classBoot(name, c.line, cl, boot)
	}
}

// classBoot turns a class's boot settings into a global boot rule.
func (k *keaConf) classBoot(name string, line int, cl cond, boot settings) {
	file := boot.opts.BootFileName
	if len(boot.rules) > 0 {
		file = boot.rules[0].BootFileName
	}
	if boot.nextServer != "" {
		if g := k.b.global.nextServer; g != "" && g != boot.nextServer {
			k.b.skip(line, "class "+name+" next-server "+boot.nextServer, "a Subnet has one next server ("+g+")")
		} else {
			k.b.global.nextServer = boot.nextServer
		}
	}
	boot.opts.BootFileName = ""
	if !isZeroOptions(boot.opts) || len(boot.custom) > 0 {
		k.b.skip(line, "class "+name+" option-data", "options per class do not map: kubedhcp sets options per Subnet, Pool and Reservation")
	}
	if file == "" {
		return
	}
	m, err := cl.bootMatch()
	if err != nil {
		k.b.skip(line, "class "+name+" boot-file-name", err.Error())
		return
	}
	k.b.first = append(k.b.first, dhcpv1alpha1.BootRule{Match: m, BootFileName: file})
}

// reservations maps a reservations list.
func (k *keaConf) reservations(list *jnode) {
	for _, r := range list.items {
		h := host{line: r.line, text: "reservation"}
		var set settings
		for _, f := range r.fields {
			v := f.val.str()
			switch {
			case ignorable(f.key):
			case f.key == "hw-address":
				h.spec.MACAddress = dhcpv1alpha1.MACAddress(strings.ToLower(v))
			case f.key == "client-id":
				b, err := parseHex(v)
				if err != nil {
					k.skipField(f, "not hex octets")
					continue
				}
				h.spec.ClientID = dhcpv1alpha1.HexOctets(options.FormatHex(b))
			case f.key == "circuit-id":
				h.spec.CircuitID = v
			case f.key == "ip-address":
				h.spec.IPAddress = dhcpv1alpha1.IPv4Address(v)
				h.text = "reservation " + v
			case f.key == "hostname":
				h.spec.Hostname = dhcpv1alpha1.Hostname(v)
				h.name = v
			case f.key == "option-data" || f.key == "next-server" || f.key == "boot-file-name" || f.key == "server-hostname":
				k.setting(f, &set)
			default:
				k.skipField(f, "not mapped (in a reservation)")
			}
		}
		h.settings(set)
		k.b.hosts = append(k.b.hosts, h)
	}
}

// optionData maps an option-data list into typed and custom options.
func (k *keaConf) optionData(list *jnode, o *dhcpv1alpha1.DHCPOptions, custom *[]dhcpv1alpha1.CustomOption) {
	for _, od := range list.items {
		var name, data, space string
		code := -1
		csv := true
		for _, f := range od.fields {
			switch f.key {
			case "name":
				name = f.val.str()
			case "code":
				if c, err := strconv.Atoi(fmt.Sprint(f.val.value)); err == nil {
					code = c
				}
			case "data":
				data = f.val.str()
			case "csv-format":
				csv, _ = f.val.value.(bool)
			case "space":
				space = f.val.str()
			default:
				if !ignorable(f.key) {
					k.b.skipped = append(k.b.skipped, Skipped{Line: f.line, Text: fmt.Sprintf("%q: %s", f.key, f.val.text()), Partly: true,
						Why: "kubedhcp sends an option a client asks for, and the boot file, router, mask, DNS and domain to every client"})
				}
			}
		}
		if err := keaOption(o, custom, name, code, data, space, csv); err != nil {
			k.b.skip(od.line, fmt.Sprintf("option %s%s: %q", name, codeText(code), data), err.Error())
		}
	}
}

func codeText(code int) string {
	if code < 0 {
		return ""
	}
	return fmt.Sprintf(" (%d)", code)
}

// keaOption maps one option-data entry.
func keaOption(o *dhcpv1alpha1.DHCPOptions, custom *[]dhcpv1alpha1.CustomOption, name string, code int, data, space string, csv bool) error {
	if space != "" && space != "dhcp4" {
		return fmt.Errorf("option space %s does not map", space)
	}
	if c, ok := iscOptionNames[name]; ok && code < 0 {
		code = c
	}
	if std, ok := standardOptions[name]; ok && code < 0 {
		code = std.code
	}
	switch {
	case code < 0:
		return fmt.Errorf("option %s has no kubedhcp field", name)
	case code == 1 || code == 12:
		return serverSet(code)
	case !csv:
		b, err := parseHex(data)
		if err != nil {
			return fmt.Errorf("not hex octets")
		}
		co, err := customOption(code, dhcpv1alpha1.CustomHex, options.FormatHex(b))
		if err == nil {
			*custom = append(*custom, co)
		}
		return err
	}
	if typ := standardByCode[code]; typ != "" {
		co, err := standardCustom(code, typ, strings.Join(keaValues(data), ","))
		if err == nil {
			*custom = append(*custom, co)
		}
		return err
	}
	return setOption(o, code, keaValues(data))
}

// keaValues splits a Kea option's data at commas, as Kea's CSV format
// does: "\," is a comma inside a value and "\\" a backslash.
func keaValues(data string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if v := strings.TrimSpace(cur.String()); v != "" {
			out = append(out, v)
		}
		cur.Reset()
	}
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case c == '\\' && i+1 < len(data) && (data[i+1] == ',' || data[i+1] == '\\'):
			cur.WriteByte(data[i+1])
			i++
		case c == ',':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// lifetime reads a number of seconds.
func lifetime(n *jnode, d **metav1.Duration) error {
	num, ok := n.value.(json.Number)
	v, err := num.Int64()
	if !ok || err != nil || v <= 0 || v > 87600*3600 {
		return fmt.Errorf("not a number of seconds from 1 to 10 years")
	}
	*d = &metav1.Duration{Duration: time.Duration(v) * time.Second}
	return nil
}

func keaAddress(n *jnode) (string, error) {
	s := n.str()
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return "", fmt.Errorf("%q is not an IPv4 address", s)
	}
	return a.String(), nil
}
