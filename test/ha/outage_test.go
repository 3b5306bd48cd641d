package ha_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
)

// The apiserver is stopped for 120 s under two replicas while 200 bound
// clients (2 min leases) renew at T1 and 50 new clients arrive. Every
// renewal is ACKed, the new clients are bound from the replicas' spares,
// no address is held twice, no replica exits, and within 5 s of the
// apiserver's return new clients bind as usual and every binding made
// meanwhile is a Lease object. A real dhclient renews through it too.
func TestApiserverDownTwoMinutes(t *testing.T) {
	c := newCluster(t, 2, 2*time.Minute)
	spares := waitSpares(t, c.kns, 2*(32+12), 30*time.Second) // 32 of the far pool's, 12 of near's, each
	dh := c.realClient(macIn(0xd2, c.replicas[0].name, c.names()))
	dhAddr := dh.Wait(t, 20*time.Second, dh.Bound)["ip"]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lives := c.living(ctx, 200, 0x72)
	waitBound(t, lives, 200, 60*time.Second)

	if err := env.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	fresh := make([]*loadgen.Life, 0, 50)
	for i, cl := range c.relay.Clients(50, 0x73) {
		time.Sleep(time.Until(down.Add(time.Duration(i/5) * 6 * time.Second)))
		fresh = append(fresh, cl.Live(ctx, time.Second))
	}
	time.Sleep(time.Until(down.Add(2 * time.Minute)))
	for _, r := range c.replicas {
		if !r.alive() {
			t.Errorf("replica %s exited during the outage", r.name)
		}
	}
	renewedDuring := 0
	for _, l := range lives {
		for _, h := range l.Held() {
			if h.From.After(down) {
				renewedDuring++
				break
			}
		}
	}
	boundFresh := bound(time.Now(), fresh)
	dhEvents := dh.Events()

	if err := env.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	after := []*loadgen.Life{c.relay.Client(macIn(0x74, c.replicas[1].name, c.names())).Live(ctx, time.Second)}
	waitBound(t, after, 1, 5*time.Second)
	bindAfter := time.Since(back)
	missing := missingLeases(t, c.kns, time.Now(), 5*time.Second, lives, fresh, after)
	writtenAfter := time.Since(back)
	end := time.Now()

	if n, longest := gapsAfter(lives, down, end); n > 0 {
		t.Errorf("%d of 200 bound clients went without a lease (at most %s)", n, longest)
	}
	if renewedDuring != 200 {
		t.Errorf("%d of 200 clients renewed during the outage", renewedDuring)
	}
	if boundFresh != 50 {
		t.Errorf("%d of 50 new clients bound during the outage (the replicas held %d spares)", boundFresh, spares)
	}
	if n := naks(lives, fresh); n > 0 {
		t.Errorf("%d NAKs", n)
	}
	if d := duplicates(lives, fresh); len(d) > 0 {
		t.Errorf("%d addresses held by two clients at once: %v", len(d), d)
	}
	if len(missing) > 0 || writtenAfter > 5*time.Second {
		t.Errorf("%d leases without their Lease object %s after the return: %v", len(missing), writtenAfter, missing)
	}
	if bindAfter > 5*time.Second {
		t.Errorf("a new client bound %s after the return, want within 5s", bindAfter)
	}
	if !slices.Contains(dhEvents, "RENEW") || slices.Contains(dhEvents, "EXPIRE") || dh.Read(t)["ip"] != dhAddr {
		t.Errorf("dhclient events %v, want a renewal of %s during the outage and no expiry", dhEvents, dhAddr)
	}
	t.Logf("apiserver down 120s under 2 replicas: %d of 200 bound clients renewed during it, 0 went without a lease; "+
		"%d of 50 new clients bound from %d spares; %d NAKs; %d addresses held twice; both replicas kept running; "+
		"after the return a new client bound in %s and every binding made during the outage was a Lease %s after it; dhclient renewed %s",
		renewedDuring, boundFresh, spares, naks(lives, fresh), len(duplicates(lives, fresh)),
		bindAfter.Round(10*time.Millisecond), writtenAfter.Round(100*time.Millisecond), dhAddr)
}

// waitSpares waits until the replicas hold n spare addresses in all.
func waitSpares(t *testing.T, kns string, n int, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var list dhcpv1alpha1.LeaseList
		if err := env.Client.List(context.Background(), &list, client.InNamespace(kns)); err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, l := range list.Items {
			if l.Spec.State == dhcpv1alpha1.LeaseSpare {
				got++
			}
		}
		if got >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d spare addresses after %s, want %d", got, within, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
