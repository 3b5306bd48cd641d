package config

import (
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// lab is a valid subnet: 10.0.0.0/24, server 10.0.0.2, pool .10-.19.
func lab() *Subnet {
	return &Subnet{Name: "lab", Prefix: netip.MustParsePrefix("10.0.0.0/24"), ServerID: ip("10.0.0.2"),
		Interfaces: []string{"eth1"}, Pools: []*Pool{pool("dyn", "10.0.0.10", "10.0.0.19")}}
}

// res is reservation r of addr for MAC 02:00:00:00:00:01.
func res(addr string) *Reservation {
	return &Reservation{Name: "r", MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, Addr: ip(addr)}
}

// Configuration that would hand out harm is left out, with the field named;
// the rest of its subnet is served.
func TestAssembleLeavesOutHarm(t *testing.T) {
	big := strings.Repeat("x", 250)
	tests := []struct {
		name   string
		change func(sn *Subnet)
		kind   string
		obj    string
		class  FaultClass
		want   string
	}{
		{"lease time past the longest", func(sn *Subnet) { sn.LeaseTimes = LeaseTimes{Default: 2000000 * time.Hour, Max: 2000000 * time.Hour} },
			KindSubnet, "lab", Invalid, "spec.leaseTime.default: 2000000h0m0s is not from 4s to 87600h0m0s"},
		{"lease time under the shortest", func(sn *Subnet) { sn.LeaseTimes = LeaseTimes{Default: time.Nanosecond} },
			KindSubnet, "lab", Invalid, "spec.leaseTime.default: 1ns is not from 4s"},
		{"pool lease time past the longest", func(sn *Subnet) { sn.Pools[0].LeaseTimes = LeaseTimes{Max: 100000 * time.Hour} },
			KindPool, "dyn", Invalid, "spec.leaseTime.max: 100000h0m0s is not from 4s"},
		{"renew under a second", func(sn *Subnet) { sn.LeaseTimes = LeaseTimes{Renew: time.Millisecond} },
			KindSubnet, "lab", Invalid, "spec.leaseTime.renew: 1ms is not from 1s"},
		{"reservation on the network address", func(sn *Subnet) { sn.Reservations = []*Reservation{res("10.0.0.0")} },
			KindReservation, "r", Invalid, "spec.ipAddress: 10.0.0.0 is the network address of subnet lab"},
		{"reservation on the broadcast address", func(sn *Subnet) { sn.Reservations = []*Reservation{res("10.0.0.255")} },
			KindReservation, "r", Invalid, "spec.ipAddress: 10.0.0.255 is the broadcast address of subnet lab"},
		{"reservation on the server's address", func(sn *Subnet) { sn.Reservations = []*Reservation{res("10.0.0.2")} },
			KindReservation, "r", Invalid, "spec.ipAddress: 10.0.0.2 is the server identifier of subnet lab"},
		{"custom option replacing the mask", func(sn *Subnet) {
			sn.Pools[0].Options = options.Options{Custom: []options.Custom{{Code: 1, Type: "ip", Value: "255.0.0.0"}}}
		}, KindPool, "dyn", Invalid, "spec.customOptions[0].code: 1 is set by the server"},
		{"custom option beside typed routers", func(sn *Subnet) {
			sn.Options = options.Options{Routers: []netip.Addr{ip("10.0.0.1")}, Custom: []options.Custom{{Code: 3, Type: "ip", Value: "10.0.0.9"}}}
		}, KindSubnet, "lab", Invalid, "spec.customOptions[0].code: 3 is also set by options.routers"},
		{"custom lease time", func(sn *Subnet) {
			sn.Options = options.Options{Custom: []options.Custom{{Code: 51, Type: "uint32", Value: "4294967295"}}}
		}, KindSubnet, "lab", Invalid, "spec.customOptions[0].code: 51 is set by the server"},
		{"custom boot file beside boot rules", func(sn *Subnet) {
			sn.Boot = &Boot{Rules: []BootRule{{File: "ipxe.efi"}}}
			sn.Options = options.Options{Custom: []options.Custom{{Code: 67, Type: "text", Value: "other.efi"}}}
		}, KindSubnet, "lab", Invalid, "spec.customOptions[0].code: 67 is also set by spec.boot"},
		{"pool with every address excluded", func(sn *Subnet) { sn.Pools[0].Excluded = []Range{{ip("10.0.0.10"), ip("10.0.0.19")}} },
			KindPool, "dyn", Invalid, "spec.ranges: no address to hand out"},
		{"pool of reserved addresses only", func(sn *Subnet) {
			sn.Pools = []*Pool{pool("one", "10.0.0.10", "10.0.0.10")}
			sn.Reservations = []*Reservation{res("10.0.0.10")}
		}, KindPool, "one", Invalid, "spec.ranges: no address to hand out"},
		{"required options too large for a small reply", func(sn *Subnet) {
			sn.Options = options.Options{DomainName: big}
			sn.Reservations = []*Reservation{res("10.0.0.5")}
			sn.Reservations[0].Hostname = big
		}, KindReservation, "r", Invalid, "spec.options: the subnet mask, routers, DNS servers, domain name and host name take"},
		{"options larger than a small reply", func(sn *Subnet) {
			sn.Options = options.Options{Custom: []options.Custom{{Code: 224, Type: "text", Value: big}, {Code: 225, Type: "text", Value: big}}}
		}, KindSubnet, "lab", Warning, "spec.customOptions: the options take 510 octets, more than the 403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sn := lab()
			tt.change(sn)
			snap, faults := Assemble(Env{}, sn)
			var got *Fault
			for i := range faults {
				if faults[i].Kind == tt.kind && faults[i].Name == tt.obj {
					got = &faults[i]
				}
			}
			if got == nil || got.Class != tt.class || !strings.Contains(got.Err.Error(), tt.want) {
				t.Fatalf("faults %v, want %s %s (class %d): %s", faults, tt.kind, tt.obj, tt.class, tt.want)
			}
			served := snap.Subnet("lab") != nil
			if wantServed := tt.kind != KindSubnet || tt.class == Warning; served != wantServed {
				t.Errorf("subnet served %t, want %t", served, wantServed)
			}
		})
	}
}

