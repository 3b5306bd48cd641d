package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/explain"
	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

func newWhy(k *kube) *cobra.Command {
	var relay, circuit, remote, vendor, user, arch, requested, iface, clientID string
	cmd := &cobra.Command{
		Use:   "why MAC",
		Short: "Say which Subnet, Pool, Reservation and options the server would give such a client, and why not others; nothing is sent",
		Long: "why builds the configuration from the live Subnets, Pools and Reservations with the server's own translation, loads the " +
			"live Leases into the server's own engine, and asks it what it would answer a DISCOVER from this client. No packet is sent " +
			"and nothing is written.",
		Example: "  kubectl dhcp why 52:54:00:12:34:56 --relay 10.20.0.1 --vendor-class PXEClient:Arch:00007 --arch 7\n" +
			"  kubectl dhcp why 52:54:00:12:34:56 --interface eth1 --user-class iPXE",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := whyClient(args[0], relay, iface, circuit, remote, vendor, user, arch, requested, clientID)
			if err != nil {
				return err
			}
			var sns dhcpv1alpha1.SubnetList
			var ps dhcpv1alpha1.PoolList
			var rs dhcpv1alpha1.ReservationList
			var ls dhcpv1alpha1.LeaseList
			ctx := cmd.Context()
			if err := k.list(ctx, &sns); err != nil {
				return err
			}
			if err := k.list(ctx, &ps); err != nil {
				return err
			}
			if err := k.list(ctx, &rs); err != nil {
				return err
			}
			if err := k.list(ctx, &ls); err != nil {
				return err
			}
			objs := explain.Objects{Subnets: sns.Items, Pools: ps.Items, Reservations: rs.Items, Leases: ls.Items}
			a, err := explain.Explain(ctx, objs, c, time.Now())
			if err != nil {
				return err
			}
			return printAnswer(cmd.OutOrStdout(), c, a)
		},
	}
	f := cmd.Flags()
	f.StringVar(&relay, "relay", "", "the relay agent address (giaddr) the client comes through; none: directly attached (give --interface)")
	f.StringVar(&iface, "interface", "", "the server interface a directly attached client is on")
	f.StringVar(&circuit, "circuit-id", "", "the relay's circuit ID (option 82.1), text or hex octets with colons")
	f.StringVar(&remote, "remote-id", "", "the relay's remote ID (option 82.2), text or hex octets with colons")
	f.StringVar(&vendor, "vendor-class", "", "vendor class identifier (option 60), such as PXEClient:Arch:00007")
	f.StringVar(&user, "user-class", "", "user class (option 77), such as iPXE")
	f.StringVar(&arch, "arch", "", "client system architecture (option 93), such as 7 (EFI x86-64)")
	f.StringVar(&requested, "requested", "", "address the client asks for (option 50)")
	f.StringVar(&clientID, "client-id", "", "client identifier (option 61), hex octets with colons")
	return cmd
}

func whyClient(mac, relay, iface, circuit, remote, vendor, user, arch, requested, clientID string) (explain.Client, error) {
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 {
		return explain.Client{}, fmt.Errorf("%q is not a MAC address", mac)
	}
	c := explain.Client{MAC: hw, Interface: iface, VendorClass: vendor, UserClass: user,
		CircuitID: octets(circuit), RemoteID: octets(remote)}
	if relay != "" {
		if c.Relay, err = netip.ParseAddr(relay); err != nil || !c.Relay.Is4() {
			return c, fmt.Errorf("--relay %q is not an IPv4 address", relay)
		}
	} else if iface == "" {
		return c, fmt.Errorf("say where the client is: --relay GIADDR, or --interface NAME for a directly attached one")
	}
	if requested != "" {
		if c.Requested, err = netip.ParseAddr(requested); err != nil {
			return c, fmt.Errorf("--requested %q is not an address", requested)
		}
	}
	if arch != "" {
		n, err := strconv.ParseUint(arch, 10, 16)
		if err != nil {
			return c, fmt.Errorf("--arch %q is not a number from 0 to 65535", arch)
		}
		c.Arch = []uint16{uint16(n)}
	}
	if clientID != "" {
		if c.ClientID, err = options.ParseHex(clientID); err != nil {
			return c, fmt.Errorf("--client-id: %w", err)
		}
	}
	return c, nil
}

// octets reads hex octets with colons, else the text itself.
func octets(s string) []byte {
	if s == "" {
		return nil
	}
	if b, err := options.ParseHex(s); err == nil {
		return b
	}
	return []byte(s)
}

func printAnswer(out io.Writer, c explain.Client, a explain.Answer) error {
	w := &printer{w: out}
	w.f("client:       %s\n", c.MAC)
	w.f("subnet:       %s\n", orNone(a.Subnet, a.SubnetWhy))
	w.f("reservation:  %s\n", dash(a.Reservation))
	w.f("pool:         %s\n", dash(a.Pool))
	for _, n := range a.NotPools {
		w.f("  not %s\n", n)
	}
	if a.Outcome == "offer" {
		w.f("answer:       OFFER %s\n", a.Addr)
	} else {
		w.f("answer:       none (%s)\n", a.Reason)
	}
	if a.Reply != nil {
		w.f("options:\n")
		for _, line := range strings.Split(strings.TrimSpace(a.Reply.Summary()), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "options:") || !strings.HasPrefix(line, "    ") {
				continue
			}
			w.f("  %s\n", strings.TrimSpace(line))
		}
		if a.Reply.BootFileName != "" || a.Reply.ServerIPAddr != nil && !a.Reply.ServerIPAddr.IsUnspecified() {
			w.f("boot:         next-server %s, file %q\n", a.Reply.ServerIPAddr, a.Reply.BootFileName)
		}
	}
	for _, l := range a.LeftOut {
		w.f("left out:     %s\n", l)
	}
	return w.done()
}

func orNone(name, why string) string {
	if name == "" {
		return "none: " + why
	}
	return name + " (" + why + ")"
}
