package manager_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
	"github.com/kubedhcp/kubedhcp/test/testenv"
)

var (
	pluginOnce sync.Once
	pluginBin  string
	pluginErr  error
)

// plugin runs the kubectl-dhcp binary, built once, against the test
// apiserver in namespace ns.
func plugin(t *testing.T, ns string, args ...string) (string, error) {
	t.Helper()
	pluginOnce.Do(func() {
		pluginBin = filepath.Join(t.TempDir(), "kubectl-dhcp")
		out, err := exec.Command("go", "build", "-o", pluginBin, filepath.Join(testenv.RepoRoot(), "cmd", "kubectl-dhcp")).CombinedOutput()
		if err != nil {
			pluginErr = err
			t.Logf("%s", out)
		}
	})
	if pluginErr != nil {
		t.Fatal(pluginErr)
	}
	out, err := exec.Command(pluginBin, append([]string{"--kubeconfig", env.Kubeconfig, "-n", ns}, args...)...).CombinedOutput()
	return string(out), err
}

func mustPlugin(t *testing.T, ns string, want []string, args ...string) string {
	t.Helper()
	out, err := plugin(t, ns, args...)
	if err != nil {
		t.Fatalf("kubectl dhcp %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("kubectl dhcp %s printed\n%s\nwant %q", strings.Join(args, " "), out, w)
		}
	}
	return out
}

// The kubectl plugin against a served namespace: leases, who-has, usage,
// why (with no packet sent) and pin, and shell completion.
func TestKubectlPlugin(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.20")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pxe := &dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "lab-pxe", Namespace: ns}, Spec: dhcpv1alpha1.PoolSpec{Subnet: "lab",
		Ranges:        []dhcpv1alpha1.AddressRange{{Start: "10.50.0.100", End: "10.50.0.110"}},
		ClientClasses: &dhcpv1alpha1.ClientClasses{VendorClassPrefix: "PXEClient"}}}
	printer := &dhcpv1alpha1.Reservation{ObjectMeta: metav1.ObjectMeta{Name: "printer", Namespace: ns},
		Spec: dhcpv1alpha1.ReservationSpec{Subnet: "lab", MACAddress: "02:00:00:00:74:99", IPAddress: "10.50.0.50"}}
	if err := env.Client.Create(ctx, pxe); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, printer); err != nil {
		t.Fatal(err)
	}
	startManager(t, ns, serverA)
	r := relay(t, relayA, serverA)
	c := r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x74, 0x01})
	if err := c.DORA(ctx, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	ip, mac := c.Addr().String(), c.HW().String()
	mustPlugin(t, ns, []string{ip, mac, "Bound", "pool lab"}, "leases")
	mustPlugin(t, ns, []string{ip}, "leases", "--subnet", "lab", "--mac", mac)
	if out := mustPlugin(t, ns, nil, "leases", "--state", "Released"); strings.Contains(out, ip) {
		t.Errorf("leases --state Released lists the bound %s:\n%s", ip, out)
	}
	mustPlugin(t, ns, []string{"Lease", ip, "mac " + mac, "Bound"}, "who-has", ip)
	mustPlugin(t, ns, []string{"Reservation", "printer", "10.50.0.50"}, "who-has", "02:00:00:00:74:99")
	if out, err := plugin(t, ns, "who-has", "10.50.0.99"); err == nil || !strings.Contains(out, "nothing in namespace") {
		t.Errorf("who-has of a free address: %v\n%s", err, out)
	}
	eventually(t, 10*time.Second, "usage counts the bound client", func() bool {
		out, err := plugin(t, ns, "usage")
		return err == nil && strings.Contains(out, "lab (10.50.0.0/24)") && strings.Contains(out, "lab-pxe") && strings.Contains(out, "[#")
	})
	// why: the server's own answer, with no packet sent.
	mustPlugin(t, ns, []string{"subnet:       lab (relay 127.0.1.2 is in its relayAddresses)", "pool:         lab",
		`not pool lab-pxe: needs a vendor class starting "PXEClient"`, "answer:       OFFER " + ip, "Router: 10.50.0.254"},
		"why", mac, "--relay", "127.0.1.2")
	mustPlugin(t, ns, []string{"reservation:  printer", "answer:       OFFER 10.50.0.50"}, "why", "02:00:00:00:74:99", "--relay", "127.0.1.2")
	before := mustPlugin(t, ns, nil, "leases", "--state", "Bound")
	mustPlugin(t, ns, []string{"pool:         lab-pxe", "answer:       OFFER 10.50.0.1", "Class Identifier: PXEClient"},
		"why", "02:00:00:00:74:02", "--relay", "127.0.1.2", "--vendor-class", "PXEClient:Arch:00007", "--arch", "7")
	mustPlugin(t, ns, []string{"subnet:       none: no Subnet serves this client: relay 192.0.2.1 is inside no Subnet's cidr",
		"answer:       none (noSubnet)"}, "why", mac, "--relay", "192.0.2.1")
	if after := mustPlugin(t, ns, nil, "leases", "--state", "Bound"); after != before {
		t.Errorf("why changed the bound Leases:\n%s\nthen\n%s", before, after)
	}
	// pin: a Reservation manifest without anything the server owns.
	out := mustPlugin(t, ns, []string{"kind: Reservation", "name: client-a", "macAddress: " + mac, "ipAddress: " + ip, "subnet: lab"},
		"pin", dhcpv1alpha1.LeaseName("lab", c.Addr()), "--name", "client-a")
	for _, owned := range []string{"status", "uid", "resourceVersion", "creationTimestamp", "managedFields"} {
		if strings.Contains(out, owned) {
			t.Errorf("pin printed %s:\n%s", owned, out)
		}
	}
	t.Logf("kubectl dhcp pin printed:\n%s", out)
	mustPlugin(t, ns, []string{"Reservation", "client-a"}, "who-has", mac)
	mustPlugin(t, ns, []string{"__start_kubectl"}, "completion", "bash")
	checkImportLeases(t, ns, r)
	checkImportConfig(t, ns)
}

