// Package e2e_test runs real DHCP clients from Debian's packages (ISC
// dhclient, dhcpcd and busybox udhcpc) against the kubedhcp manager in network
// namespaces the test creates: on a directly attached segment and on a
// second segment behind ISC dhcrelay. Each client binds, renews at T1 and
// releases; each step is checked in what the client configured and in the
// Lease object.
package e2e_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/cmd/kubedhcp/app"
	"github.com/kubedhcp/kubedhcp/test/clients"
	"github.com/kubedhcp/kubedhcp/test/netns"
	"github.com/kubedhcp/kubedhcp/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	klog.SetLogger(logr.Discard())
	ctrl.SetLogger(logr.Discard())
	if os.Geteuid() == 0 {
		cmd := exec.Command(filepath.Join(testenv.RepoRoot(), "hack", "install-clients.sh"))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "installing the DHCP clients:", err)
			os.Exit(1)
		}
	}
	testenv.Main(m, &env)
}

// network is the test's topology. The server namespace holds bridge eth1
// (10.0.0.2/24, segment A, directly attached clients) and core0
// (172.16.0.10/24) towards the relay namespace, which holds up0
// (172.16.0.1/24) and bridge down0 (10.20.0.1/24, segment B), with
// dhcrelay between them.
type network struct {
	server, relay *netns.NS
	n             int
}

func newNetwork(t *testing.T) *network {
	n := &network{server: netns.New(t, "kds"), relay: netns.New(t, "kdr")}
	s, r := n.server, n.relay
	s.Run("ip", "link", "add", "eth1", "type", "bridge")
	s.Run("ip", "addr", "add", "10.0.0.2/24", "dev", "eth1")
	s.Run("ip", "link", "set", "eth1", "up")
	netns.Veth(t, s, "core0", r, "up0")
	s.Run("ip", "addr", "add", "172.16.0.10/24", "dev", "core0")
	r.Run("ip", "addr", "add", "172.16.0.1/24", "dev", "up0")
	s.Run("ip", "route", "add", "10.20.0.0/24", "via", "172.16.0.1")
	r.Run("ip", "link", "add", "down0", "type", "bridge")
	r.Run("ip", "addr", "add", "10.20.0.1/24", "dev", "down0")
	r.Run("ip", "link", "set", "down0", "up")
	r.Run("sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward")
	relay := r.Command("dhcrelay", "-4", "-d", "-q", "--no-pid", "-id", "down0", "-iu", "up0", "172.16.0.10")
	if err := relay.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = relay.Process.Kill(); _ = relay.Wait() })
	return n
}

// client makes a namespace with interface ifname on segment "A" or "B".
func (n *network) client(t *testing.T, segment, ifname string, mac net.HardwareAddr) *netns.NS {
	n.n++
	c := netns.New(t, "kdc")
	port := fmt.Sprintf("p%d", n.n)
	bridge, ns := n.server, "eth1"
	if segment == "B" {
		bridge, ns = n.relay, "down0"
	}
	netns.Veth(t, bridge, port, c, ifname)
	bridge.Run("ip", "link", "set", port, "master", ns)
	c.Run("ip", "link", "set", ifname, "address", mac.String())
	return c
}

func objects(ns string) []client.Object {
	lt := func(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }
	times := &dhcpv1alpha1.LeaseTimes{Default: lt(20 * time.Second), Min: lt(10 * time.Second)}
	return []client.Object{
		&dhcpv1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "office", Namespace: ns}, Spec: dhcpv1alpha1.SubnetSpec{
			CIDR: "10.0.0.0/24", ServerIdentifier: "10.0.0.2", Interfaces: []dhcpv1alpha1.InterfaceName{"eth1"}, LeaseTime: times,
			Options: &dhcpv1alpha1.DHCPOptions{Routers: []dhcpv1alpha1.IPv4Address{"10.0.0.1"}, DNSServers: []dhcpv1alpha1.IPv4Address{"10.0.0.2"},
				DomainName: "corp.example"}}},
		&dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "office", Namespace: ns}, Spec: dhcpv1alpha1.PoolSpec{Subnet: "office",
			Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.0.0.100", End: "10.0.0.199"}}}},
		&dhcpv1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "branch", Namespace: ns}, Spec: dhcpv1alpha1.SubnetSpec{
			CIDR: "10.20.0.0/24", ServerIdentifier: "172.16.0.10", LeaseTime: times,
			Options: &dhcpv1alpha1.DHCPOptions{Routers: []dhcpv1alpha1.IPv4Address{"10.20.0.1"}, DNSServers: []dhcpv1alpha1.IPv4Address{"10.20.0.1"},
				DomainName: "branch.example"}}},
		&dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "branch", Namespace: ns}, Spec: dhcpv1alpha1.PoolSpec{Subnet: "branch",
			Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.20.0.100", End: "10.20.0.199"}}}},
	}
}

