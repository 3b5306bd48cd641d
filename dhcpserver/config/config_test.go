package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

var ip = netip.MustParseAddr

func sub(name, cidr string, pools ...*Pool) *Subnet {
	return &Subnet{Name: name, Prefix: netip.MustParsePrefix(cidr), Pools: pools}
}

func pool(name, lo, hi string) *Pool {
	return &Pool{Name: name, Ranges: []Range{{ip(lo), ip(hi)}}}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name    string
		subnets []*Subnet
		want    string
	}{
		{"overlapping subnets", []*Subnet{sub("a", "10.0.0.0/16"), sub("b", "10.0.1.0/24")}, `Subnet b: spec.cidr: 10.0.1.0/24 overlaps subnet a (10.0.0.0/16)`},
		{"duplicate name", []*Subnet{sub("a", "10.0.0.0/24"), sub("a", "10.1.0.0/24")}, `Subnet a: metadata.name: defined twice`},
		{"pool outside", []*Subnet{sub("a", "10.0.0.0/24", pool("p", "10.0.0.10", "10.0.1.10"))}, `Pool p: spec.ranges[0]: 10.0.0.10-10.0.1.10 is outside subnet a (10.0.0.0/24)`},
		{"reversed range", []*Subnet{sub("a", "10.0.0.0/24", pool("p", "10.0.0.10", "10.0.0.5"))}, `Pool p: spec.ranges[0]: range 10.0.0.10-10.0.0.5 ends before it starts`},
		{"overlapping pools", []*Subnet{sub("a", "10.0.0.0/24", pool("p", "10.0.0.10", "10.0.0.20"), pool("q", "10.0.0.20", "10.0.0.30"))}, `Pool q: spec.ranges[0]: 10.0.0.20-10.0.0.30 overlaps 10.0.0.10-10.0.0.20 of pool p`},
		{"reservation outside", []*Subnet{{Name: "a", Prefix: netip.MustParsePrefix("10.0.0.0/24"),
			Reservations: []*Reservation{{Name: "r", MAC: []byte{1, 2, 3, 4, 5, 6}, Addr: ip("10.1.0.5")}}}}, `Reservation r: spec.ipAddress: 10.1.0.5 is outside subnet a (10.0.0.0/24)`},
		{"two reservations one address", []*Subnet{{Name: "a", Prefix: netip.MustParsePrefix("10.0.0.0/24"), Reservations: []*Reservation{
			{Name: "r", MAC: []byte{1, 2, 3, 4, 5, 6}, Addr: ip("10.0.0.5")}, {Name: "s", MAC: []byte{1, 2, 3, 4, 5, 7}, Addr: ip("10.0.0.5")}}}},
			`Reservation s: spec.ipAddress: 10.0.0.5 is also reserved by r`},
		{"two reservations one identity", []*Subnet{{Name: "a", Prefix: netip.MustParsePrefix("10.0.0.0/24"), Reservations: []*Reservation{
			{Name: "r", MAC: []byte{1, 2, 3, 4, 5, 6}, Addr: ip("10.0.0.5")}, {Name: "s", MAC: []byte{1, 2, 3, 4, 5, 6}, Addr: ip("10.0.0.6")}}}},
			`Reservation s: spec.macAddress: 01:02:03:04:05:06 is also reserved by r`},
		{"no identity", []*Subnet{{Name: "a", Prefix: netip.MustParsePrefix("10.0.0.0/24"), Reservations: []*Reservation{{Name: "r", Addr: ip("10.0.0.5")}}}},
			`Reservation r: spec: has 0 identities`},
		{"bad option", []*Subnet{{Name: "a", Prefix: netip.MustParsePrefix("10.0.0.0/24"), Options: options.Options{NetBIOSNodeType: "Q"}}},
			`Subnet a: spec.options.netbiosNodeType: "Q" is not one of B, P, M, H`},
		{"/31", []*Subnet{sub("a", "10.0.0.0/31")}, `Subnet a: spec.cidr: 10.0.0.0/31 is not an IPv4 network of /8 to /30`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.subnets...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLookups(t *testing.T) {
	a := sub("a", "10.0.0.0/24", pool("p", "10.0.0.0", "10.0.0.255"))
	a.Interfaces = []string{"eth1"}
	a.Relays = []netip.Addr{ip("172.16.0.1")}
	a.Excluded = []Range{{ip("10.0.0.1"), ip("10.0.0.9")}}
	a.Reservations = []*Reservation{{Name: "r", MAC: []byte{0xaa, 0, 0, 0, 0, 1}, Addr: ip("10.0.0.50")}}
	b := sub("b", "10.0.1.0/24")
	s, err := New(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if a.Pools[0].Size() != 0 {
		t.Error("New changed the subnet it was given")
	}
	a, b = s.Subnet("a"), s.Subnet("b")
	if s.SubnetForAddr(ip("10.0.1.7")) != b || s.SubnetForAddr(ip("10.0.0.7")) != a || s.SubnetForAddr(ip("10.0.2.1")) != nil {
		t.Error("SubnetForAddr")
	}
	if s.SubnetForRelay(ip("172.16.0.1")) != a || s.SubnetForRelay(ip("10.0.1.1")) != b {
		t.Error("SubnetForRelay")
	}
	if got := s.SubnetsForInterface("eth1"); len(got) != 1 || got[0] != a {
		t.Error("SubnetsForInterface")
	}
	p := a.Pools[0]
	// 256 addresses less network, broadcast, 9 excluded and 1 reserved.
	if p.Size() != 256-2-9-1 {
		t.Errorf("pool size %d, want %d", p.Size(), 256-2-9-1)
	}
	for _, x := range []string{"10.0.0.0", "10.0.0.255", "10.0.0.5", "10.0.0.50"} {
		if p.Contains(ip(x)) {
			t.Errorf("pool hands out %s", x)
		}
	}
	if first, _ := p.First(); first != ip("10.0.0.10") {
		t.Errorf("first %s", first)
	}
	if r := a.ReservationFor(nil, []byte{0xaa, 0, 0, 0, 0, 1}, nil); r == nil || r.Name != "r" {
		t.Error("ReservationFor by MAC")
	}
	if got := a.Opts(); !got.Has(options.CodeSubnetMask) {
		t.Error("subnet mask not set")
	}
}

func TestLeaseTimes(t *testing.T) {
	lt := LeaseTimes{Default: time.Hour, Min: time.Minute, Max: 2 * time.Hour, Renew: 20 * time.Minute, Rebind: 40 * time.Minute}
	tests := []struct {
		req, want, t1, t2 time.Duration
	}{
		{0, time.Hour, 20 * time.Minute, 40 * time.Minute},
		{30 * time.Second, time.Minute, 30 * time.Second, 52500 * time.Millisecond},
		{3 * time.Hour, 2 * time.Hour, 20 * time.Minute, 40 * time.Minute},
	}
	for _, tt := range tests {
		d := lt.Grant(tt.req)
		t1, t2 := lt.Timers(d)
		if d != tt.want || t1 != tt.t1 || t2 != tt.t2 {
			t.Errorf("Grant(%v) = %v T1 %v T2 %v, want %v %v %v", tt.req, d, t1, t2, tt.want, tt.t1, tt.t2)
		}
	}
}
