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

// The servers whose files import, as --format names them.
const (
	formatDhcpd   = "dhcpd"
	formatKea     = "kea"
	formatDnsmasq = "dnsmasq"
)

// formats completes --format.
func formats(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{formatDhcpd, formatKea, formatDnsmasq}, cobra.ShellCompDirectiveNoFileComp
}

func newImport(k *kube) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import the configuration and the leases of ISC dhcpd, Kea or dnsmasq",
	}
	cmd.AddCommand(newImportLeases(k), newImportConfig(k))
	return cmd
}

// configReaders are the configuration readers by --format.
var configReaders = map[string]func(io.Reader, string) (migrate.Objects, []migrate.Skipped, error){
	formatDhcpd: migrate.ReadDhcpdConf, formatKea: migrate.ReadKeaConf, formatDnsmasq: migrate.ReadDnsmasqConf}

func newImportConfig(k *kube) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "config FILE",
		Short: "Print an ISC dhcpd.conf, a Kea kea-dhcp4.json or a dnsmasq configuration as Subnets, Pools and Reservations, for kubectl apply",
		Long: "Subnets carry the options, lease times, authoritative, relay addresses and PXE boot rules (if/elsif chains, Kea " +
			"classes, dhcp-boot); Pools the ranges, restricted to the classes that map (vendor class, user class, architecture, " +
			"known clients); Reservations the hosts. Everything that does not map, or maps only in part, is listed on standard " +
			"error with its line.",
		Example: "  kubectl dhcp import config --format dhcpd /etc/dhcp/dhcpd.conf > kubedhcp.yaml\n" +
			"  kubectl dhcp import config --format kea /etc/kea/kea-dhcp4.json > kubedhcp.yaml\n" +
			"  kubectl dhcp import config --format dnsmasq /etc/dnsmasq.conf > kubedhcp.yaml",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			read := configReaders[format]
			if read == nil {
				return fmt.Errorf("--format %q: want dhcpd, kea or dnsmasq", format)
			}
			var objs migrate.Objects
			var skipped []migrate.Skipped
			err := readFile(args[0], func(r io.Reader) (err error) {
				objs, skipped, err = read(r, k.namespaceOnly())
				return err
			})
			if err != nil {
				return err
			}
			return printImport(cmd, objs, skipped)
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "dhcpd (dhcpd.conf), kea (kea-dhcp4.json) or dnsmasq (dnsmasq.conf)")
	_ = cmd.MarkFlagRequired("format")
	_ = cmd.RegisterFlagCompletionFunc("format", formats)
	return cmd
}

// readFile runs read on the file at path; its error names the file.
func readFile(path string, read func(io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	if err := read(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// printImport prints the objects as YAML documents without status, and
// what was not imported, or only in part, on standard error.
func printImport(cmd *cobra.Command, objs migrate.Objects, skipped []migrate.Skipped) error {
	all := make([]manifest, 0, len(objs.Subnets)+len(objs.Pools)+len(objs.Reservations))
	for _, o := range objs.Subnets {
		all = append(all, manifest{APIVersion: o.APIVersion, Kind: o.Kind, Metadata: manifestMeta{o.Name, o.Namespace}, Spec: o.Spec})
	}
	for _, o := range objs.Pools {
		all = append(all, manifest{APIVersion: o.APIVersion, Kind: o.Kind, Metadata: manifestMeta{o.Name, o.Namespace}, Spec: o.Spec})
	}
	for _, o := range objs.Reservations {
		all = append(all, manifest{APIVersion: o.APIVersion, Kind: o.Kind, Metadata: manifestMeta{o.Name, o.Namespace}, Spec: o.Spec})
	}
	w := &printer{w: cmd.OutOrStdout()}
	for _, o := range all {
		out, err := yaml.Marshal(o)
		if err != nil {
			return err
		}
		w.f("---\n%s", out)
	}
	e := &printer{w: cmd.ErrOrStderr()}
	for _, s := range skipped {
		if s.Partly {
			e.f("imported in part: %s\n", s)
		} else {
			e.f("not imported: %s\n", s)
		}
	}
	e.f("%d Subnets, %d Pools, %d Reservations; %d statements not imported or in part\n",
		len(objs.Subnets), len(objs.Pools), len(objs.Reservations), len(skipped))
	if err := e.done(); err != nil {
		return err
	}
	return w.done()
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
				formatDhcpd: migrate.ReadDhcpdLeases, formatKea: migrate.ReadKeaLeases, formatDnsmasq: migrate.ReadDnsmasqLeases}[format]
			if read == nil {
				return fmt.Errorf("--format %q: want dhcpd, kea or dnsmasq", format)
			}
			var entries []migrate.Entry
			var skipped []migrate.Skipped
			err := readFile(args[0], func(r io.Reader) (err error) {
				entries, skipped, err = read(r)
				return err
			})
			if err != nil {
				return err
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
	_ = cmd.RegisterFlagCompletionFunc("format", formats)
	return cmd
}
