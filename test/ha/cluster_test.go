package ha_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
	"github.com/kubedhcp/kubedhcp/test/netns"
)

// The topology. Namespace "seg" holds bridge br0 (10.80.0.2/24), the
// segment every replica and real client is on; the simulated relay
// listens there too, at 10.80.0.2:67. Namespace "ctl" holds bridge brc
// (10.254.0.1/24) and a forwarder from 10.254.0.1:6443 to the apiserver
// on the test's loopback. Replica k's namespace holds "seg"
// (10.80.0.1k/24, on br0) and "ctl" (10.254.0.1k/24, on brc): cutting its
// ctl link cuts it off from the apiserver and nothing else.
const (
	relayAddr = "10.80.0.2"
	ctlAddr   = "10.254.0.1"
	apiPort   = "6443"
)

// cluster is one scenario's world: the namespaces, the forwarder, the
// Kubernetes namespace holding the Subnets, and the replicas.
type cluster struct {
	t        *testing.T
	seg, ctl *netns.NS
	kns      string
	replicas []*replica
	relay    *loadgen.Relay
	clients  int
	http     *http.Client
}

// spec are the Subnets of a scenario: "near", directly on the segment
// (10.80.0.0/24, pool .100-.199), and "far", behind the relay
// (10.81.0.0/22, about a thousand addresses); no server identifier, so
// each replica answers with its own address.
func subnets(ns string, lease time.Duration) []client.Object {
	lt := &dhcpv1alpha1.LeaseTimes{Default: &metav1.Duration{Duration: lease}, Min: &metav1.Duration{Duration: 10 * time.Second}}
	return []client.Object{
		&dhcpv1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "near", Namespace: ns}, Spec: dhcpv1alpha1.SubnetSpec{
			CIDR: "10.80.0.0/24", Interfaces: []dhcpv1alpha1.InterfaceName{"seg"}, LeaseTime: lt}},
		&dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "near", Namespace: ns}, Spec: dhcpv1alpha1.PoolSpec{Subnet: "near",
			Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.80.0.100", End: "10.80.0.199"}}}},
		&dhcpv1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "far", Namespace: ns}, Spec: dhcpv1alpha1.SubnetSpec{
			CIDR: "10.81.0.0/22", RelayAddresses: []dhcpv1alpha1.IPv4Address{relayAddr}, LeaseTime: lt}},
		&dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "far", Namespace: ns}, Spec: dhcpv1alpha1.PoolSpec{Subnet: "far",
			Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.81.0.10", End: "10.81.3.250"}}}},
	}
}

// newCluster builds the namespaces and the forwarder, applies the
// Subnets with lease time lease, and starts n replicas.
func newCluster(t *testing.T, n int, lease time.Duration) *cluster {
	t.Helper()
	netns.RequireRoot(t)
	c := &cluster{t: t, seg: netns.New(t, "khs"), ctl: netns.New(t, "khc")}
	c.seg.Run("ip", "link", "add", "br0", "type", "bridge")
	c.seg.Run("ip", "addr", "add", relayAddr+"/24", "dev", "br0")
	c.seg.Run("ip", "link", "set", "br0", "up")
	c.ctl.Run("ip", "link", "add", "brc", "type", "bridge")
	c.ctl.Run("ip", "addr", "add", ctlAddr+"/24", "dev", "brc")
	c.ctl.Run("ip", "link", "set", "brc", "up")
	c.forward()
	c.http = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DialContext: c.dialCtl, DisableKeepAlives: true}}
	kns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "ha-"}}
	if err := env.Client.Create(context.Background(), kns); err != nil {
		t.Fatal(err)
	}
	c.kns = kns.Name
	for _, o := range subnets(c.kns, lease) {
		if err := env.Client.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	for k := 1; k <= n; k++ {
		c.addReplica(k)
	}
	for _, r := range c.replicas {
		r.start(fmt.Sprintf("r%d", r.k))
	}
	c.waitMembers(n)
	servers := make([]netip.AddrPort, 0, len(c.replicas))
	for _, r := range c.replicas {
		servers = append(servers, netip.AddrPortFrom(r.segAddr, 67))
	}
	err := c.seg.Do(func() error {
		var err error
		c.relay, err = loadgen.NewRelay(netip.MustParseAddrPort(relayAddr+":67"), servers...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.relay.Close() })
	return c
}

// forward relays TCP from 10.254.0.1:6443 in the ctl namespace to the
// apiserver, for as long as the test runs.
func (c *cluster) forward() {
	u, err := url.Parse(env.Config.Host)
	if err != nil {
		c.t.Fatal(err)
	}
	var ln net.Listener
	if err := c.ctl.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", ctlAddr+":"+apiPort)
		return err
	}); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			go pipe(in, u.Host)
		}
	}()
}

// pipe copies between in and a new connection to backend until either
// side ends.
func pipe(in net.Conn, backend string) {
	defer func() { _ = in.Close() }()
	out, err := net.DialTimeout("tcp", backend, 2*time.Second)
	if err != nil {
		return
	}
	defer func() { _ = out.Close() }()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = io.Copy(out, in); _ = out.Close() }()
	go func() { defer wg.Done(); _, _ = io.Copy(in, out); _ = in.Close() }()
	wg.Wait()
}

