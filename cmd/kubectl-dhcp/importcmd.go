package main

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/migrate"
)

// formatDhcpd names ISC dhcpd's files in --format.
const formatDhcpd = "dhcpd"

func newImport(k *kube) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import from ISC dhcpd, Kea or dnsmasq: leases of all three, configuration of dhcpd",
	}
	cmd.AddCommand(newImportLeases(k), newImportConfig(k))
	return cmd
}

func newImportConfig(k *kube) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "config FILE",
		Short:   "Print an ISC dhcpd.conf as Subnets, Pools and Reservations, for kubectl apply; what does not map is listed with its line",
		Example: "  kubectl dhcp import config --format dhcpd /etc/dhcp/dhcpd.conf > kubedhcp.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != formatDhcpd {
				return fmt.Errorf("--format %q: only dhcpd configurations import today (Kea and dnsmasq: leases only)", format)
			}
			if err := k.connect(); err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer func() { _ = f.Close() }()
			objs, skipped, err := migrate.ReadDhcpdConf(f, k.ns)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			w := &printer{w: cmd.OutOrStdout()}
			var all []any
			for i := range objs.Subnets {
				all = append(all, &objs.Subnets[i])
			}
			for i := range objs.Pools {
				all = append(all, &objs.Pools[i])
			}
			for i := range objs.Reservations {
				all = append(all, &objs.Reservations[i])
			}
			for _, o := range all {
				out, err := yaml.Marshal(o)
				if err != nil {
					return err
				}
				w.f("---\n%s", out)
			}
			e := &printer{w: cmd.ErrOrStderr()}
			for _, s := range skipped {
				e.f("not imported: %s\n", s)
			}
			if err := e.done(); err != nil {
				return err
			}
			return w.done()
		},
	}
	cmd.Flags().StringVar(&format, "format", formatDhcpd, "dhcpd (dhcpd.conf)")
	return cmd
}

func newImportLeases(k *kube) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "leases FILE",
		Short: "Print the active leases of dhcpd.leases, Kea's lease CSV or dnsmasq.leases as Lease objects, for kubectl apply",
		Long: "Each active lease whose address lies in a Subnet of the namespace becomes a Bound Lease, so that its client keeps " +
			"its address when kubedhcp takes over; what is not imported (freed, expired, declined, in no Subnet) is listed on " +
			"standard error with its line. Apply the Leases before kubedhcp starts serving the network.",
		Example: "  kubectl dhcp import leases --format dhcpd /var/lib/dhcp/dhcpd.leases | kubectl apply -f -",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			read := map[string]func(io.Reader) ([]migrate.Entry, []migrate.Skipped, error){
				formatDhcpd: migrate.ReadDhcpdLeases, "kea": migrate.ReadKeaLeases, "dnsmasq": migrate.ReadDnsmasqLeases}[format]
			if read == nil {
				return fmt.Errorf("--format %q: want dhcpd, kea or dnsmasq", format)
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer func() { _ = f.Close() }()
			entries, skipped, err := read(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			var sns dhcpv1alpha1.SubnetList
			if err := k.list(cmd.Context(), &sns); err != nil {
				return err
			}
			subnets := make([]migrate.Subnet, 0, len(sns.Items))
			for _, sn := range sns.Items {
				if p, err := netip.ParsePrefix(string(sn.Spec.CIDR)); err == nil {
					subnets = append(subnets, migrate.Subnet{Name: sn.Name, Prefix: p.Masked()})
				}
			}
			leases, more := migrate.ToLeases(entries, subnets, k.ns, time.Now())
			w := &printer{w: cmd.OutOrStdout()}
			for i := range leases {
				out, err := yaml.Marshal(&leases[i])
				if err != nil {
					return err
				}
				w.f("---\n%s", out)
			}
			e := &printer{w: cmd.ErrOrStderr()}
			for _, s := range append(skipped, more...) {
				e.f("not imported: %s\n", s)
			}
			e.f("%d Leases from %s\n", len(leases), args[0])
			if err := e.done(); err != nil {
				return err
			}
			return w.done()
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "dhcpd (dhcpd.leases), kea (kea-leases4.csv) or dnsmasq (dnsmasq.leases)")
	_ = cmd.MarkFlagRequired("format")
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"dhcpd", "kea", "dnsmasq"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}
