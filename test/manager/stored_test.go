package manager_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/cmd/kubedhcp/app"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
)

// storedLease is the JSON of a Lease as etcd holds it, with spec as given.
func storedLease(ns, name, spec string) string {
	return fmt.Sprintf(`{"apiVersion":"dhcp.kubedhcp.io/v1alpha1","kind":"Lease","metadata":{"name":%q,"namespace":%q,`+
		`"uid":"00000000-0000-0000-0000-%012d","creationTimestamp":"2026-11-01T00:00:00Z"},"spec":%s}`, name, ns, len(name), spec)
}

func leaseKey(ns, name string) string {
	return "/registry/dhcp.kubedhcp.io/dhcpleases/" + ns + "/" + name
}

// badLeases are stored Lease records that do not read as bindings, each
// at its own address of the lab pool, as a bad backup or an older version
// could leave them.
var badLeases = []struct{ addr, spec string }{
	{"10.50.0.20", `{"subnet":"lab","ipAddress":"10.50.0.999","state":"Bound"}`},                     // bad address
	{"10.50.0.21", `{"subnet":"lab","ipAddress":"fd00::21","state":"Bound"}`},                        // IPv6
	{"10.50.0.22", `{"subnet":"lab","ipAddress":"10.50.0.22","state":"Leased"}`},                     // unknown state
	{"10.50.0.23", `{"subnet":"lab","ipAddress":"10.50.0.23","state":"Bound","macAddress":"zz:zz"}`}, // bad MAC
	{"10.50.0.24", `null`}, // spec: null
	{"10.50.0.25", `{"subnet":"lab","ipAddress":"10.50.0.25","state":"Bound","expires":"yesterday"}`}, // bad time
	{"10.50.0.26", `{"subnet":"lab","ipAddress":26,"state":"Bound"}`},                                 // wrong type
}

// bindOne binds a client through relay A and returns it.
func bindOne(ctx context.Context, t *testing.T, r *loadgen.Relay, last byte) *loadgen.Client {
	t.Helper()
	c := r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x52, last})
	if err := c.DORA(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	return c
}

// boundThenStopped makes a lab namespace, binds one client through relay
// A under a manager and stops the manager, as before a restart.
func boundThenStopped(t *testing.T, last byte) (context.Context, string, *loadgen.Relay, *loadgen.Client) {
	t.Helper()
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.40")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	m := startManager(t, ns, serverA)
	r := relay(t, relayA, serverA)
	bound := bindOne(ctx, t, r, last)
	m.stop()
	return ctx, ns, r, bound
}

// New clients never get the addresses in avoid.
func bindAvoiding(ctx context.Context, t *testing.T, r *loadgen.Relay, n int, avoid map[netip.Addr]bool) {
	t.Helper()
	for i := range n {
		c := r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x53, byte(i)})
		if err := c.DORA(ctx, time.Second); err != nil {
			t.Fatalf("new client %d: %v", i, err)
		}
		if avoid[c.Addr()] {
			t.Errorf("new client got %s, an address an unusable Lease names", c.Addr())
		}
	}
}

func gauge(t *testing.T, name string) float64 {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.Metric) == 1 {
			return mf.Metric[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}

func subnetCondition(ctx context.Context, ns, typ string) *metav1.Condition {
	sn := &dhcpv1alpha1.Subnet{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "lab"}, sn); err != nil {
		return nil
	}
	return meta.FindStatusCondition(sn.Status.Conditions, typ)
}

