// Package explain answers "what would the server do for this client, and
// why": it builds the configuration from live objects with the same pure
// translation the server runs, loads the live Leases into an engine of its
// own over a memory store, and hands that engine a DISCOVER built from
// the client's description. No packet is sent and nothing is written.
package explain

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/leasestore"
	"github.com/kubedhcp/kubedhcp/controllers/translate"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Client describes the client asked about, as its DISCOVER would.
type Client struct {
	MAC         net.HardwareAddr
	ClientID    []byte
	Relay       netip.Addr // giaddr; invalid: directly attached on Interface
	Interface   string
	CircuitID   []byte
	RemoteID    []byte
	VendorClass string
	UserClass   string
	Arch        []uint16
	Requested   netip.Addr
}

// Objects are the live objects of the served namespace.
type Objects struct {
	Subnets      []dhcpv1alpha1.Subnet
	Pools        []dhcpv1alpha1.Pool
	Reservations []dhcpv1alpha1.Reservation
	Leases       []dhcpv1alpha1.Lease
}

// Answer is what the server would do and why.
type Answer struct {
	// Outcome is offer or silent; Reason says why when silent.
	Outcome, Reason string
	Addr            netip.Addr
	Subnet          string
	SubnetWhy       string
	Pool            string
	Reservation     string
	// NotPools says, for each other pool of the subnet, why not it.
	NotPools []string
	// LeftOut are the objects the server does not serve, and why.
	LeftOut []string
	// Reply is the OFFER the server would send.
	Reply *dhcpv4.DHCPv4
}

// Explain answers for client c against objs, at now.
func Explain(ctx context.Context, objs Objects, c Client, now time.Time) (Answer, error) {
	built := translate.Build(objs.Subnets, objs.Pools, objs.Reservations, config.Env{})
	var a Answer
	for ref, p := range built.Problems {
		a.LeftOut = append(a.LeftOut, fmt.Sprintf("%s %s: %s", ref.Kind, ref.Name, p.Message))
	}
	sort.Strings(a.LeftOut)
	store := lease.NewMemory()
	for i := range objs.Leases {
		if b, err := leasestore.FromLease(&objs.Leases[i]); err == nil {
			b.Version = ""
			_, _ = store.Commit(ctx, b)
		}
	}
	eng := engine.New(store, engine.WithClock(fixed(now)))
	eng.SetSnapshot(built.Snapshot)
	if err := engine.Restore(ctx, eng, store); err != nil {
		return a, err
	}
	m, err := discover(c)
	if err != nil {
		return a, err
	}
	reply, res := eng.Handle(ctx, m, engine.Meta{Interface: c.Interface, LocalAddr: netip.IPv4Unspecified()})
	a.Outcome, a.Reason, a.Subnet, a.Addr = res.Outcome, string(res.Reason), res.Subnet, res.Addr
	if reply != nil {
		a.Reply = reply.Msg
	}
	a.describe(built.Snapshot, c)
	return a, nil
}

// describe fills in the subnet, pool and reservation and why.
func (a *Answer) describe(snap *config.Snapshot, c Client) {
	sn := snap.Subnet(a.Subnet)
	if sn == nil {
		sn = guessSubnet(snap, c)
	}
	if sn == nil {
		a.SubnetWhy = "no Subnet serves this client: " + noSubnet(c)
		return
	}
	a.Subnet, a.SubnetWhy = sn.Name, subnetWhy(sn, c)
	info := &config.ClientInfo{HWAddr: c.MAC, ClientID: c.ClientID, VendorClass: c.VendorClass, Arch: c.Arch,
		CircuitID: c.CircuitID, RemoteID: c.RemoteID}
	if c.UserClass != "" {
		info.UserClasses = []string{c.UserClass}
	}
	res := sn.ReservationFor(c.ClientID, c.MAC, c.CircuitID)
	if res != nil {
		a.Reservation = res.Name
	}
	if a.Addr.IsValid() {
		if p := sn.PoolFor(a.Addr); p != nil {
			a.Pool = p.Name
		}
	}
	for _, p := range sn.Pools {
		if p.Name == a.Pool {
			continue
		}
		if why := p.Classes.Misfit(info, res != nil); why != "" {
			a.NotPools = append(a.NotPools, fmt.Sprintf("pool %s: %s", p.Name, why))
		} else if a.Pool != "" {
			a.NotPools = append(a.NotPools, fmt.Sprintf("pool %s: fits too, but %s came first", p.Name, a.Pool))
		} else {
			a.NotPools = append(a.NotPools, fmt.Sprintf("pool %s: fits, but gave no address", p.Name))
		}
	}
}

func guessSubnet(snap *config.Snapshot, c Client) *config.Subnet {
	if c.Relay.IsValid() {
		return snap.SubnetForRelay(c.Relay)
	}
	if sns := snap.SubnetsForInterface(c.Interface); len(sns) > 0 {
		return sns[0]
	}
	return nil
}

func noSubnet(c Client) string {
	if c.Relay.IsValid() {
		return fmt.Sprintf("relay %s is inside no Subnet's cidr and in no Subnet's relayAddresses", c.Relay)
	}
	return fmt.Sprintf("no Subnet serves directly attached clients on interface %q (spec.interfaces)", c.Interface)
}

func subnetWhy(sn *config.Subnet, c Client) string {
	if !c.Relay.IsValid() {
		return fmt.Sprintf("directly attached on interface %s", c.Interface)
	}
	for _, r := range sn.Relays {
		if r == c.Relay {
			return fmt.Sprintf("relay %s is in its relayAddresses", c.Relay)
		}
	}
	return fmt.Sprintf("relay %s is inside its cidr %s", c.Relay, sn.Prefix)
}

// discover is the DISCOVER client c would send.
func discover(c Client) (*dhcpv4.DHCPv4, error) {
	mods := []dhcpv4.Modifier{dhcpv4.WithBroadcast(true)}
	if len(c.ClientID) > 0 {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptClientIdentifier(c.ClientID)))
	}
	if c.VendorClass != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptClassIdentifier(c.VendorClass)))
	}
	if c.UserClass != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptUserClass(c.UserClass)))
	}
	if len(c.Arch) > 0 {
		arch := make([]byte, 0, 2*len(c.Arch))
		for _, x := range c.Arch {
			arch = append(arch, byte(x>>8), byte(x))
		}
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionClientSystemArchitectureType, arch)))
	}
	if c.Requested.IsValid() {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(c.Requested.AsSlice())))
	}
	if c.Relay.IsValid() {
		mods = append(mods, dhcpv4.WithGatewayIP(c.Relay.AsSlice()), func(m *dhcpv4.DHCPv4) { m.HopCount = 1 })
		var subs []dhcpv4.Option
		if len(c.CircuitID) > 0 {
			subs = append(subs, dhcpv4.OptGeneric(dhcpv4.AgentCircuitIDSubOption, c.CircuitID))
		}
		if len(c.RemoteID) > 0 {
			subs = append(subs, dhcpv4.OptGeneric(dhcpv4.AgentRemoteIDSubOption, c.RemoteID))
		}
		if len(subs) > 0 {
			mods = append(mods, dhcpv4.WithOption(dhcpv4.OptRelayAgentInfo(subs...)))
		}
	}
	return dhcpv4.NewDiscovery(c.MAC, mods...)
}

type fixed time.Time

func (f fixed) Now() time.Time { return time.Time(f) }