// The server's own address is never in a pool, whatever the ranges say.
func TestServerIdentifierOutOfPools(t *testing.T) {
	sn := lab()
	sn.Pools = []*Pool{pool("all", "10.0.0.1", "10.0.0.254")}
	snap, err := New(sn)
	if err != nil {
		t.Fatal(err)
	}
	p := snap.Subnet("lab").Pools[0]
	if p.Contains(ip("10.0.0.2")) || !p.Contains(ip("10.0.0.3")) || p.Size() != 253 {
		t.Errorf("pool holds the server identifier or lost others: size %d", p.Size())
	}
}

// A subnet naming an interface the server does not serve on is left out.
func TestAssembleChecksInterfaces(t *testing.T) {
	sn := lab()
	sn.Interfaces = []string{"eth1", "eth9"}
	snap, faults := Assemble(Env{Interface: func(n string) bool { return n == "eth1" }}, sn)
	if snap.Subnet("lab") != nil || len(faults) < 2 || faults[0].Class != NoInterface ||
		!strings.Contains(faults[0].Err.Error(), "spec.interfaces[1]: the server does not serve on interface eth9") {
		t.Fatalf("faults %v", faults)
	}
	if faults[1].Kind != KindPool || faults[1].Class != SubnetLeftOut {
		t.Errorf("the subnet's pool is not reported left out: %v", faults[1])
	}
}

// Lease times are bounded wherever they come from, and never say
// infinite on the wire.
func TestLeaseTimeBounds(t *testing.T) {
	lt := LeaseTimes{Default: time.Hour, Min: time.Minute, Max: MaxLeaseTime}
	if got := lt.Grant(0xffffffff * time.Second); got != MaxLeaseTime {
		t.Errorf("Grant(0xffffffff s) = %s, want %s", got, MaxLeaseTime)
	}
	if got := (LeaseTimes{Default: time.Nanosecond}).Grant(0); got != MinLeaseTime {
		t.Errorf("Grant of a 1ns default = %s, want %s", got, MinLeaseTime)
	}
	for _, d := range []time.Duration{2000000 * time.Hour, 1<<63 - 1, 0xffffffff * time.Second} {
		if got := WireSecs(d); got != 0xfffffffe {
			t.Errorf("WireSecs(%s) = %#x, want 0xfffffffe (never infinite)", d, got)
		}
	}
	if t1, t2 := lt.Timers(MaxLeaseTime); t1 <= 0 || t2 <= t1 || t2 >= MaxLeaseTime {
		t.Errorf("timers of the longest lease %s, %s", t1, t2)
	}
}

// Assemble never changes what it is given, whether it serves an object or
// leaves it out: the translation hands it objects it keeps.
func TestAssembleNeverChangesItsArguments(t *testing.T) {
	inputs := func() []*Subnet {
		a := lab()
		a.Relays = []netip.Addr{ip("172.16.0.1")}
		a.Excluded = []Range{{ip("10.0.0.15"), ip("10.0.0.15")}}
		a.Options = options.Options{Routers: []netip.Addr{ip("10.0.0.1")}, DomainName: "corp.example"}
		a.Pools = append(a.Pools,
			&Pool{Name: "unsorted", Ranges: []Range{{ip("10.0.0.60"), ip("10.0.0.69")}, {ip("10.0.0.30"), ip("10.0.0.39")}},
				Excluded: []Range{{ip("10.0.0.33"), ip("10.0.0.31")}}},
			pool("overlap", "10.0.0.18", "10.0.0.25"),
			pool("outside", "10.0.1.1", "10.0.1.9"))
		a.Reservations = []*Reservation{res("10.0.0.12"), res("10.0.0.255"),
			{Name: "id", ClientID: []byte{1, 2, 0, 0, 0, 0, 9}, Addr: ip("10.0.0.100"), Hostname: "h"}}
		b := sub("clash", "10.0.0.128/25", pool("p", "10.0.0.130", "10.0.0.140"))
		c := sub("other", "192.168.0.0/24", pool("p", "192.168.0.10", "192.168.0.20"))
		c.ServerID, c.Interfaces = ip("192.168.0.1"), []string{"eth2"}
		c.Relays = []netip.Addr{ip("172.16.0.1")}
		return []*Subnet{a, b, c}
	}
	given, want := inputs(), inputs()
	snap, faults := Assemble(Env{Interface: func(n string) bool { return n != "eth9" }}, given...)
	if len(faults) < 4 {
		t.Fatalf("want faults for the overlap, the outside pool, the broadcast reservation, the clashing subnets; got %v", faults)
	}
	if len(snap.Subnets()) == 0 {
		t.Fatal("nothing served")
	}
	if !reflect.DeepEqual(given, want) {
		t.Errorf("Assemble changed its arguments:\n got %+v\nwant %+v", given, want)
	}
}
