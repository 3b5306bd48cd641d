package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

func newUsage(k *kube) *cobra.Command {
	return &cobra.Command{
		Use:   "usage",
		Short: "Show each Subnet and Pool: total, used, free and claimed addresses, with a bar",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var sns dhcpv1alpha1.SubnetList
			var ps dhcpv1alpha1.PoolList
			if err := k.list(cmd.Context(), &sns); err != nil {
				return err
			}
			if err := k.list(cmd.Context(), &ps); err != nil {
				return err
			}
			w := newTable(cmd.OutOrStdout())
			w.f("SUBNET/POOL\tTOTAL\tUSED\tFREE\tCLAIMED\tUSE\n")
			for _, sn := range sns.Items {
				st := sn.Status
				w.f("%s (%s)\t%d\t%d\t%d\t%d\t%s\n", sn.Name, sn.Spec.CIDR, st.Total, st.Used, st.Free, st.Claimed, bar(st.Used, st.Total))
				for _, p := range ps.Items {
					if string(p.Spec.Subnet) != sn.Name {
						continue
					}
					pt := p.Status
					w.f("  %s\t%d\t%d\t%d\t%d\t%s\n", p.Name, pt.Total, pt.Used, pt.Free, pt.Claimed, bar(pt.Used, pt.Total))
				}
			}
			return w.done()
		},
	}
}

// bar draws used of total in 20 cells, with the percentage.
func bar(used, total int64) string {
	const cells = 20
	if total <= 0 {
		return "[" + strings.Repeat(" ", cells) + "]   -"
	}
	n := int(min(max(used, 0)*cells/total, cells))
	if used > 0 && n == 0 {
		n = 1
	}
	return fmt.Sprintf("[%s%s] %3d%%", strings.Repeat("#", n), strings.Repeat(".", cells-n), min(used*100/total, 100))
}