// checkImportConfig: one network written for dhcpd, Kea and dnsmasq
// imports through the plugin to objects the apiserver accepts, with what
// does not map listed on standard error.
func checkImportConfig(t *testing.T, ns string) {
	t.Helper()
	dir := filepath.Join(testenv.RepoRoot(), "controllers", "migrate", "testdata", "network")
	for format, file := range map[string]string{"dhcpd": "dhcpd.conf", "kea": "kea-dhcp4.json", "dnsmasq": "dnsmasq.conf"} {
		cmd := exec.Command(pluginBin, "--kubeconfig", env.Kubeconfig, "-n", ns, "import", "config", "--format", format, filepath.Join(dir, file))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), "kind: Subnet") || strings.Contains(string(out), "status") ||
			!strings.Contains(stderr.String(), "2 Subnets, 3 Pools, 1 Reservations") {
			t.Fatalf("import config --format %s: %v\n%s\n%s", format, err, out, stderr.String())
		}
		t.Logf("import config --format %s said:\n%s", format, stderr.String())
		if o, err := env.KubectlStdin(string(out), "apply", "--dry-run=server", "-f", "-"); err != nil ||
			!strings.Contains(o, "subnet.dhcp.kubedhcp.io/net-10-0-0-0-24 created (server dry run)") ||
			!strings.Contains(o, "pool.dhcp.kubedhcp.io/net-10-0-0-0-24-pool-2 created (server dry run)") ||
			!strings.Contains(o, "reservation.dhcp.kubedhcp.io/printer") {
			t.Fatalf("the objects imported from %s: %v\n%s", file, err, o)
		}
	}
}

// checkImportLeases: a dnsmasq.leases file imported as Lease objects keeps
// its client's address under kubedhcp.
func checkImportLeases(t *testing.T, ns string, r *loadgen.Relay) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "dnsmasq.leases")
	exp := time.Now().Add(time.Hour).Unix()
	content := fmt.Sprintf("%d 02:00:00:00:74:33 10.50.0.18 moved-host *\n%d 02:00:00:00:74:34 192.0.2.7 * *\n", exp, exp)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := plugin(t, ns, "import", "leases", "--format", "dnsmasq", file)
	if err != nil || !strings.Contains(out, "name: lab-10-50-0-18") || !strings.Contains(out, "not imported: line 2: 192.0.2.7: in no Subnet") {
		t.Fatalf("import leases: %v\n%s", err, out)
	}
	manifest := out[:strings.Index(out, "not imported")]
	if o, err := env.KubectlStdin(manifest, "apply", "-f", "-"); err != nil {
		t.Fatalf("%v\n%s", err, o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x74, 0x33})
	eventually(t, 10*time.Second, "the imported client gets its address", func() bool {
		return c.DORA(ctx, time.Second) == nil && c.Addr().String() == "10.50.0.18"
	})
}
