package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/migrate"
	"github.com/kubedhcp/kubedhcp/test/clients"
	"github.com/kubedhcp/kubedhcp/test/netns"
)

// keaConfig serves segment A as the test network's server would, with a
// 30 s lease renewed at 10 s.
const keaConfig = `{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "eth1" ], "dhcp-socket-type": "raw" },
    "lease-database": { "type": "memfile", "persist": true, "name": %q, "lfc-interval": 0 },
    "authoritative": true,
    "valid-lifetime": 30,
    "renew-timer": 10,
    "rebind-timer": 20,
    "option-data": [
      { "name": "domain-name", "data": "corp.example" },
      { "name": "domain-name-servers", "data": "10.0.0.2" }
    ],
    "subnet4": [ {
      "id": 1,
      "subnet": "10.0.0.0/24",
      "interface": "eth1",
      "option-data": [ { "name": "routers", "data": "10.0.0.1" } ],
      "pools": [ { "pool": "10.0.0.150 - 10.0.0.159" } ]
    } ]
  }
}`

// A real dhclient bound by Kea keeps its address when kubedhcp takes
// over: Kea's configuration and its lease CSV are imported (the code
// behind kubectl dhcp import), Kea is stopped, kubedhcp starts on the same
// segment, and the client's renewal at T1 is ACKed with the same address,
// now a Bound Lease object.
func TestClientMovesFromKea(t *testing.T) {
	netns.RequireRoot(t)
	ns := setup(t, "kea-", func(string) []client.Object { return nil })
	n := newNetwork(t)
	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "kea-leases4.csv")
	confFile := filepath.Join(dir, "kea-dhcp4.json")
	if err := os.WriteFile(confFile, fmt.Appendf(nil, keaConfig, leaseFile), 0o600); err != nil {
		t.Fatal(err)
	}
	kea := n.server.Command("kea-dhcp4", "-c", confFile)
	kea.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir, "KEA_LOGGER_DESTINATION=stdout")
	var keaLog bytes.Buffer
	kea.Stdout, kea.Stderr = &keaLog, &keaLog
	if err := kea.Start(); err != nil {
		t.Fatal(err)
	}
	keaStopped := false
	stopKea := func() {
		if !keaStopped {
			keaStopped = true
			_ = kea.Process.Signal(os.Interrupt)
			_ = kea.Wait()
		}
	}
	t.Cleanup(stopKea)

	mac, _ := net.ParseMAC("02:00:00:00:4e:01")
	c := clients.Dhclient(t, n.client(t, "A", "eth0", mac), "eth0", "")
	st := c.Wait(t, 30*time.Second, c.Bound)
	addr := st["ip"]
	if !strings.HasPrefix(addr, "10.0.0.15") || st["server"] != "10.0.0.2" || st["lease"] != "30" {
		t.Fatalf("Kea bound the client to %v, want an address of 10.0.0.150-159 from 10.0.0.2 for 30 s\n%s", st, keaLog.String())
	}
	bound := time.Now()
	stopKea()
	t.Logf("Kea bound %s to %s", mac, addr)

	importKea(t, ns, confFile, leaseFile)
	startManager(t, n, ns)
	t.Logf("kubedhcp serving %s after Kea's ACK", time.Since(bound).Round(100*time.Millisecond))

	st = c.Wait(t, 30*time.Second, c.Renewed) // T1 is 10 s after the bind
	if st["ip"] != addr || st["server"] != "10.0.0.2" || st["routers"] != "10.0.0.1" || st["domain"] != "corp.example" {
		t.Fatalf("renewed with %v, want %s from 10.0.0.2 with Kea's options", st, addr)
	}
	l := leaseOf(t, ns, addr)
	if l.Spec.State != dhcpv1alpha1.LeaseBound || string(l.Spec.MACAddress) != mac.String() || l.Spec.Expires.Time.Before(bound.Add(30*time.Second)) {
		t.Fatalf("Lease after the renewal: %+v", l.Spec)
	}
	t.Logf("renewed by kubedhcp %s after Kea's ACK: %s, Lease %s expires %s", time.Since(bound).Round(100*time.Millisecond), addr,
		l.Name, l.Spec.Expires.Format(time.RFC3339))
}

// importKea writes the objects of Kea's configuration and the Leases of
// its lease file into namespace ns.
func importKea(t *testing.T, ns, confFile, leaseFile string) {
	t.Helper()
	ctx := context.Background()
	f, err := os.Open(confFile)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	objs, skipped, err := migrate.ReadKeaConf(f, ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Kea configuration: %d Subnets, %d Pools; not imported: %v", len(objs.Subnets), len(objs.Pools), skipped)
	subnets := make([]migrate.Subnet, 0, len(objs.Subnets))
	for i := range objs.Subnets {
		sn := &objs.Subnets[i]
		if err := env.Client.Create(ctx, sn); err != nil {
			t.Fatal(err)
		}
		p, _ := netip.ParsePrefix(string(sn.Spec.CIDR))
		subnets = append(subnets, migrate.Subnet{Name: sn.Name, Prefix: p})
	}
	for i := range objs.Pools {
		if err := env.Client.Create(ctx, &objs.Pools[i]); err != nil {
			t.Fatal(err)
		}
	}
	lf, err := os.Open(leaseFile)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lf.Close() }()
	entries, skippedLeases, err := migrate.ReadKeaLeases(lf)
	if err != nil {
		t.Fatal(err)
	}
	leases, more := migrate.ToLeases(entries, subnets, ns, time.Now())
	if len(leases) != 1 {
		raw, _ := os.ReadFile(leaseFile)
		t.Fatalf("%d Leases from Kea's CSV, want 1 (skipped %v %v)\n%s", len(leases), skippedLeases, more, raw)
	}
	for i := range leases {
		if err := env.Client.Create(ctx, &leases[i]); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("imported Lease %s for %s", leases[0].Name, leases[0].Spec.MACAddress)
}
