// Package crash_test kills the kubedhcp manager with SIGKILL in the middle
// of a load of 500 concurrent clients, restarts it, lets the clients
// finish, and checks that no address was ACKed to two clients and that
// every ACKed binding exists as a Lease object.
package crash_test

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
	"github.com/kubedhcp/kubedhcp/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, &env)
}

var (
	server = netip.MustParseAddrPort("127.0.2.1:67")
	relay  = netip.MustParseAddrPort("127.0.2.2:67")
)

// process is the manager binary running as a child process.
type process struct {
	cmd   *exec.Cmd
	probe string
}

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kubedhcp")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kubedhcp")
	cmd.Dir = testenv.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building kubedhcp: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

func start(t *testing.T, bin, ns string) (*process, time.Duration) {
	t.Helper()
	p := &process{probe: freePort(t)}
	p.cmd = exec.Command(bin, "--namespace", ns, "--dhcp-address", server.String(), "--metrics-bind-address", "0",
		"--health-probe-bind-address", p.probe)
	p.cmd.Env = append(os.Environ(), "KUBECONFIG="+env.Kubeconfig)
	log, err := os.Create(filepath.Join(t.TempDir(), "kubedhcp.log"))
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = log, log
	began := time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	for time.Since(began) < 60*time.Second {
		if resp, err := http.Get("http://" + p.probe + "/readyz"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, time.Since(began)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, _ := os.ReadFile(log.Name())
	t.Fatalf("kubedhcp not ready within 60s:\n%s", b)
	return nil, 0
}

func setup(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "crash-"}}
	if err := env.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	sn := &dhcpv1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "lab", Namespace: ns.Name}, Spec: dhcpv1alpha1.SubnetSpec{
		CIDR: "10.60.0.0/22", ServerIdentifier: "10.60.0.1", RelayAddresses: []dhcpv1alpha1.IPv4Address{dhcpv1alpha1.IPv4Address(relay.Addr().String())},
		LeaseTime: &dhcpv1alpha1.LeaseTimes{Default: &metav1.Duration{Duration: time.Hour}}}}
	pool := &dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "lab", Namespace: ns.Name}, Spec: dhcpv1alpha1.PoolSpec{Subnet: "lab",
		Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.60.0.10", End: "10.60.3.250"}}}}
	for _, o := range []client.Object{sn, pool} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	return ns.Name
}

func TestKill9DuringLoad(t *testing.T) {
	bin := build(t)
	ns := setup(t)
	p, _ := start(t, bin, ns)
	r, err := loadgen.NewRelay(relay, server)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	clients := r.Clients(500, 0x70)
	var wg sync.WaitGroup
	var ok int
	wg.Add(1)
	go func() { defer wg.Done(); ok = loadgen.RunAll(ctx, clients, 500, 2*time.Second) }()

	// Kill -9 once a fifth of the clients are bound, then restart.
	for len(r.Acks()) < 100 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	before := len(r.Acks())
	_, ready := start(t, bin, ns)
	t.Logf("killed after %d ACKs; restarted, ready in %s", before, ready.Round(time.Millisecond))
	wg.Wait()
	if ok != 500 {
		t.Fatalf("%d of 500 clients bound", ok)
	}

	acks := r.Acks()
	owners := map[netip.Addr]string{}
	dups := 0
	for _, a := range acks {
		if o, seen := owners[a.Addr]; seen && o != a.Client.String() {
			dups++
			t.Errorf("%s ACKed to %s and %s", a.Addr, o, a.Client)
		}
		owners[a.Addr] = a.Client.String()
	}
	var leases dhcpv1alpha1.LeaseList
	if err := env.Client.List(ctx, &leases, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	for _, l := range leases.Items {
		if l.Spec.State == dhcpv1alpha1.LeaseBound {
			stored[string(l.Spec.IPAddress)] = string(l.Spec.MACAddress)
		}
	}
	missing := 0
	for _, a := range acks {
		if stored[a.Addr.String()] != a.Client.String() {
			missing++
			t.Errorf("ACK of %s to %s has no Bound Lease for that client (Lease says %q)", a.Addr, a.Client, stored[a.Addr.String()])
		}
	}
	t.Logf("%d ACKs to 500 clients, %d before the kill: %d addresses ACKed to two clients, %d ACKed bindings missing as Leases",
		len(acks), before, dups, missing)
}
