package manager_test

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/cmd/kubedhcp/app"
	"github.com/kubedhcp/kubedhcp/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	ctrl.SetLogger(logr.Discard())
	klog.SetLogger(logr.Discard())
	testenv.Main(m, &env, testenv.Restartable())
}

// Loopback addresses of this package: servers on 127.0.1.1 and 127.0.1.3,
// relays at 127.0.1.2 and 127.0.1.4 (other packages use other ones).
var (
	serverA = netip.MustParseAddrPort("127.0.1.1:67")
	serverB = netip.MustParseAddrPort("127.0.1.3:67")
	relayA  = netip.MustParseAddrPort("127.0.1.2:67")
	relayB  = netip.MustParseAddrPort("127.0.1.4:67")
	sid     = netip.MustParseAddr("10.50.0.1")
)

func newNamespace(t *testing.T) string { return newNamespaceB(t) }

func newNamespaceB(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "mgr-"}}
	if err := env.Client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// applyLab creates subnet "lab" (10.50.0.0/24, relayed through both relay
// addresses) and pool "lab" of first..last.
func applyLab(t *testing.T, ns, last string) {
	t.Helper()
	first := "10.50.0.10"
	ctx := context.Background()
	sn := &dhcpv1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "lab", Namespace: ns}, Spec: dhcpv1alpha1.SubnetSpec{
		CIDR: "10.50.0.0/24", ServerIdentifier: dhcpv1alpha1.IPv4Address(sid.String()),
		RelayAddresses: []dhcpv1alpha1.IPv4Address{dhcpv1alpha1.IPv4Address(relayA.Addr().String()), dhcpv1alpha1.IPv4Address(relayB.Addr().String())},
		LeaseTime:      &dhcpv1alpha1.LeaseTimes{Default: &metav1.Duration{Duration: time.Hour}},
		Options:        &dhcpv1alpha1.DHCPOptions{Routers: []dhcpv1alpha1.IPv4Address{"10.50.0.254"}, DomainName: "lab.example"},
	}}
	pool := &dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "lab", Namespace: ns}, Spec: dhcpv1alpha1.PoolSpec{Subnet: "lab",
		Ranges: []dhcpv1alpha1.AddressRange{{Start: dhcpv1alpha1.IPv4Address(first), End: dhcpv1alpha1.IPv4Address(last)}}}}
	if err := env.Client.Create(ctx, sn); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, pool); err != nil {
		t.Fatal(err)
	}
}

// manager is a kubedhcp manager running in this process.
type manager struct {
	cancel context.CancelFunc
	exited chan struct{}
	err    error
	probe  string
}

func freePort(t *testing.T) string { return freePortB(t) }

func freePortB(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

func testLogger(t *testing.T) logr.Logger {
	if os.Getenv("KUBEDHCP_TEST_LOG") == "" {
		return logr.Discard()
	}
	return funcr.New(func(p, a string) { t.Log(p, a) }, funcr.Options{})
}

// startManager runs a manager for ns answering on addr and waits until it
// is ready.
func startManager(t *testing.T, ns string, addr netip.AddrPort, mods ...func(*app.Options)) *manager {
	t.Helper()
	o := app.Defaults()
	o.Namespace, o.DHCPAddr, o.RESTConfig, o.Log = ns, addr, env.Config, testLogger(t)
	o.MetricsAddr, o.ProbeAddr = "0", freePort(t)
	o.StatusInterval = 500 * time.Millisecond
	for _, m := range mods {
		m(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &manager{cancel: cancel, exited: make(chan struct{}), probe: o.ProbeAddr}
	go func() { m.err = app.Run(ctx, o); close(m.exited) }()
	t.Cleanup(m.stop)
	m.waitReady(t)
	return m
}

func (m *manager) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-m.exited:
			t.Fatalf("manager exited: %v", m.err)
		default:
		}
		// The check the kubelet probes: serving, if perhaps degraded.
		resp, err := http.Get("http://" + m.probe + "/readyz/dhcp")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("manager not ready within 30s")
}

func (m *manager) stop() {
	if m.cancel == nil {
		return
	}
	m.cancel()
	select {
	case <-m.exited:
	case <-time.After(30 * time.Second):
		panic("manager did not stop within 30s of its context ending")
	}
	m.cancel = nil
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s", what, within)
}
