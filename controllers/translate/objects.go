package translate

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// fieldError is a translation error that names its field.
func fieldError(field string, err error) error { return fmt.Errorf("%s: %w", field, err) }

func parseAddr(field, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%s: %q is not an IPv4 address", field, s)
	}
	return a, nil
}

func parseAddrs[T ~string](field string, in []T) ([]netip.Addr, error) {
	out := make([]netip.Addr, 0, len(in))
	for i, s := range in {
		a, err := parseAddr(fmt.Sprintf("%s[%d]", field, i), string(s))
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// parseExcluded reads addresses and a-b ranges.
func parseExcluded(field string, in []dhcpv1alpha1.AddressOrRange) ([]config.Range, error) {
	out := make([]config.Range, 0, len(in))
	for i, e := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		lo, hi, isRange := strings.Cut(string(e), "-")
		a, err := parseAddr(f, lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parseAddr(f, hi); err != nil {
				return nil, err
			}
		}
		if b.Less(a) {
			return nil, fmt.Errorf("%s: the end of %s is before its start", f, e)
		}
		out = append(out, config.Range{Start: a, End: b})
	}
	return out, nil
}

func dur(d *metav1.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.Duration
}

func leaseTimes(lt *dhcpv1alpha1.LeaseTimes) config.LeaseTimes {
	if lt == nil {
		return config.LeaseTimes{}
	}
	return config.LeaseTimes{Default: dur(lt.Default), Min: dur(lt.Min), Max: dur(lt.Max), Renew: dur(lt.Renew), Rebind: dur(lt.Rebind)}
}

// translateOptions reads typed and custom options; errors name the field
// under prefix (spec.options, spec.customOptions).
func translateOptions(o *dhcpv1alpha1.DHCPOptions, custom []dhcpv1alpha1.CustomOption) (options.Options, error) {
	var out options.Options
	for i, c := range custom {
		out.Custom = append(out.Custom, options.Custom{Code: uint8(c.Code), Type: string(c.Type), Value: c.Value})
		if c.Code < 1 || c.Code > 254 {
			return out, fmt.Errorf("spec.customOptions[%d].code: %d is not 1-254", i, c.Code)
		}
	}
	if o == nil {
		return out, nil
	}
	var err error
	lists := []struct {
		field string
		in    []dhcpv1alpha1.IPv4Address
		out   *[]netip.Addr
	}{{"routers", o.Routers, &out.Routers}, {"dnsServers", o.DNSServers, &out.DNSServers}, {"ntpServers", o.NTPServers, &out.NTPServers},
		{"netbiosNameServers", o.NetBIOSNameServers, &out.NetBIOSNameServers}, {"timeServers", o.TimeServers, &out.TimeServers},
		{"logServers", o.LogServers, &out.LogServers}}
	for _, l := range lists {
		if *l.out, err = parseAddrs("spec.options."+l.field, l.in); err != nil {
			return out, err
		}
	}
	out.DomainName, out.TFTPServerName, out.BootFileName, out.RootPath = string(o.DomainName), o.TFTPServerName, o.BootFileName, o.RootPath
	for _, d := range o.DomainSearch {
		out.DomainSearch = append(out.DomainSearch, string(d))
	}
	out.TimeOffset = o.TimeOffset
	if o.InterfaceMTU != nil {
		mtu := uint16(*o.InterfaceMTU)
		out.InterfaceMTU = &mtu
	}
	if o.BroadcastAddress != "" {
		if out.BroadcastAddress, err = parseAddr("spec.options.broadcastAddress", string(o.BroadcastAddress)); err != nil {
			return out, err
		}
	}
	out.NetBIOSNodeType = string(o.NetBIOSNodeType)
	for i, r := range o.ClasslessStaticRoutes {
		p, perr := netip.ParsePrefix(string(r.Destination))
		g, gerr := netip.ParseAddr(string(r.Gateway))
		if perr != nil || gerr != nil {
			return out, fmt.Errorf("spec.options.classlessStaticRoutes[%d]: not an IPv4 route", i)
		}
		out.ClasslessRoutes = append(out.ClasslessRoutes, options.Route{Destination: p, Gateway: g})
	}
	return out, nil
}

func translateBoot(b *dhcpv1alpha1.Boot) (*config.Boot, error) {
	if b == nil {
		return nil, nil
	}
	out := &config.Boot{ServerName: b.ServerName}
	if b.NextServer != "" {
		a, err := parseAddr("spec.boot.nextServer", string(b.NextServer))
		if err != nil {
			return nil, err
		}
		out.NextServer = a
	}
	for _, r := range b.Rules {
		out.Rules = append(out.Rules, config.BootRule{ClientArch: arches(r.Match.ClientArch), UserClass: r.Match.UserClass,
			VendorClassPrefix: r.Match.VendorClassPrefix, File: r.BootFileName})
	}
	return out, nil
}

func arches(in []dhcpv1alpha1.ClientArch) []uint16 {
	out := make([]uint16, 0, len(in))
	for _, a := range in {
		out = append(out, uint16(a))
	}
	return out
}

// relayID reads a circuit or remote ID: colon-separated hex octets when it
// parses as such, else its text.
func relayID(s string) []byte {
	if s == "" {
		return nil
	}
	if b, err := options.ParseHex(s); err == nil {
		return b
	}
	return []byte(s)
}

// maxSubnetName is the longest Subnet name: a label value's limit.
const maxSubnetName = 63

// defaultLeasesPerMAC is a Subnet's maxLeasesPerMAC when unset.
const defaultLeasesPerMAC = 16

func translateSubnet(s *dhcpv1alpha1.Subnet) (*config.Subnet, error) {
	if len(s.Name) > maxSubnetName {
		return nil, fmt.Errorf("metadata.name: %d characters, more than %d: the name labels the Subnet's Leases", len(s.Name), maxSubnetName)
	}
	p, err := netip.ParsePrefix(string(s.Spec.CIDR))
	if err != nil || !p.Addr().Is4() {
		return nil, fieldError("spec.cidr", fmt.Errorf("%q is not an IPv4 CIDR", s.Spec.CIDR))
	}
	out := &config.Subnet{Name: s.Name, Prefix: p.Masked(), LeaseTimes: leaseTimes(s.Spec.LeaseTime),
		Authoritative: s.Spec.Authoritative, DenyUnknownClients: s.Spec.DenyUnknownClients,
		AllowSubnetSelection: s.Spec.AllowSubnetSelection, MaxLeasesPerMAC: defaultLeasesPerMAC,
		LoadBalanceMaxSecs: -1}
	if m := s.Spec.MaxLeasesPerMAC; m != nil {
		out.MaxLeasesPerMAC = int(*m)
	}
	if m := s.Spec.LoadBalanceMaxSeconds; m != nil {
		if *m < 0 || *m > 65535 {
			return nil, fieldError("spec.loadBalanceMaxSeconds", fmt.Errorf("%d is not from 0 to 65535", *m))
		}
		out.LoadBalanceMaxSecs = *m
	}
	if s.Spec.ServerIdentifier != "" {
		if out.ServerID, err = parseAddr("spec.serverIdentifier", string(s.Spec.ServerIdentifier)); err != nil {
			return nil, err
		}
	}
	for _, i := range s.Spec.Interfaces {
		out.Interfaces = append(out.Interfaces, string(i))
	}
	if out.Relays, err = parseAddrs("spec.relayAddresses", s.Spec.RelayAddresses); err != nil {
		return nil, err
	}
	if out.Excluded, err = parseExcluded("spec.excludedAddresses", s.Spec.ExcludedAddresses); err != nil {
		return nil, err
	}
	if out.Options, err = translateOptions(s.Spec.Options, s.Spec.CustomOptions); err != nil {
		return nil, err
	}
	if out.Boot, err = translateBoot(s.Spec.Boot); err != nil {
		return nil, err
	}
	if pc := s.Spec.PingCheck; pc != nil {
		out.Ping = config.PingCheck{Enabled: pc.Enabled, Timeout: dur(pc.Timeout)}
	}
	return out, nil
}

func translatePool(p *dhcpv1alpha1.Pool) (*config.Pool, error) {
	out := &config.Pool{Name: p.Name, LeaseTimes: leaseTimes(p.Spec.LeaseTime)}
	for i, r := range p.Spec.Ranges {
		f := fmt.Sprintf("spec.ranges[%d]", i)
		var rg config.Range
		if r.CIDR != "" {
			pf, err := netip.ParsePrefix(string(r.CIDR))
			if err != nil || !pf.Addr().Is4() {
				return nil, fmt.Errorf("%s.cidr: %q is not an IPv4 CIDR", f, r.CIDR)
			}
			rg = config.PrefixRange(pf)
		} else {
			a, err := parseAddr(f+".start", string(r.Start))
			if err != nil {
				return nil, err
			}
			b, err := parseAddr(f+".end", string(r.End))
			if err != nil {
				return nil, err
			}
			rg = config.Range{Start: a, End: b}
		}
		out.Ranges = append(out.Ranges, rg)
	}
	var err error
	if out.Excluded, err = parseExcluded("spec.excludedAddresses", p.Spec.ExcludedAddresses); err != nil {
		return nil, err
	}
	if out.Options, err = translateOptions(p.Spec.Options, p.Spec.CustomOptions); err != nil {
		return nil, err
	}
	if c := p.Spec.ClientClasses; c != nil {
		out.Classes = &config.Classes{VendorClass: c.VendorClass, VendorClassPrefix: c.VendorClassPrefix, UserClass: c.UserClass,
			ClientArch: arches(c.ClientArch), CircuitID: relayID(c.CircuitID), RemoteID: relayID(c.RemoteID)}
		switch c.KnownClients {
		case dhcpv1alpha1.KnownClientsOnly:
			out.Classes.Known = config.KnownOnly
		case dhcpv1alpha1.KnownClientsDeny:
			out.Classes.Known = config.KnownDeny
		}
	}
	return out, nil
}

func translateReservation(r *dhcpv1alpha1.Reservation) (*config.Reservation, error) {
	out := &config.Reservation{Name: r.Name, Hostname: string(r.Spec.Hostname), CircuitID: relayID(r.Spec.CircuitID), Claim: r.Spec.Claim}
	var err error
	if r.Spec.MACAddress != "" {
		if out.MAC, err = net.ParseMAC(string(r.Spec.MACAddress)); err != nil {
			return nil, fieldError("spec.macAddress", err)
		}
	}
	if r.Spec.ClientID != "" {
		if out.ClientID, err = options.ParseHex(string(r.Spec.ClientID)); err != nil {
			return nil, fieldError("spec.clientID", err)
		}
	}
	if out.Addr, err = parseAddr("spec.ipAddress", string(r.Spec.IPAddress)); err != nil {
		return nil, err
	}
	if out.Options, err = translateOptions(r.Spec.Options, r.Spec.CustomOptions); err != nil {
		return nil, err
	}
	if out.Boot, err = translateBoot(r.Spec.Boot); err != nil {
		return nil, err
	}
	return out, nil
}

// Identity describes a Reservation's client for display, such as
// mac 00:16:41:e0:f9:1c.
func Identity(r *dhcpv1alpha1.Reservation) string {
	switch {
	case r.Spec.MACAddress != "":
		return "mac " + strings.ToLower(string(r.Spec.MACAddress))
	case r.Spec.ClientID != "":
		return "client-id " + strings.ToLower(string(r.Spec.ClientID))
	case r.Spec.Claim != "":
		return "claim " + r.Spec.Claim
	}
	return "circuit-id " + r.Spec.CircuitID
}