// startManager runs the manager in-process, its DHCP sockets in the
// server namespace, and waits until it is ready.
func startManager(t *testing.T, n *network, ns string, mods ...func(*app.Options)) {
	o := app.Defaults()
	o.Namespace, o.RESTConfig, o.Log, o.Test.InNetns = ns, env.Config, logr.Discard(), n.server.Do
	o.MetricsAddr = "0"
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	o.ProbeAddr = l.Addr().String()
	_ = l.Close()
	for _, m := range mods {
		m(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = app.Run(ctx, o) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := testenv.WaitReady("http://"+o.ProbeAddr+"/readyz", 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

// setup creates a Kubernetes namespace holding objs and returns its name.
func setup(t *testing.T, prefix string, objs func(ns string) []client.Object) string {
	ctx := context.Background()
	kns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix}}
	if err := env.Client.Create(ctx, kns); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs(kns.Name) {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	return kns.Name
}

// segment describes what a client on each segment must configure.
var segments = map[string]struct {
	prefix, router, dns, domain, server string
}{
	"A": {"10.0.0.", "10.0.0.1", "10.0.0.2", "corp.example", "10.0.0.2"},
	"B": {"10.20.0.", "10.20.0.1", "10.20.0.1", "branch.example", "172.16.0.10"},
}

func TestClients(t *testing.T) {
	netns.RequireRoot(t)
	ns := setup(t, "e2e-", objects)
	n := newNetwork(t)
	startManager(t, n, ns)
	i := byte(0)
	for _, drv := range clients.Drivers {
		for _, seg := range []string{"A", "B"} {
			i++
			path := map[string]string{"A": "direct", "B": "relayed"}[seg]
			t.Run(drv.Name+"/"+path, func(t *testing.T) {
				mac := net.HardwareAddr{0x02, 0xe2, 0xe0, 0, 0, i}
				ifname := "eth0"
				if drv.OwnIfname {
					ifname = fmt.Sprintf("kd%d%x", os.Getpid()%1000, i)
				}
				c := drv.Start(t, n.client(t, seg, ifname, mac), ifname)
				run(t, c, ns, seg, mac)
			})
		}
	}
}

func run(t *testing.T, c *clients.Running, ns, seg string, mac net.HardwareAddr) {
	want := segments[seg]
	var addr string
	t.Run("bind", func(t *testing.T) {
		st := c.Wait(t, 20*time.Second, c.Bound)
		addr = st["ip"]
		if !strings.HasPrefix(addr, want.prefix) || st["mask"] != "255.255.255.0" || st["routers"] != want.router ||
			st["dns"] != want.dns || st["domain"] != want.domain || st["lease"] != "20" || st["server"] != want.server {
			t.Fatalf("client configured %v, want %+v and a 20 s lease", st, want)
		}
		if out := c.NS.Run("ip", "-4", "addr", "show", "dev", c.Ifname); !strings.Contains(out, addr+"/24") {
			t.Fatalf("%s is not set on %s:\n%s", addr, c.Ifname, out)
		}
		l := leaseOf(t, ns, addr)
		if l.Spec.State != dhcpv1alpha1.LeaseBound || string(l.Spec.MACAddress) != mac.String() {
			t.Fatalf("lease %s: %s for %s, want Bound for %s", l.Name, l.Spec.State, l.Spec.MACAddress, mac)
		}
	})
	if addr == "" {
		return
	}
	t.Run("renew", func(t *testing.T) {
		st := c.Wait(t, 25*time.Second, c.Renewed) // T1 is 10 s
		if st["ip"] != addr || st["lease"] != "20" {
			t.Fatalf("renewed to %v, want %s for 20 s", st, addr)
		}
	})
	t.Run("release", func(t *testing.T) {
		c.Release(t)
		deadline := time.Now().Add(10 * time.Second)
		for leaseOf(t, ns, addr).Spec.State != dhcpv1alpha1.LeaseReleased {
			if time.Now().After(deadline) {
				t.Fatalf("lease of %s not Released within 10s", addr)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

func leaseOf(t *testing.T, ns, addr string) *dhcpv1alpha1.Lease {
	var list dhcpv1alpha1.LeaseList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		if string(list.Items[i].Spec.IPAddress) == addr {
			return &list.Items[i]
		}
	}
	t.Fatalf("no Lease for %s", addr)
	return nil
}
