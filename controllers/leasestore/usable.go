package leasestore

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/decode"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Usable reads a Lease object as the binding it records, or says why it
// cannot be one: it did not decode (a stand-in from the cache), a field
// does not read, or it is not under the name its address's Lease has
// (LeaseName). Creating that name is what claims an address, so a Lease
// under any other name claims nothing, and a binding already stored under
// the right name wins over it.
func Usable(l *dhcpv1alpha1.Lease) (lease.Binding, error) {
	if why := decode.Unreadable(l); why != "" {
		return lease.Binding{}, fmt.Errorf("lease %s cannot be read: %s", l.Name, why)
	}
	b, err := FromLease(l)
	if err != nil {
		return lease.Binding{}, err
	}
	if want := dhcpv1alpha1.LeaseName(b.Subnet, b.Addr); l.Name != want {
		return lease.Binding{}, fmt.Errorf("lease %s records %s in subnet %s, whose Lease is %s: only that name claims the address",
			l.Name, b.Addr, b.Subnet, want)
	}
	return b, nil
}

// Names returns the subnet and IPv4 address a Lease object names, read
// from its spec where that reads and else from its name
// (<subnet>-<a>-<b>-<c>-<d>); zero values for what neither gives.
func Names(l *dhcpv1alpha1.Lease) (subnet string, addr netip.Addr) {
	if decode.Unreadable(l) == "" {
		subnet = string(l.Spec.Subnet)
		if a, err := netip.ParseAddr(string(l.Spec.IPAddress)); err == nil && a.Is4() {
			addr = a
		}
	}
	nameSubnet, nameAddr := fromName(l.Name)
	if subnet == "" {
		subnet = nameSubnet
	}
	if !addr.IsValid() {
		addr = nameAddr
	}
	return subnet, addr
}

// fromName splits a Lease name <subnet>-<a>-<b>-<c>-<d>.
func fromName(name string) (string, netip.Addr) {
	parts := strings.Split(name, "-")
	if len(parts) < 5 {
		return "", netip.Addr{}
	}
	var b [4]byte
	for i, p := range parts[len(parts)-4:] {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil {
			return "", netip.Addr{}
		}
		b[i] = byte(n)
	}
	return strings.Join(parts[:len(parts)-4], "-"), netip.AddrFrom4(b)
}
