// Package outage_test stops the apiserver under a running manager for 60
// seconds: renewals the stored leases still cover are ACKed, new clients
// are bound from the replica's spare addresses while they last (then get
// silence, never a NAK), no address goes to two clients, and within 5
// seconds of the apiserver's return new clients bind as usual and every
// binding made meanwhile is a Lease.
package outage_test

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"fmt"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/insomniacslk/dhcp/dhcpv4"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/cmd/kubedhcp/app"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
	"github.com/kubedhcp/kubedhcp/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	klog.SetLogger(logr.Discard())
	ctrl.SetLogger(logr.Discard())
	testenv.Main(m, &env, testenv.Restartable())
}

var (
	server = netip.MustParseAddrPort("127.0.3.1:67")
	relay  = netip.MustParseAddrPort("127.0.3.2:67")
)

// Outage is how long the apiserver stays down.
const outage = 60 * time.Second

func TestApiserverOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "outage-"}}
	if err := env.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	// 20 s leases: a binding is stored to expire 40 s after its write, so
	// the outage outlasts some stored leases.
	sn := &dhcpv1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "lab", Namespace: ns.Name}, Spec: dhcpv1alpha1.SubnetSpec{
		CIDR: "10.70.0.0/24", ServerIdentifier: "10.70.0.1", RelayAddresses: []dhcpv1alpha1.IPv4Address{dhcpv1alpha1.IPv4Address(relay.Addr().String())},
		LeaseTime: &dhcpv1alpha1.LeaseTimes{Default: &metav1.Duration{Duration: 20 * time.Second}, Min: &metav1.Duration{Duration: 10 * time.Second}}}}
	pool := &dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "lab", Namespace: ns.Name}, Spec: dhcpv1alpha1.PoolSpec{Subnet: "lab",
		Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.70.0.10", End: "10.70.0.250"}}}}
	for _, o := range []client.Object{sn, pool} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	stop, probe := runManager(t, ns.Name)
	defer stop()
	r, err := loadgen.NewRelay(relay, server)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	known := r.Clients(20, 0x80)
	if ok := loadgen.RunAll(ctx, known, 20, time.Second); ok != 20 {
		t.Fatalf("%d of 20 bound", ok)
	}
	spares := waitForSpares(t, ns.Name, 32)
	stored := storedExpiry(t, ns.Name)

	if err := env.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	tally := &outageTally{t: t, down: down, stored: stored}
	for time.Since(down) < outage-5*time.Second {
		time.Sleep(5 * time.Second)
		tally.round(ctx, r, known)
		checkProbes(t, probe)
	}
	time.Sleep(time.Until(down.Add(outage)))
	t.Logf("apiserver down %s: %d covered renewals ACKed, %d past their stored expiry (silence), %d new clients: %d ACKs (%d spares), %d NAKs in all",
		time.Since(down).Round(time.Second), tally.acked, tally.uncovered, tally.fresh, len(tally.newAcks), spares, tally.naks)
	if tally.acked == 0 {
		t.Error("no renewal was checked while covered")
	}
	if len(tally.newAcks) != min(spares, tally.fresh) {
		t.Errorf("%d new clients bound during the outage, want %d: one per spare", len(tally.newAcks), min(spares, tally.fresh))
	}

	if err := env.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	for i := 0; ; i++ {
		if r.Client(net.HardwareAddr{0x82, 0, 0, 0, 0, byte(i)}).Try(ctx, 500*time.Millisecond) == loadgen.Acked {
			break
		}
		if time.Since(back) > 5*time.Second {
			t.Fatalf("no new client bound within 5s of the apiserver's return")
		}
	}
	t.Logf("a new client was bound %s after the apiserver was back", time.Since(back).Round(10*time.Millisecond))
	checkWrittenBack(t, ns.Name, tally.newAcks, back)
	checkNoDuplicates(t, r.Acks())
}

