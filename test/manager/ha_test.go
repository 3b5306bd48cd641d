package manager_test

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"

	"github.com/kubedhcp/kubedhcp/cmd/kubedhcp/app"
	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
)

func relay(t *testing.T, at netip.AddrPort, servers ...netip.AddrPort) *loadgen.Relay {
	t.Helper()
	r, err := loadgen.NewRelay(at, servers...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func TestRestartKeepsBindings(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	m1 := startManager(t, ns, serverA)
	r := relay(t, relayA, serverA)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	old := r.Clients(20, 0x60)
	if ok := loadgen.RunAll(ctx, old, 20, time.Second); ok != 20 {
		t.Fatalf("%d of 20 bound", ok)
	}
	bound := map[netip.Addr]bool{}
	for _, c := range old {
		bound[c.Addr()] = true
	}
	m1.stop()
	startManager(t, ns, serverA)
	for _, c := range old {
		before := c.Addr()
		if got, err := c.Renew(ctx, time.Second); err != nil || got != dhcpv4.MessageTypeAck {
			t.Fatalf("renewal after restart: %v %v", got, err)
		}
		if c.Addr() != before || !c.ACK().ServerIdentifier().Equal(sid.AsSlice()) {
			t.Errorf("renewed %s from %s, want %s from %s", c.Addr(), c.ACK().ServerIdentifier(), before, sid)
		}
	}
	fresh := r.Clients(30, 0x61)
	if ok := loadgen.RunAll(ctx, fresh, 30, time.Second); ok != 30 {
		t.Fatalf("%d of 30 new clients bound", ok)
	}
	for _, c := range fresh {
		if bound[c.Addr()] {
			t.Errorf("new client %s got %s, bound before the restart", c.HW(), c.Addr())
		}
	}
}

func TestTwoManagersWithoutLeaderElection(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.250")
	startManager(t, ns, serverA)
	startManager(t, ns, serverB)
	ra, rb := relay(t, relayA, serverA), relay(t, relayB, serverB)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// The same 100 clients ask both servers at once.
	var wg sync.WaitGroup
	for _, r := range []*loadgen.Relay{ra, rb} {
		wg.Add(1)
		go func() { defer wg.Done(); loadgen.RunAll(ctx, r.Clients(100, 0x62), 50, time.Second) }()
	}
	wg.Wait()
	owners := map[netip.Addr]string{}
	for _, a := range append(ra.Acks(), rb.Acks()...) {
		if o, ok := owners[a.Addr]; ok && o != a.Client.String() {
			t.Errorf("%s ACKed to %s and %s", a.Addr, o, a.Client)
		}
		owners[a.Addr] = a.Client.String()
	}
	if len(ra.Acks()) < 100 || len(rb.Acks()) < 100 {
		t.Errorf("ACKs: %d through A, %d through B; want every client bound through both", len(ra.Acks()), len(rb.Acks()))
	}
	t.Logf("%d ACKs, %d addresses, 0 duplicates", len(ra.Acks())+len(rb.Acks()), len(owners))
}

// Every replica answers; when one dies without a word (its membership
// Lease left behind, as after kill -9), the survivor takes its clients
// once that Lease lapses, and its bound clients renew with the survivor.
func TestTakeoverWhenAReplicaDies(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	named := func(name string, crash bool) func(*app.Options) {
		return func(o *app.Options) { o.ReplicaName, o.Test.KeepLeaseOnExit = name, crash }
	}
	a := startManager(t, ns, serverA, named("replica-a", true))
	startManager(t, ns, serverB, named("replica-b", false))
	both := balance.New("replica-a", []string{"replica-a", "replica-b"})
	r := relay(t, relayA, serverA, serverB)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	eventually(t, 20*time.Second, "both replicas in the Subnet's status", func() bool {
		return len(subnetReplicas(t, ns)) == 2
	})

	// Each client is answered by the replica whose share it is in.
	var mineA, mineB []*loadgen.Client
	for _, c := range r.Clients(40, 0x63) {
		if c.Try(ctx, 2*time.Second) != loadgen.Acked {
			t.Fatalf("%s not bound with both replicas up", c.HW())
		}
		sid := netip.MustParseAddr(c.ACK().ServerIdentifier().String())
		if sid != netip.MustParseAddr("10.50.0.1") {
			t.Fatalf("server identifier %s", sid)
		}
		if both.Owns(balance.ClientBucket(nil, c.HW())) {
			mineA = append(mineA, c)
		} else {
			mineB = append(mineB, c)
		}
	}
	if len(mineA) == 0 || len(mineB) == 0 {
		t.Fatalf("shares of 40 clients: %d and %d", len(mineA), len(mineB))
	}

	a.stop()
	lapse := memberLapse(t, ns, "replica-a")
	// A new client of a's share is answered once a's Lease lapses.
	var served time.Time
	for i := 0; served.IsZero(); i++ {
		c := r.Client(net.HardwareAddr{0x64, 0, 0, 0, byte(i >> 8), byte(i)})
		if !both.Owns(balance.ClientBucket(nil, c.HW())) {
			continue
		}
		if c.Try(ctx, 500*time.Millisecond) == loadgen.Acked {
			served = time.Now()
		}
		if ctx.Err() != nil {
			t.Fatal("no new client of the dead replica's share served")
		}
	}
	t.Logf("the dead replica's Lease lapsed at %s; its new clients served %s after",
		lapse.Format("15:04:05.000"), served.Sub(lapse).Round(10*time.Millisecond))
	if served.Sub(lapse) > 5*time.Second {
		t.Errorf("served %s after the lapse, want within 5s", served.Sub(lapse))
	}
	for _, c := range mineA {
		if got, err := c.Renew(ctx, time.Second); err != nil || got != dhcpv4.MessageTypeAck {
			t.Errorf("%s of the dead replica's share: renewal %v %v", c.HW(), got, err)
		}
	}
	eventually(t, 20*time.Second, "the Subnet's status shows one replica with every bucket", func() bool {
		rs := subnetReplicas(t, ns)
		return len(rs) == 1 && rs[0].Name == "replica-b" && rs[0].Buckets == 256
	})
}

// subnetReplicas reads the replicas in subnet lab's status.
func subnetReplicas(t *testing.T, ns string) []dhcpv1alpha1.ReplicaShare {
	t.Helper()
	sn := &dhcpv1alpha1.Subnet{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "lab"}, sn); err != nil {
		t.Fatal(err)
	}
	return sn.Status.Replicas
}

// memberLapse returns when a replica's membership Lease lapses.
func memberLapse(t *testing.T, ns, name string) time.Time {
	t.Helper()
	l := &coordinationv1.Lease{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, l); err != nil {
		t.Fatal(err)
	}
	return l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second)
}