// Stored Leases that do not read as bindings (Kea's CVE-2019-6474 class)
// no longer keep a restarted server from serving: they are skipped and
// reported, their addresses kept out of service, and everything else is
// served, renewals included.
func TestStoredGarbageNeverStopsTheServer(t *testing.T) {
	ctx, ns, r, bound := boundThenStopped(t, 1)
	avoid := map[netip.Addr]bool{}
	for _, b := range badLeases {
		name := dhcpv1alpha1.LeaseName("lab", netip.MustParseAddr(b.addr))
		if err := env.EtcdPut(leaseKey(ns, name), storedLease(ns, name, b.spec)); err != nil {
			t.Fatal(err)
		}
		avoid[netip.MustParseAddr(b.addr)] = true
	}
	started := time.Now()
	startManager(t, ns, serverA, func(o *app.Options) { o.StatusInterval = 200 * time.Millisecond })
	t.Logf("ready %s after start with %d unusable Leases stored", time.Since(started).Round(time.Millisecond), len(badLeases))
	if got, err := bound.Renew(ctx, time.Second); err != nil || got != dhcpv4.MessageTypeAck {
		t.Fatalf("the bound client's renewal: %v %v, want an ACK", got, err)
	}
	bindAvoiding(ctx, t, r, 21, avoid)
	eventually(t, 10*time.Second, "Subnet condition UnusableLeases names all seven", func() bool {
		c := subnetCondition(ctx, ns, dhcpv1alpha1.ConditionUnusableLeases)
		return c != nil && c.Status == metav1.ConditionTrue && strings.HasPrefix(c.Message, "7 Leases cannot be used")
	})
	if got := gauge(t, "kubedhcp_unusable_leases"); got != 7 {
		t.Errorf("kubedhcp_unusable_leases %v, want 7", got)
	}
	eventually(t, 10*time.Second, "an UnusableLease Event on each Lease the apiserver reads", func() bool {
		var evs eventsv1.EventList
		_ = env.Client.List(ctx, &evs, client.InNamespace(ns))
		seen := map[string]bool{}
		for _, e := range evs.Items {
			if e.Reason == "UnusableLease" && e.Regarding.Kind == "Lease" {
				seen[e.Regarding.Name] = true
			}
		}
		return len(seen) == len(badLeases)
	})
	// Deleting one frees its address again.
	l := &dhcpv1alpha1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "lab-10-50-0-22"}}
	if err := env.Client.Delete(ctx, l); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the condition counts six after one is deleted", func() bool {
		c := subnetCondition(ctx, ns, dhcpv1alpha1.ConditionUnusableLeases)
		return c != nil && strings.HasPrefix(c.Message, "6 Leases cannot be used")
	})
}

// A Lease kube-apiserver itself cannot decode makes every list and watch
// of Leases fail. The server serves partially, asking for each address on
// its own: a bound client renews, a new one binds elsewhere; /readyz says
// so while /readyz/dhcp (the kubelet's) passes; once the record is
// deleted the server loads every Lease again.
func TestUndecodableLeaseServedPartially(t *testing.T) {
	ctx, ns, r, bound := boundThenStopped(t, 2)
	key := leaseKey(ns, "lab-10-50-0-30")
	if err := env.EtcdPut(key, "not JSON at all"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteAndRestart(t, key) })
	// As after restoring a bad backup: the apiserver starts with the
	// record there, and serves no list or watch of Leases.
	restartAPIServer(t)
	m := startManager(t, ns, serverA)
	if got, err := bound.Renew(ctx, time.Second); err != nil || got != dhcpv4.MessageTypeAck {
		t.Fatalf("the bound client's renewal while partial: %v %v, want an ACK", got, err)
	}
	bindAvoiding(ctx, t, r, 25, map[netip.Addr]bool{netip.MustParseAddr("10.50.0.30"): true, bound.Addr(): true})
	if code, body := get(t, "http://"+m.probe+"/readyz?verbose"); code == http.StatusOK || !strings.Contains(body, "leases failed") {
		t.Errorf("/readyz %d %s, want it to fail the check leases", code, body)
	}
	if err := env.EtcdDelete(key); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	eventually(t, 90*time.Second, "every Lease loaded once the record is deleted", func() bool {
		code, _ := get(t, "http://"+m.probe+"/readyz")
		return code == http.StatusOK
	})
	t.Logf("loaded every Lease %s after the record was deleted", time.Since(deleted).Round(time.Second))
}

func restartAPIServer(t *testing.T) {
	t.Helper()
	if err := env.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	if err := env.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
}

