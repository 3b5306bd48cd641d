package main

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	ipamv1 "sigs.k8s.io/cluster-api/api/ipam/v1beta2"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

func newWhoHas(k *kube) *cobra.Command {
	return &cobra.Command{
		Use:     "who-has ADDRESS|MAC|CLIENT-ID",
		Short:   "Find the Leases, Reservations and address claims of an address, a MAC address or a client identifier",
		Example: "  kubectl dhcp who-has 10.0.0.57\n  kubectl dhcp who-has 00:16:41:e0:f9:1c\n  kubectl dhcp who-has 01:00:16:41:e0:f9:1c",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			match, err := matcher(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var ls dhcpv1alpha1.LeaseList
			var rs dhcpv1alpha1.ReservationList
			if err := k.list(ctx, &ls); err != nil {
				return err
			}
			if err := k.list(ctx, &rs); err != nil {
				return err
			}
			var as ipamv1.IPAddressList
			if err := k.list(ctx, &as); err != nil && !meta.IsNoMatchError(err) {
				return err
			}
			w := newTable(cmd.OutOrStdout())
			w.f("KIND\tNAME\tIP\tCLIENT\tDETAIL\n")
			n := 0
			for _, l := range ls.Items {
				s := l.Spec
				if match(string(s.IPAddress), string(s.MACAddress), string(s.ClientID)) {
					n++
					w.f("Lease\t%s\t%s\t%s\t%s until %s, %s\n", l.Name, s.IPAddress, holder(string(s.MACAddress), string(s.ClientID), s.Claim),
						s.State, expires(s.Expires), heldBy(&l))
				}
			}
			for _, r := range rs.Items {
				s := r.Spec
				if match(string(s.IPAddress), string(s.MACAddress), string(s.ClientID)) {
					n++
					w.f("Reservation\t%s\t%s\t%s\tsubnet %s\n", r.Name, s.IPAddress, holder(string(s.MACAddress), string(s.ClientID), s.Claim), s.Subnet)
				}
			}
			for _, a := range as.Items {
				if match(a.Spec.Address, "", "") {
					n++
					w.f("IPAddress\t%s\t%s\tclaim %s\tpool %s %s\n", a.Name, a.Spec.Address, a.Spec.ClaimRef.Name, a.Spec.PoolRef.Kind, a.Spec.PoolRef.Name)
				}
			}
			if err := w.done(); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("nothing in namespace %s has %s", k.ns, args[0])
			}
			return nil
		},
	}
}

// matcher returns a test of (address, MAC, client ID) for what the user
// typed: an IPv4 address, a MAC address, or a client identifier in hex.
func matcher(arg string) (func(ip, mac, clientID string) bool, error) {
	if a, err := netip.ParseAddr(arg); err == nil {
		return func(ip, _, _ string) bool { return ip == a.String() }, nil
	}
	if hw, err := net.ParseMAC(arg); err == nil && len(hw) == 6 {
		return func(_, mac, _ string) bool { return strings.EqualFold(mac, hw.String()) }, nil
	}
	id := strings.ToLower(strings.ReplaceAll(arg, "-", ":"))
	for _, part := range strings.Split(id, ":") {
		if len(part) != 2 || strings.Trim(part, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("%q is no IPv4 address, MAC address or client identifier (hex octets separated by colons)", arg)
		}
	}
	return func(_, _, clientID string) bool { return strings.EqualFold(clientID, id) }, nil
}

func holder(mac, clientID, claim string) string {
	switch {
	case claim != "":
		return "claim " + claim
	case clientID != "":
		return "client-id " + clientID
	case mac != "":
		return "mac " + mac
	}
	return "-"
}