// checkWrittenBack: every binding made during the outage is a Lease of
// its client within 5 s of the apiserver's return.
func checkWrittenBack(t *testing.T, ns string, made map[netip.Addr]string, back time.Time) {
	t.Helper()
	written := 0
	for time.Since(back) < 5*time.Second && written < len(made) {
		written = 0
		byAddr := storedClients(t, ns)
		for addr, mac := range made {
			if byAddr[addr] == mac {
				written++
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d of %d bindings made during the outage written as Leases %s after the return",
		written, len(made), time.Since(back).Round(100*time.Millisecond))
	if written != len(made) {
		t.Errorf("%d of %d bindings made during the outage written within 5s of the return", written, len(made))
	}
}

func checkNoDuplicates(t *testing.T, acks []loadgen.Ack) {
	t.Helper()
	owners := map[netip.Addr]string{}
	for _, a := range acks {
		if o, ok := owners[a.Addr]; ok && o != a.Client.String() {
			t.Errorf("%s ACKed to %s and %s", a.Addr, o, a.Client)
		}
		owners[a.Addr] = a.Client.String()
	}
}

// waitForSpares waits until the replica holds its spares and returns how
// many it holds.
func waitForSpares(t *testing.T, ns string, want int) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var list dhcpv1alpha1.LeaseList
		if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range list.Items {
			if l.Spec.State == dhcpv1alpha1.LeaseSpare {
				n++
			}
		}
		if n >= want || time.Now().After(deadline) {
			if n < want {
				t.Fatalf("%d spare addresses after 20s, want %d", n, want)
			}
			return n
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// storedClients maps each Lease's address to its client's MAC.
func storedClients(t *testing.T, ns string) map[netip.Addr]string {
	var list dhcpv1alpha1.LeaseList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	out := map[netip.Addr]string{}
	for _, l := range list.Items {
		out[netip.MustParseAddr(string(l.Spec.IPAddress))] = string(l.Spec.MACAddress)
	}
	return out
}

// storedExpiry reads each address's stored expiry from its Lease.
func storedExpiry(t *testing.T, ns string) map[netip.Addr]time.Time {
	var list dhcpv1alpha1.LeaseList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	out := map[netip.Addr]time.Time{}
	for _, l := range list.Items {
		out[netip.MustParseAddr(string(l.Spec.IPAddress))] = l.Spec.Expires.Time
	}
	return out
}

// checkProbes: during the outage the replica still serves renewals, so
// the kubelet's check (/readyz/dhcp) passes and liveness holds, while
// /readyz shows an operator that Lease writes fail (check store).
func checkProbes(t *testing.T, probe string) {
	t.Helper()
	for path, ok := range map[string]bool{"/readyz/dhcp": true, "/healthz": true, "/readyz": false} {
		resp, err := http.Get("http://" + probe + path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		_ = resp.Body.Close()
		if (resp.StatusCode == http.StatusOK) != ok {
			t.Errorf("%s answered %d during the outage; want OK %t", path, resp.StatusCode, ok)
		}
	}
}

func runManager(t *testing.T, ns string) (func(), string) {
	o := app.Defaults()
	o.Namespace, o.DHCPAddr, o.RESTConfig, o.Log = ns, server, env.Config, testLog()
	o.MetricsAddr = "0"
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	o.ProbeAddr = l.Addr().String()
	_ = l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, o) }()
	if err := testenv.WaitReady("http://"+o.ProbeAddr+"/readyz", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Log(err)
		}
	}, o.ProbeAddr
}

// testLog is silent unless KUBEDHCP_TEST_LOG is set; then it prints the
// manager's log, debug lines (every silence and its reason) included.
func testLog() logr.Logger {
	if os.Getenv("KUBEDHCP_TEST_LOG") == "" {
		return logr.Discard()
	}
	return funcr.New(func(p, a string) { fmt.Println(p, a) }, funcr.Options{Verbosity: 1})
}

// outageTally counts what happened to renewals and new clients while the
// apiserver was down, and fails the test on a wrong answer.
type outageTally struct {
	t                      *testing.T
	down                   time.Time
	stored                 map[netip.Addr]time.Time
	mu                     sync.Mutex
	acked, uncovered, naks int
	fresh                  int
	// newAcks are the new clients bound during the outage, by address.
	newAcks map[netip.Addr]string
}

// round renews every known client and tries five new ones, concurrently.
func (o *outageTally) round(ctx context.Context, r *loadgen.Relay, known []*loadgen.Client) {
	var wg sync.WaitGroup
	for _, c := range known {
		wg.Add(1)
		go func() { defer wg.Done(); o.renew(ctx, c) }()
	}
	for i := 0; i < 5; i++ {
		o.fresh++
		c := r.Client(net.HardwareAddr{0x81, 0, 0, 0, 0, byte(o.fresh)})
		wg.Add(1)
		go func() { defer wg.Done(); o.newClient(ctx, c) }()
	}
	wg.Wait()
}

func (o *outageTally) renew(ctx context.Context, c *loadgen.Client) {
	covered := time.Now().Add(2 * time.Second).Before(o.stored[c.Addr()])
	got, err := c.Renew(ctx, 500*time.Millisecond)
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case got == dhcpv4.MessageTypeNak:
		o.naks++
		o.t.Errorf("%s NAKed while the apiserver was down", c.HW())
	case covered && (err != nil || got != dhcpv4.MessageTypeAck):
		o.t.Errorf("%s not ACKed at +%s although its stored lease runs to +%s", c.HW(),
			time.Since(o.down).Round(time.Second), o.stored[c.Addr()].Sub(o.down).Round(time.Second))
	case covered:
		o.acked++
	default:
		o.uncovered++
	}
}

func (o *outageTally) newClient(ctx context.Context, c *loadgen.Client) {
	out := c.Try(ctx, 500*time.Millisecond)
	o.mu.Lock()
	defer o.mu.Unlock()
	switch out {
	case loadgen.Naked:
		o.naks++
		o.t.Error("a new client was NAKed while the apiserver was down")
	case loadgen.Acked:
		if o.newAcks == nil {
			o.newAcks = map[netip.Addr]string{}
		}
		o.newAcks[c.Addr()] = c.HW().String()
	}
}
