package manager_test

import (
	"context"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/cmd/kubedhcp/app"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
)

func nclient(t *testing.T, hw net.HardwareAddr) *nclient4.Client {
	t.Helper()
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(relayA))
	if err != nil {
		t.Fatal(err)
	}
	c, err := nclient4.NewWithConn(conn, hw, nclient4.WithServerAddr(net.UDPAddrFromAddrPort(serverA)),
		nclient4.WithTimeout(2*time.Second), nclient4.WithRetry(3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var viaRelayA = dhcpv1alpha1.IPv4Address(relayA.Addr().String())

func getLease(ns string, addr netip.Addr) (*dhcpv1alpha1.Lease, error) {
	l := &dhcpv1alpha1.Lease{}
	err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: dhcpv1alpha1.LeaseName("lab", addr)}, l)
	return l, err
}

func TestDORACommitsLeaseBeforeAck(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	startManager(t, ns, serverA)
	hw := net.HardwareAddr{0x02, 0, 0, 0, 0x50, 1}
	c := nclient(t, hw)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := c.Request(ctx, dhcpv4.WithRelay(relayA.Addr().AsSlice()), dhcpv4.WithOption(dhcpv4.OptHostName("node-1")))
	if err != nil {
		t.Fatal(err)
	}
	// The Lease is read straight from the apiserver, no cache, the moment
	// the ACK is in: it was committed before the ACK was sent.
	addr, _ := netip.AddrFromSlice(l.ACK.YourIPAddr.To4())
	lease, err := getLease(ns, addr)
	if err != nil {
		t.Fatalf("no Lease for %s right after its ACK: %v", addr, err)
	}
	s := lease.Spec
	if s.Subnet != "lab" || string(s.IPAddress) != addr.String() || string(s.MACAddress) != hw.String() || s.State != dhcpv1alpha1.LeaseBound ||
		s.Hostname != "node-1" || s.Pool != "lab" || s.GatewayAddress != viaRelayA || s.Start == nil || s.Expires == nil {
		t.Errorf("lease spec %+v", s)
	}
	if got := time.Until(s.Expires.Time); got < time.Hour-time.Minute {
		t.Errorf("stored expiry %s from now, want at least the 1h lease", got)
	}
	if len(lease.OwnerReferences) != 1 || lease.OwnerReferences[0].Kind != "Subnet" || lease.OwnerReferences[0].Name != "lab" {
		t.Errorf("owner references %+v, want the Subnet", lease.OwnerReferences)
	}
	if !l.ACK.ServerIdentifier().Equal(sid.AsSlice()) || l.ACK.DomainName() != "lab.example" {
		t.Errorf("ACK %s", l.ACK.Summary())
	}
}

func TestReservationAppliedWhileServing(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	startManager(t, ns, serverA)
	r := relay(t, relayA, serverA)
	hw := net.HardwareAddr{0x02, 0, 0, 0, 0x51, 1}
	c := r.Client(hw)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.DORA(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	res := `apiVersion: dhcp.kubedhcp.io/v1alpha1
kind: Reservation
metadata: {name: node-7, namespace: ` + ns + `}
spec: {subnet: lab, macAddress: "` + hw.String() + `", ipAddress: 10.50.0.7, hostname: node-7}
`
	applied := time.Now()
	if out, err := env.KubectlStdin(res, "apply", "-f", "-"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// The client's next DISCOVER gets the reserved address within a second.
	for c.Addr() != netip.MustParseAddr("10.50.0.7") {
		if time.Since(applied) > time.Second {
			t.Fatalf("reservation not honoured within 1s: client has %s", c.Addr())
		}
		if err := c.DORA(ctx, 200*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("reservation honoured %s after kubectl apply returned", time.Since(applied).Round(time.Millisecond))
	if got := string(c.ACK().Options.Get(dhcpv4.OptionHostName)); got != "node-7" {
		t.Errorf("hostname %q, want node-7", got)
	}
	eventually(t, 5*time.Second, "reservation status shows its lease", func() bool {
		rr := &dhcpv1alpha1.Reservation{}
		_ = env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "node-7"}, rr)
		return rr.Status.IPAddress == "10.50.0.7" && rr.Status.Lease == "lab-10-50-0-7" &&
			meta.IsStatusConditionTrue(rr.Status.Conditions, dhcpv1alpha1.ConditionReady)
	})
}

func TestExhaustionRaisesConditionAndEvent(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.11")
	startManager(t, ns, serverA)
	r := relay(t, relayA, serverA)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ok := loadgen.RunAll(ctx, r.Clients(2, 0x52), 2, time.Second); ok != 2 {
		t.Fatalf("%d of 2 clients bound", ok)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	if err := r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x52, 0xff}).DORA(short, 500*time.Millisecond); err == nil {
		t.Fatal("a third client was bound from a pool of two")
	}
	eventually(t, 10*time.Second, "pool Exhausted", func() bool {
		p := &dhcpv1alpha1.Pool{}
		_ = env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "lab"}, p)
		return meta.IsStatusConditionTrue(p.Status.Conditions, dhcpv1alpha1.ConditionExhausted) && p.Status.Used == 2 && p.Status.Free == 0
	})
	eventually(t, 10*time.Second, "PoolExhausted and NoFreeAddress events", func() bool {
		out, err := env.Kubectl("get", "events", "-n", ns, "-o", "custom-columns=REASON:.reason", "--no-headers")
		return err == nil && strings.Contains(out, "PoolExhausted") && strings.Contains(out, "NoFreeAddress")
	})
}