// deleteAndRestart deletes an etcd record and restarts the apiserver, so
// later tests find its watch cache of Leases whole (it does not refill on
// its own within minutes).
func deleteAndRestart(t *testing.T, key string) {
	if err := env.EtcdDelete(key); err != nil {
		t.Error(err)
	}
	restartAPIServer(t)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// A second Lease created through the API for an address a client holds
// claims nothing (only the address's own Lease name does): the bound
// client keeps its address and the newcomer is reported.
func TestIntruderLeaseDoesNotTakeABoundAddress(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.40")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	startManager(t, ns, serverA, func(o *app.Options) { o.StatusInterval = 200 * time.Millisecond })
	r := relay(t, relayA, serverA)
	bound := bindOne(ctx, t, r, 3)
	exp := metav1.NewTime(time.Now().Add(time.Hour))
	intruder := &dhcpv1alpha1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "intruder"}, Spec: dhcpv1alpha1.LeaseSpec{
		Subnet: "lab", IPAddress: dhcpv1alpha1.IPv4Address(bound.Addr().String()), MACAddress: "02:66:66:66:66:66",
		State: dhcpv1alpha1.LeaseBound, Start: &exp, Expires: &exp}}
	if err := env.Client.Create(ctx, intruder); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the intruder is reported on the Subnet", func() bool {
		c := subnetCondition(ctx, ns, dhcpv1alpha1.ConditionUnusableLeases)
		return c != nil && c.Status == metav1.ConditionTrue && strings.Contains(c.Message, "intruder")
	})
	if got, err := bound.Renew(ctx, time.Second); err != nil || got != dhcpv4.MessageTypeAck {
		t.Fatalf("the bound client's renewal: %v %v, want an ACK", got, err)
	}
	l, err := getLease(ns, bound.Addr())
	if err != nil || l.Spec.MACAddress != dhcpv1alpha1.MACAddress(bound.HW().String()) {
		t.Errorf("the address's Lease %+v, %v: want it still the bound client's", l, err)
	}
}

// A stored Subnet or Pool that does not decode (a lease time past Go's
// durations, a field of the wrong type) is reported Ready=False, and the
// rest of the namespace is served.
func TestStoredGarbageConfigReported(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	put := func(resource, kind, name, spec string) {
		obj := fmt.Sprintf(`{"apiVersion":"dhcp.kubedhcp.io/v1alpha1","kind":%q,"metadata":{"name":%q,"namespace":%q,`+
			`"uid":"00000000-0000-0000-0000-0000000000%02d","generation":1,"creationTimestamp":"2026-11-01T00:00:00Z"},"spec":%s}`,
			kind, name, ns, len(name), spec)
		if err := env.EtcdPut("/registry/dhcp.kubedhcp.io/"+resource+"/"+ns+"/"+name, obj); err != nil {
			t.Fatal(err)
		}
	}
	put("subnets", "Subnet", "broken", `{"cidr":"10.61.0.0/24","leaseTime":{"default":"3000000h"}}`)
	put("pools", "Pool", "garbled", `{"subnet":"lab","ranges":"garbage"}`)
	startManager(t, ns, serverA, func(o *app.Options) { o.StatusInterval = 200 * time.Millisecond })
	r := relay(t, relayA, serverA)
	bindOne(ctx, t, r, 0x40)
	// The typed client cannot read them either: kubectl reads them raw.
	eventually(t, 10*time.Second, "garbled Ready=False, cannot be read", func() bool {
		out, err := env.Kubectl("get", "pool", "garbled", "-n", ns, "-o",
			`jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].message}`)
		return err == nil && strings.HasPrefix(out, "False spec: the stored object cannot be read:")
	})
	// The apiserver cannot evaluate the rules of broken's stored spec, so
	// refuses any status for it: an Event says what the status would.
	eventually(t, 10*time.Second, "an Unreadable Event on broken", func() bool {
		out, err := env.Kubectl("get", "events.events.k8s.io", "-n", ns, "-o",
			`jsonpath={range .items[?(@.reason=="Unreadable")]}{.regarding.name}: {.note}{"\n"}{end}`)
		return err == nil && strings.Contains(out, `broken: not served: spec: the stored object cannot be read: time: invalid duration "3000000h"`)
	})
}