// dialCtl dials from inside the ctl namespace: the replicas' probes
// listen on their ctl addresses.
func (c *cluster) dialCtl(_ context.Context, network, addr string) (net.Conn, error) {
	var conn net.Conn
	err := c.ctl.Do(func() error {
		var err error
		conn, err = net.DialTimeout(network, addr, 2*time.Second)
		return err
	})
	return conn, err
}

// replica is one kubedhcp replica: its namespace and its process.
type replica struct {
	c       *cluster
	k       int
	name    string
	ns      *netns.NS
	segAddr netip.Addr
	ctlAddr string
	cmd     *exec.Cmd
	exited  chan struct{}
	log     string
}

func (c *cluster) addReplica(k int) *replica {
	r := &replica{c: c, k: k, ns: netns.New(c.t, fmt.Sprintf("khr%d", k)), segAddr: netip.MustParseAddr(fmt.Sprintf("10.80.0.1%d", k)),
		ctlAddr: fmt.Sprintf("10.254.0.1%d", k)}
	netns.Veth(c.t, r.ns, "seg", c.seg, fmt.Sprintf("p%d", k))
	c.seg.Run("ip", "link", "set", fmt.Sprintf("p%d", k), "master", "br0")
	r.ns.Run("ip", "addr", "add", r.segAddr.String()+"/24", "dev", "seg")
	netns.Veth(c.t, r.ns, "ctl", c.ctl, fmt.Sprintf("c%d", k))
	c.ctl.Run("ip", "link", "set", fmt.Sprintf("c%d", k), "master", "brc")
	r.ns.Run("ip", "addr", "add", r.ctlAddr+"/24", "dev", "ctl")
	c.replicas = append(c.replicas, r)
	return r
}

// kubeconfig writes a kubeconfig that reaches the apiserver through the
// forwarder, verifying its certificate as the apiserver's own address.
func (c *cluster) kubeconfig() string {
	cfg, err := clientcmd.LoadFromFile(env.Kubeconfig)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, cl := range cfg.Clusters {
		u, _ := url.Parse(cl.Server)
		cl.TLSServerName = u.Hostname()
		cl.Server = "https://" + ctlAddr + ":" + apiPort
	}
	path := filepath.Join(c.t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		c.t.Fatal(err)
	}
	return path
}

// start runs the replica's process as name (a pod's name: a new one for
// each start of a rolling restart) and waits until it is ready.
func (r *replica) start(name string) {
	t := r.c.t
	t.Helper()
	r.name = name
	r.log = filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	r.cmd = r.ns.Command(bin, "--namespace", r.c.kns, "--interfaces", "seg", "--replica-name", name,
		"--health-probe-bind-address", r.ctlAddr+":8081", "--metrics-bind-address", "0", "--zap-log-level", "debug",
		"--lease-retention", "10m")
	r.cmd.Env = append(os.Environ(), "KUBECONFIG="+r.c.kubeconfig())
	r.cmd.Stdout, r.cmd.Stderr = f, f
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(r.cmd, r.exited)
	t.Cleanup(func() {
		r.kill()
		if t.Failed() {
			b, _ := os.ReadFile(f.Name())
			t.Logf("replica %s log (last 6000 bytes):\n%s", name, tail(b, 6000))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for !r.ready() {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(f.Name())
			t.Fatalf("replica %s not ready within 60s:\n%s", name, tail(b, 6000))
		}
		select {
		case <-r.exited:
			b, _ := os.ReadFile(f.Name())
			t.Fatalf("replica %s exited:\n%s", name, tail(b, 6000))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// ready asks the replica's readiness check (the kubelet's).
func (r *replica) ready() bool {
	resp, err := r.c.http.Get("http://" + r.ctlAddr + ":8081/readyz/dhcp")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// alive reports whether the process runs.
func (r *replica) alive() bool {
	select {
	case <-r.exited:
		return false
	default:
		return true
	}
}

// kill ends the process with SIGKILL, as a node that dies does.
func (r *replica) kill() {
	if r.cmd != nil && r.alive() {
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		<-r.exited
	}
}

// stop ends the process as the kubelet does (SIGTERM), and waits.
func (r *replica) stop() {
	if r.cmd == nil || !r.alive() {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(30 * time.Second):
		r.kill()
	}
}

// cut takes the replica's control link down, or brings it back.
func (r *replica) cut(off bool) {
	state := map[bool]string{true: "down", false: "up"}[off]
	r.ns.Run("ip", "link", "set", "ctl", state)
}

// waitMembers waits until the Subnets' status lists n replicas.
func (c *cluster) waitMembers(n int) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		sn := &dhcpv1alpha1.Subnet{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: c.kns, Name: "far"}, sn); err == nil &&
			len(sn.Status.Replicas) == n {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the Subnet's status does not list %d replicas within 30s", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// lapse returns when a replica's membership Lease lapses.
func (c *cluster) lapse(name string) time.Time {
	var l coordinationLease
	return l.lapse(c.t, c.kns, name)
}

// living starts n simulated clients behind the relay, each living its
// RFC 2131 life until ctx ends; their MACs start with prefix.
func (c *cluster) living(ctx context.Context, n int, prefix byte) []*loadgen.Life {
	lives := make([]*loadgen.Life, 0, n)
	for _, cl := range c.relay.Clients(n, prefix) {
		lives = append(lives, cl.Live(ctx, time.Second))
	}
	return lives
}

// names returns the replicas' current names.
func (c *cluster) names() []string {
	out := make([]string, 0, len(c.replicas))
	for _, r := range c.replicas {
		out = append(out, r.name)
	}
	return out
}