func TestDeletedLeaseIsRevoked(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	hist := &historyLines{}
	startManager(t, ns, serverA, hist.capture)
	r := relay(t, relayA, serverA)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	old := r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x53, 1})
	if err := old.DORA(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	addr := old.Addr()
	l, _ := getLease(ns, addr)
	if err := env.Client.Delete(ctx, l); err != nil {
		t.Fatal(err)
	}
	// The address is free again: a new client asking for it gets it (each
	// try is a new client, since a client keeps the address it was given).
	var newer *loadgen.Client
	i := byte(2)
	eventually(t, 5*time.Second, "revoked address handed to a new client", func() bool {
		newer = r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x53, i})
		i++
		return requestAddr(ctx, newer, addr) == nil && newer.Addr() == addr
	})
	// The old client is NAKed at its next renewal.
	if got, err := old.Renew(ctx, time.Second); err != nil || got != dhcpv4.MessageTypeNak {
		t.Errorf("old client's renewal: %v %v, want NAK", got, err)
	}
	if l, err := getLease(ns, addr); err != nil || string(l.Spec.MACAddress) != newer.HW().String() {
		t.Errorf("lease now %v %v, want the new client's", l, err)
	}
	// The history log tells it: who had the address, when it was revoked,
	// who has it now.
	got := hist.of(addr)
	want := []string{"bound " + old.HW().String(), "revoked " + old.HW().String(), "bound " + newer.HW().String()}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("history of %s: %q, want %q", addr, got, want)
	}
}

// historyLines captures the manager's binding history log.
type historyLines struct {
	mu    sync.Mutex
	lines []string
}

func (h *historyLines) capture(o *app.Options) {
	o.Log = funcr.New(func(prefix, args string) {
		if strings.Contains(prefix, "history") {
			h.mu.Lock()
			h.lines = append(h.lines, args)
			h.mu.Unlock()
		}
	}, funcr.Options{})
}

// of returns "event mac" of each line about addr, in order.
func (h *historyLines) of(addr netip.Addr) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	re := regexp.MustCompile(`"event"="(\w+)".*"mac"="([0-9a-f:]+)"`)
	for _, l := range h.lines {
		if !strings.Contains(l, `"ip"="`+addr.String()+`"`) {
			continue
		}
		if m := re.FindStringSubmatch(l); m != nil {
			out = append(out, m[1]+" "+m[2])
		}
	}
	return out
}

// requestAddr runs DORA asking for addr.
func requestAddr(ctx context.Context, c *loadgen.Client, addr netip.Addr) error {
	return c.DORAWith(ctx, time.Second, dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(addr.AsSlice())))
}

func TestInvalidObjectsReportedOthersServed(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	ctx := context.Background()
	bad := &dhcpv1alpha1.Pool{}
	bad.Name, bad.Namespace = "overlapping", ns
	bad.Spec = dhcpv1alpha1.PoolSpec{Subnet: "lab", Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.50.0.90", End: "10.50.0.120"}}}
	if err := env.Client.Create(ctx, bad); err != nil {
		t.Fatal(err)
	}
	startManager(t, ns, serverA)
	eventually(t, 10*time.Second, "overlapping pool marked not Ready, subnet Degraded, lab Ready", func() bool {
		p, sn, good := &dhcpv1alpha1.Pool{}, &dhcpv1alpha1.Subnet{}, &dhcpv1alpha1.Pool{}
		_ = env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "overlapping"}, p)
		_ = env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "lab"}, sn)
		_ = env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "lab"}, good)
		c := meta.FindStatusCondition(p.Status.Conditions, dhcpv1alpha1.ConditionReady)
		return c != nil && c.Status == "False" && c.Reason == dhcpv1alpha1.ReasonOverlap &&
			meta.IsStatusConditionTrue(sn.Status.Conditions, dhcpv1alpha1.ConditionDegraded) &&
			meta.IsStatusConditionTrue(good.Status.Conditions, dhcpv1alpha1.ConditionReady) &&
			sn.Status.Total == 90 && good.Status.Total == 90 && good.Status.Range == "10.50.0.10-10.50.0.99"
	})
	// Counts that are zero are stored too, so that kubectl's columns show 0
	// rather than nothing.
	for kind, want := range map[string]string{"pool": "90,0,90,0", "subnet": "90,0,90,0,0"} {
		path := "{.status.total},{.status.used},{.status.free},{.status.claimed}"
		if kind == "subnet" {
			path += ",{.status.reserved}"
		}
		if out, err := env.Kubectl("get", kind, "lab", "-n", ns, "-o", "jsonpath="+path); err != nil || out != want {
			t.Errorf("%s lab status counts %q (%v), want %q", kind, out, err, want)
		}
	}
}

func TestEmptyNamespaceBecomesReadyThenServes(t *testing.T) {
	ns := newNamespace(t)
	startManager(t, ns, serverA) // fails unless ready with nothing configured
	applyLab(t, ns, "10.50.0.99")
	r := relay(t, relayA, serverA)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x54, 1}).DORA(ctx, 500*time.Millisecond); err != nil {
		t.Fatalf("subnet applied after start not served: %v", err)
	}
}
