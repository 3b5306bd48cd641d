package ha_test

import (
	"context"
	"testing"
	"time"

	"github.com/kubedhcp/kubedhcp/test/loadgen"
)

// One of two replicas loses its route to the apiserver for 60 s while the
// other keeps it, under 100 bound clients (1 min leases) and 30 new ones.
// The cut-off replica keeps renewing the clients it bound, the other takes
// over its share, no address is held by two clients, and once the link
// is back every lease is a Lease object.
func TestOneReplicaCutOff(t *testing.T) {
	c := newCluster(t, 2, time.Minute)
	waitSpares(t, c.kns, 2*(32+12), 30*time.Second)
	cut, other := c.replicas[0], c.replicas[1]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lives := c.living(ctx, 100, 0x75)
	waitBound(t, lives, 100, 60*time.Second)

	cut.cut(true)
	from := time.Now()
	fresh := make([]*loadgen.Life, 0, 30)
	for i, cl := range c.relay.Clients(30, 0x76) {
		time.Sleep(time.Until(from.Add(time.Duration(i/5) * 10 * time.Second)))
		fresh = append(fresh, cl.Live(ctx, time.Second))
	}
	time.Sleep(time.Until(from.Add(time.Minute)))
	until := time.Now()
	cut.cut(false)
	renewedByCut, freshByCut := 0, 0
	for _, l := range lives {
		for _, h := range l.Held() {
			if h.Server == cut.segAddr && h.From.After(from) && h.From.Before(until) {
				renewedByCut++
				break
			}
		}
	}
	for _, l := range fresh {
		if hs := l.Held(); len(hs) > 0 && hs[0].Server == cut.segAddr {
			freshByCut++
		}
	}
	time.Sleep(5 * time.Second)
	end := time.Now()

	if d := duplicates(lives, fresh); len(d) > 0 {
		t.Errorf("%d addresses held by two clients at once: %v", len(d), d)
	}
	if n, longest := gapsAfter(lives, from, end); n > 0 {
		t.Errorf("%d of 100 bound clients went without a lease (at most %s)", n, longest)
	}
	if renewedByCut == 0 {
		t.Error("the cut-off replica renewed no client")
	}
	if b := bound(end, fresh); b != 30 {
		t.Errorf("%d of 30 new clients bound", b)
	}
	if m := missingLeases(t, c.kns, end, 10*time.Second, lives, fresh); len(m) > 0 {
		t.Errorf("%d leases without their Lease object 15s after the link came back: %v", len(m), m)
	}
	if !cut.alive() || !other.alive() {
		t.Error("a replica exited")
	}
	t.Logf("%s cut off from the apiserver for 60s: it renewed %d clients meanwhile and bound %d of the 30 new ones from its spares "+
		"(%s the rest); %d addresses held twice; 0 of 100 bound clients went without a lease; every lease a Lease object "+
		"within 15s of the link's return; %d NAKs", cut.name, renewedByCut, freshByCut, other.name,
		len(duplicates(lives, fresh)), naks(lives, fresh))
}
