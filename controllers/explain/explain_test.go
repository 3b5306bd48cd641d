package explain

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

func objects() Objects {
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: "ns"} }
	return Objects{
		Subnets: []dhcpv1alpha1.Subnet{{ObjectMeta: meta("branch"), Spec: dhcpv1alpha1.SubnetSpec{CIDR: "10.20.0.0/24",
			ServerIdentifier: "10.20.0.2", Options: &dhcpv1alpha1.DHCPOptions{Routers: []dhcpv1alpha1.IPv4Address{"10.20.0.1"}}}}},
		Pools: []dhcpv1alpha1.Pool{
			{ObjectMeta: meta("pxe"), Spec: dhcpv1alpha1.PoolSpec{Subnet: "branch",
				Ranges:        []dhcpv1alpha1.AddressRange{{Start: "10.20.0.200", End: "10.20.0.201"}},
				ClientClasses: &dhcpv1alpha1.ClientClasses{VendorClassPrefix: "PXEClient"}}},
			{ObjectMeta: meta("dynamic"), Spec: dhcpv1alpha1.PoolSpec{Subnet: "branch",
				Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.20.0.100", End: "10.20.0.101"}}}},
		},
		Reservations: []dhcpv1alpha1.Reservation{{ObjectMeta: meta("printer"), Spec: dhcpv1alpha1.ReservationSpec{Subnet: "branch",
			MACAddress: "02:00:00:00:00:99", IPAddress: "10.20.0.50"}}},
		Leases: []dhcpv1alpha1.Lease{{ObjectMeta: meta("branch-10-20-0-100"), Spec: dhcpv1alpha1.LeaseSpec{Subnet: "branch",
			IPAddress: "10.20.0.100", MACAddress: "02:00:00:00:00:01", State: dhcpv1alpha1.LeaseBound,
			Expires: &metav1.Time{Time: time.Now().Add(time.Hour)}}}},
	}
}

// Explain answers as the server would, from the objects and Leases given,
// for clients described by their options.
func TestExplain(t *testing.T) {
	relay := netip.MustParseAddr("10.20.0.1")
	hw := func(last byte) net.HardwareAddr { return net.HardwareAddr{2, 0, 0, 0, 0, last} }
	tests := []struct {
		name       string
		c          Client
		outcome    string
		addr       string
		pool, res  string
		subnetWhy  string
		notPoolHas string
	}{
		{"bound client gets its own address", Client{MAC: hw(1), Relay: relay}, "offer", "10.20.0.100", "dynamic", "",
			"relay 10.20.0.1 is inside its cidr", `pool pxe: needs a vendor class starting "PXEClient"`},
		{"new client takes the next free", Client{MAC: hw(2), Relay: relay}, "offer", "10.20.0.101", "dynamic", "", "", ""},
		{"PXE client goes to the PXE pool", Client{MAC: hw(3), Relay: relay, VendorClass: "PXEClient:Arch:00007", Arch: []uint16{7}},
			"offer", "10.20.0.200", "pxe", "", "", "pool dynamic: fits too"},
		{"reserved client", Client{MAC: hw(0x99), Relay: relay}, "offer", "10.20.0.50", "", "printer", "", ""},
		{"relay of no subnet", Client{MAC: hw(4), Relay: netip.MustParseAddr("192.0.2.1")}, "silent", "", "", "",
			"inside no Subnet's cidr", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Explain(context.Background(), objects(), tt.c, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if a.Outcome != tt.outcome || (tt.addr != "" && a.Addr.String() != tt.addr) || a.Pool != tt.pool || a.Reservation != tt.res {
				t.Fatalf("answer %+v, want %s %s pool %q reservation %q", a, tt.outcome, tt.addr, tt.pool, tt.res)
			}
			if !strings.Contains(a.SubnetWhy, tt.subnetWhy) {
				t.Errorf("subnet why %q, want %q", a.SubnetWhy, tt.subnetWhy)
			}
			if tt.notPoolHas != "" && !slices.ContainsFunc(a.NotPools, func(s string) bool { return strings.Contains(s, tt.notPoolHas) }) {
				t.Errorf("not pools %q, want one with %q", a.NotPools, tt.notPoolHas)
			}
		})
	}
}
