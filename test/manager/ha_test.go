package manager_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/cmd/kubedhcp/app"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
)

func relay(t *testing.T, at, server netip.AddrPort) *loadgen.Relay {
	t.Helper()
	r, err := loadgen.NewRelay(at, server)
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

func TestLeaderElectionFailover(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	fast := func(crash bool) func(*app.Options) {
		return func(o *app.Options) {
			o.LeaderElect, o.Test.KeepLeaseOnExit = true, crash
			o.LeaseDuration, o.RenewDeadline, o.RetryPeriod = 4*time.Second, 3*time.Second, 500*time.Millisecond
		}
	}
	leader := startManager(t, ns, serverA, fast(true))
	r := relay(t, relayA, serverA)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := r.Client(r.Clients(1, 0x63)[0].HW())
	if err := c.DORA(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	standby := startManager(t, ns, serverA, fast(false))
	_ = standby
	// The leader dies without releasing leadership; the standby takes over
	// once the leader's lease lapses, with the client's binding.
	leader.stop()
	died := time.Now()
	var got dhcpv4.MessageType
	eventually(t, 20*time.Second, "standby answers", func() bool {
		g, err := c.Renew(ctx, 500*time.Millisecond)
		got = g
		return err == nil
	})
	if got != dhcpv4.MessageTypeAck {
		t.Fatalf("renewal through the new leader: %v", got)
	}
	t.Logf("standby answered %s after the leader died (lease duration 4s)", time.Since(died).Round(100*time.Millisecond))
}
