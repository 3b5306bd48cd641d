package leasestore

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// toSpec writes a binding as a Lease spec.
func toSpec(b *lease.Binding) dhcpv1alpha1.LeaseSpec {
	s := dhcpv1alpha1.LeaseSpec{
		Subnet:      dhcpv1alpha1.ObjectName(b.Subnet),
		IPAddress:   dhcpv1alpha1.IPv4Address(b.Addr.String()),
		Hostname:    options.Truncate(b.Hostname, 255),
		State:       dhcpv1alpha1.LeaseState(b.State.String()),
		Start:       timeOrNil(b.Start),
		Renewed:     timeOrNil(b.Renewed),
		Expires:     timeOrNil(ceilSecond(b.Expires)),
		LeaseTime:   durationOrNil(b.LeaseTime),
		Pool:        b.Pool,
		Reservation: b.Reservation,
		VendorClass: options.Truncate(printable(b.VendorClass), 255),
		UserClass:   options.Truncate(printable(b.UserClass), 255),
		Replica:     b.Replica,
		Claim:       b.Claim,
	}
	if len(b.HWAddr) == 6 {
		s.MACAddress = dhcpv1alpha1.MACAddress(b.HWAddr.String())
	}
	s.ClientID = hexOf(b.ClientID)
	s.CircuitID = hexOf(b.CircuitID)
	s.RemoteID = hexOf(b.RemoteID)
	if b.Relay.IsValid() {
		s.GatewayAddress = dhcpv1alpha1.IPv4Address(b.Relay.String())
	}
	if b.HasArch {
		a := dhcpv1alpha1.ClientArch(b.ClientArch)
		s.ClientArch = &a
	}
	return s
}

// FromLease reads a Lease as a binding; its Version is the resourceVersion.
func FromLease(l *dhcpv1alpha1.Lease) (lease.Binding, error) {
	s := &l.Spec
	if s.Subnet == "" {
		return lease.Binding{}, fmt.Errorf("lease %s: spec.subnet: empty", l.Name)
	}
	addr, err := netip.ParseAddr(string(s.IPAddress))
	if err != nil || !addr.Is4() {
		return lease.Binding{}, fmt.Errorf("lease %s: spec.ipAddress: %q is not an IPv4 address", l.Name, s.IPAddress)
	}
	state, ok := lease.ParseState(string(s.State))
	if !ok {
		return lease.Binding{}, fmt.Errorf("lease %s: spec.state %q is unknown", l.Name, s.State)
	}
	b := lease.Binding{Subnet: string(s.Subnet), Addr: addr, Hostname: s.Hostname, State: state,
		Start: timeOf(s.Start), Renewed: timeOf(s.Renewed), Expires: timeOf(s.Expires), LeaseTime: durationOf(s.LeaseTime), Pool: s.Pool,
		Reservation: s.Reservation, VendorClass: s.VendorClass, UserClass: s.UserClass, Replica: s.Replica, Claim: s.Claim, Version: l.ResourceVersion}
	if state == lease.Claimed && s.Claim == "" {
		return lease.Binding{}, fmt.Errorf("lease %s: spec.claim: empty in a Claimed Lease", l.Name)
	}
	if s.MACAddress != "" {
		if b.HWAddr, err = net.ParseMAC(string(s.MACAddress)); err != nil {
			return lease.Binding{}, fmt.Errorf("lease %s: spec.macAddress: %w", l.Name, err)
		}
	}
	for _, f := range []struct {
		name string
		in   dhcpv1alpha1.HexOctets
		out  *[]byte
	}{{"clientID", s.ClientID, &b.ClientID}, {"circuitID", s.CircuitID, &b.CircuitID}, {"remoteID", s.RemoteID, &b.RemoteID}} {
		if f.in == "" {
			continue
		}
		if *f.out, err = options.ParseHex(string(f.in)); err != nil {
			return lease.Binding{}, fmt.Errorf("lease %s: spec.%s: %w", l.Name, f.name, err)
		}
	}
	if s.GatewayAddress != "" {
		b.Relay, _ = netip.ParseAddr(string(s.GatewayAddress))
	}
	if s.ClientArch != nil {
		b.ClientArch, b.HasArch = uint16(*s.ClientArch), true
	}
	return b, nil
}

func hexOf(b []byte) dhcpv1alpha1.HexOctets {
	if len(b) == 0 {
		return ""
	}
	return dhcpv1alpha1.HexOctets(options.FormatHex(options.Truncate(b, 255)))
}

// printable keeps what a client sent readable in a Lease: non-printable
// octets become '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

func timeOrNil(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	mt := metav1.NewTime(t.Truncate(time.Second))
	return &mt
}

func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

// ceilSecond rounds t up to a whole second, as a Lease stores it: a
// stored expiry must never fall before the lease a client was told.
func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

func durationOrNil(d time.Duration) *metav1.Duration {
	if d <= 0 {
		return nil
	}
	return &metav1.Duration{Duration: d}
}

func durationOf(d *metav1.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.Duration
}
