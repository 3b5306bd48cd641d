package main

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
	"github.com/kubedhcp/kubedhcp/test/netns"
	"github.com/kubedhcp/kubedhcp/test/testenv"
)

// The steady-state renewal benchmark: clients with a short lease renew at
// T1, round after round, as real clients do.
const (
	steadyClients = 500
	steadyLease   = 4 * time.Second
	steadyRounds  = 8
)

// steadyRenewals binds steadyClients through the Lease store with a relay
// in perfdhcp's namespace, renews every one of them at T1 for
// steadyRounds rounds, and counts the apiserver's Lease writes during
// the renewals.
func steadyRenewals(o opts) (string, error) {
	k, err := startLeaseServer(o, "renewals-steady", steadyLease)
	if err != nil {
		return "", err
	}
	defer func() { _ = k.Stop() }()
	relay, err := clientRelay(relayIP)
	if err != nil {
		return "", err
	}
	defer func() { _ = relay.Close() }()
	ctx := context.Background()
	clients := relay.Clients(steadyClients, 0x5e)
	say("steady renewals: binding %d clients, lease time %s, then %d rounds of renewals at T1", steadyClients, steadyLease, steadyRounds)
	if ok := loadgen.RunAll(ctx, clients, 50, time.Second); ok != steadyClients {
		return "", fmt.Errorf("%d of %d clients bound", ok, steadyClients)
	}
	before, err := leaseWrites(k.env)
	if err != nil {
		return "", err
	}
	acks := 0
	for range steadyRounds {
		time.Sleep(steadyLease / 2)
		acks += loadgen.RenewAll(ctx, clients, 50, time.Second)
	}
	time.Sleep(time.Second) // let the last writes land in the metrics
	after, err := leaseWrites(k.env)
	if err != nil {
		return "", err
	}
	writes := after - before
	return fmt.Sprintf("Steady renewals with the Lease store (%d clients, lease time %s, renewing at T1, %d rounds): "+
		"%d of %d renewals ACKed, %d Lease writes = %.2f writes per renewal\n",
		steadyClients, steadyLease, steadyRounds, acks, steadyClients*steadyRounds, writes,
		float64(writes)/float64(max(1, acks))), nil
}

// startLeaseServer starts kubedhcp with the Lease store on the shared
// control plane, in a new namespace ns whose bench Subnet leases for
// leaseTime (short leases allowed: the default minimum is a minute).
func startLeaseServer(o opts, ns string, leaseTime time.Duration) (*kubedhcpServer, error) {
	env, err := sharedControlPlane()
	if err != nil {
		return nil, err
	}
	k := &kubedhcpServer{bin: o.bin, store: "kubernetes", env: env, ns: ns}
	toTear = append(toTear, k)
	if err := createBenchSubnet(env, ns, leaseTime); err != nil {
		return nil, err
	}
	if err := allowShortLeases(env, ns); err != nil {
		return nil, err
	}
	return k, k.startProcess()
}

// allowShortLeases lowers the bench Subnet's minimum lease time to the
// shortest there is, 4 seconds.
func allowShortLeases(env *testenv.Env, ns string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sn := &dhcpv1alpha1.Subnet{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "bench"}, sn); err != nil {
		return err
	}
	sn.Spec.LeaseTime.Min = &metav1.Duration{Duration: 4 * time.Second}
	return env.Client.Update(ctx, sn)
}

// clientRelay opens a loadgen relay at addr:67 in perfdhcp's namespace,
// relaying to the server.
func clientRelay(addr string) (*loadgen.Relay, error) {
	var relay *loadgen.Relay
	err := (&netns.NS{Name: clientNS}).Do(func() (err error) {
		relay, err = loadgen.NewRelay(netip.MustParseAddrPort(addr+":67"), netip.MustParseAddrPort(serverIP+":67"))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("opening a relay at %s in %s: %w", addr, clientNS, err)
	}
	return relay, nil
}
