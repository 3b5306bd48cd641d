package main

import (
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

var states = []string{"Bound", "Released", "Declined", "Expired", "Spare", "Claimed"}

func newLeases(k *kube) *cobra.Command {
	var subnet, state, mac string
	cmd := &cobra.Command{
		Use:     "leases",
		Short:   "List the Leases, by address, filtered by subnet, state or MAC",
		Example: "  kubectl dhcp leases --state Bound\n  kubectl dhcp leases --subnet office --mac 00:16:41:e0:f9:1c",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var ls dhcpv1alpha1.LeaseList
			if err := k.list(cmd.Context(), &ls); err != nil {
				return err
			}
			var rows []dhcpv1alpha1.Lease
			for _, l := range ls.Items {
				s := l.Spec
				if (subnet == "" || string(s.Subnet) == subnet) && (state == "" || strings.EqualFold(string(s.State), state)) &&
					(mac == "" || strings.EqualFold(string(s.MACAddress), mac)) {
					rows = append(rows, l)
				}
			}
			sortByAddr(rows)
			w := newTable(cmd.OutOrStdout())
			w.f("IP\tMAC\tHOSTNAME\tSTATE\tEXPIRES\tSUBNET\tHELD BY\n")
			for _, l := range rows {
				w.f("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Spec.IPAddress, dash(string(l.Spec.MACAddress)), dash(l.Spec.Hostname),
					l.Spec.State, expires(l.Spec.Expires), l.Spec.Subnet, heldBy(&l))
			}
			return w.done()
		},
	}
	cmd.Flags().StringVar(&subnet, "subnet", "", "only this Subnet's Leases")
	cmd.Flags().StringVar(&state, "state", "", "only Leases in this state: "+strings.Join(states, ", "))
	cmd.Flags().StringVar(&mac, "mac", "", "only this MAC address's Leases")
	_ = cmd.RegisterFlagCompletionFunc("state", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return states, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// heldBy says what holds a Lease beside its client: its Reservation, its
// claim or the replica of a spare.
func heldBy(l *dhcpv1alpha1.Lease) string {
	switch {
	case l.Spec.Claim != "":
		return "claim " + l.Spec.Claim
	case l.Spec.Reservation != "":
		return "reservation " + l.Spec.Reservation
	case l.Spec.Replica != "":
		return "replica " + l.Spec.Replica
	case l.Spec.Pool != "":
		return "pool " + l.Spec.Pool
	}
	return "-"
}

func expires(t *metav1.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortByAddr(ls []dhcpv1alpha1.Lease) {
	sort.Slice(ls, func(i, j int) bool {
		a, _ := netip.ParseAddr(string(ls[i].Spec.IPAddress))
		b, _ := netip.ParseAddr(string(ls[j].Spec.IPAddress))
		return a.Less(b)
	})
}
