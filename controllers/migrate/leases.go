// Package migrate reads what the servers people leave (ISC dhcpd, Kea,
// dnsmasq) keep, and writes it as kubedhcp objects, so that every client
// keeps its address across the move. What cannot map is listed with the
// line it came from, never dropped silently.
package migrate

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// Entry is one active lease as another server stored it.
type Entry struct {
	Addr     netip.Addr
	MAC      net.HardwareAddr
	ClientID []byte
	Hostname string
	Start    time.Time
	Expires  time.Time // zero: never
	Line     int
}

// Skipped is something read that does not become an object, or (Partly)
// does only in part, and why.
type Skipped struct {
	Line   int
	Text   string
	Why    string
	Partly bool
}

func (s Skipped) String() string { return fmt.Sprintf("line %d: %s: %s", s.Line, s.Text, s.Why) }

// Subnet names a Subnet and its network, for placing imported leases.
type Subnet struct {
	Name   string
	Prefix netip.Prefix
}

// ToLeases turns the entries still active at now into Bound Lease
// objects of namespace ns, each under the Subnet that holds its address.
func ToLeases(entries []Entry, subnets []Subnet, ns string, now time.Time) ([]dhcpv1alpha1.Lease, []Skipped) {
	out := make([]dhcpv1alpha1.Lease, 0, len(entries))
	var skipped []Skipped
	for _, e := range entries {
		sn := subnetOf(subnets, e.Addr)
		switch {
		case sn == nil:
			skipped = append(skipped, Skipped{Line: e.Line, Text: e.Addr.String(), Why: "in no Subnet"})
			continue
		case !e.Expires.IsZero() && !now.Before(e.Expires):
			skipped = append(skipped, Skipped{Line: e.Line, Text: e.Addr.String(), Why: "expired " + e.Expires.UTC().Format(time.RFC3339)})
			continue
		case len(e.MAC) != 6 && len(e.ClientID) == 0:
			skipped = append(skipped, Skipped{Line: e.Line, Text: e.Addr.String(), Why: "no client identifier or Ethernet address"})
			continue
		}
		expires := e.Expires
		if expires.IsZero() || expires.Sub(now) > 87600*time.Hour {
			expires = now.Add(87600 * time.Hour) // kubedhcp's longest lease
		}
		l := dhcpv1alpha1.Lease{TypeMeta: metav1.TypeMeta{APIVersion: dhcpv1alpha1.GroupVersion.String(), Kind: "Lease"},
			ObjectMeta: metav1.ObjectMeta{Name: dhcpv1alpha1.LeaseName(sn.Name, e.Addr), Namespace: ns},
			Spec: dhcpv1alpha1.LeaseSpec{Subnet: dhcpv1alpha1.ObjectName(sn.Name), IPAddress: dhcpv1alpha1.IPv4Address(e.Addr.String()),
				State: dhcpv1alpha1.LeaseBound, Expires: &metav1.Time{Time: expires.UTC().Truncate(time.Second)},
				Hostname: options.Truncate(e.Hostname, 255)}}
		if len(e.MAC) == 6 {
			l.Spec.MACAddress = dhcpv1alpha1.MACAddress(e.MAC.String())
		}
		if len(e.ClientID) > 0 {
			l.Spec.ClientID = dhcpv1alpha1.HexOctets(options.FormatHex(e.ClientID))
		}
		if !e.Start.IsZero() {
			l.Spec.Start = &metav1.Time{Time: e.Start.UTC().Truncate(time.Second)}
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, skipped
}

func subnetOf(subnets []Subnet, a netip.Addr) *Subnet {
	for i := range subnets {
		if subnets[i].Prefix.Contains(a) {
			return &subnets[i]
		}
	}
	return nil
}

// latest keeps, per address, the last entry read (the files append).
func latest(entries []Entry) []Entry {
	last := map[netip.Addr]int{}
	for i, e := range entries {
		last[e.Addr] = i
	}
	var out []Entry
	for i, e := range entries {
		if last[e.Addr] == i {
			out = append(out, e)
		}
	}
	return out
}

// ReadDnsmasqLeases reads a dnsmasq.leases file: "expiry mac ip hostname
// client-id" per line, 0 expiry meaning never, * meaning none.
func ReadDnsmasqLeases(r io.Reader) ([]Entry, []Skipped, error) {
	var out []Entry
	var skipped []Skipped
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		if line == "" || strings.HasPrefix(line, "duid ") {
			continue
		}
		if len(f) < 4 {
			skipped = append(skipped, Skipped{Line: n, Text: line, Why: "not expiry, MAC, address, host name"})
			continue
		}
		e := Entry{Line: n}
		var err error
		if e.Addr, err = netip.ParseAddr(f[2]); err != nil || !e.Addr.Is4() {
			skipped = append(skipped, Skipped{Line: n, Text: line, Why: "not an IPv4 lease"})
			continue
		}
		if exp, err := strconv.ParseInt(f[0], 10, 64); err == nil && exp > 0 {
			e.Expires = time.Unix(exp, 0)
		}
		e.MAC, _ = net.ParseMAC(f[1])
		if f[3] != "*" {
			e.Hostname = f[3]
		}
		if len(f) > 4 && f[4] != "*" {
			e.ClientID, _ = options.ParseHex(f[4])
		}
		out = append(out, e)
	}
	return latest(out), skipped, sc.Err()
}

// ReadKeaLeases reads Kea's memfile lease CSV (kea-leases4.csv); rows in
// state 0 (default) are leases, the rest are skipped.
func ReadKeaLeases(r io.Reader) ([]Entry, []Skipped, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return nil, nil, nil
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"address", "hwaddr", "client_id", "valid_lifetime", "expire", "hostname", "state"} {
		if _, ok := col[h]; !ok {
			return nil, nil, fmt.Errorf("line 1: no column %q: not a Kea DHCPv4 lease file", h)
		}
	}
	var out []Entry
	var skipped []Skipped
	for i, row := range rows[1:] {
		n := i + 2
		get := func(h string) string {
			if c := col[h]; c < len(row) {
				return row[c]
			}
			return ""
		}
		e := Entry{Line: n, Hostname: get("hostname")}
		if e.Addr, err = netip.ParseAddr(get("address")); err != nil || !e.Addr.Is4() {
			skipped = append(skipped, Skipped{Line: n, Text: get("address"), Why: "not an IPv4 address"})
			continue
		}
		if get("state") != "0" {
			// A later row in another state ends the lease of an earlier one.
			skipped = append(skipped, Skipped{Line: n, Text: get("address"), Why: "state " + get("state") + " (declined or reclaimed)"})
			out = append(out, Entry{Addr: e.Addr, Line: -n})
			continue
		}
		e.MAC, _ = net.ParseMAC(get("hwaddr"))
		e.ClientID, _ = options.ParseHex(get("client_id"))
		exp, _ := strconv.ParseInt(get("expire"), 10, 64)
		valid, _ := strconv.ParseInt(get("valid_lifetime"), 10, 64)
		if valid != 0xffffffff {
			e.Expires = time.Unix(exp, 0)
			e.Start = time.Unix(exp-valid, 0)
		}
		out = append(out, e)
	}
	return active(latest(out)), skipped, nil
}

// active drops the tombstones (negative Line) latest kept.
func active(entries []Entry) []Entry {
	var out []Entry
	for _, e := range entries {
		if e.Line > 0 {
			out = append(out, e)
		}
	}
	return out
}
