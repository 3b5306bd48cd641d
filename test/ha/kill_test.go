package ha_test

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/kubedhcp/kubedhcp/test/loadgen"
)

// One of two replicas is killed with SIGKILL while 500 clients bind and
// renew (30 s leases). Nothing is lost: no address is held by two
// clients, every lease a client holds is a Lease object, the clients the
// dead replica bound rebind with the survivor at T2 without losing their
// address, and the dead replica's new clients are served within 5 s of
// its membership Lease lapsing. A real dhclient bound by the dead replica
// rebinds with the survivor too.
func TestKillOneReplicaUnderLoad(t *testing.T) {
	c := newCluster(t, 2, 30*time.Second)
	victim, survivor := c.replicas[0], c.replicas[1]
	members := c.names()
	dh := c.realClient(macIn(0xd1, victim.name, members))
	st := dh.Wait(t, 20*time.Second, dh.Bound)
	if st["server"] != victim.segAddr.String() {
		t.Fatalf("dhclient of %s's share bound by %s", victim.name, st["server"])
	}
	dhAddr := st["ip"]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lives := c.living(ctx, 500, 0x70)
	took := waitBound(t, lives, 250, 60*time.Second)

	killed := time.Now()
	victim.kill()
	lapse := c.lapse(victim.name)
	var victims []*loadgen.Life
	for _, l := range lives {
		if h, ok := l.Current(killed); ok && h.Server == victim.segAddr {
			victims = append(victims, l)
		}
	}
	fresh := make([]*loadgen.Life, 0, 20)
	for _, cl := range ofShare(c.relay.Clients(200, 0x71), victim.name, members)[:20] {
		fresh = append(fresh, cl.Live(ctx, time.Second))
	}
	// Every lease held at the kill passes T2 (26 s) within 35 s.
	time.Sleep(35 * time.Second)
	end := time.Now()

	if d := duplicates(lives, fresh); len(d) > 0 {
		t.Errorf("%d addresses held by two clients at once: %v", len(d), d)
	}
	if m := missingLeases(t, c.kns, end, 5*time.Second, lives, fresh); len(m) > 0 {
		t.Errorf("%d leases without their Lease object: %v", len(m), m)
	}
	rebound, lost := rebinding(victims, survivor.segAddr, killed, end)
	if rebound != len(victims) || lost > 0 {
		t.Errorf("of %d clients the dead replica bound, %d rebound with the survivor keeping their address, %d went without a lease",
			len(victims), rebound, lost)
	}
	slowest := firstBound(t, fresh, killed)
	if killed.Add(slowest).Sub(lapse) > 5*time.Second {
		t.Errorf("the dead replica's new clients were served up to %s after its Lease lapsed, want within 5s", killed.Add(slowest).Sub(lapse))
	}
	// ISC dhclient reports a rebind as RENEW: what counts is who ACKed it,
	// and that the lease never expired.
	if st := dh.Read(t); st["server"] != survivor.segAddr.String() || st["ip"] != dhAddr || slices.Contains(dh.Events(), "EXPIRE") {
		t.Errorf("dhclient holds %s from %s (events %v), want %s from the survivor %s without expiring",
			st["ip"], st["server"], dh.Events(), dhAddr, survivor.segAddr)
	}
	if !survivor.alive() {
		t.Error("the survivor exited")
	}
	t.Logf("500 clients (250 bound in %s); killed %s: its Lease lapsed %s later; %d of its %d clients rebound with the survivor "+
		"keeping their address, %d went without a lease; its 20 new clients served at most %s after the kill (%s after the lapse); "+
		"%d addresses held twice; %d leases missing as Lease objects; %d of 500 bound at the end; dhclient rebound with the survivor",
		took.Round(100*time.Millisecond), victim.name, lapse.Sub(killed).Round(100*time.Millisecond), rebound, len(victims), lost,
		slowest.Round(100*time.Millisecond), killed.Add(slowest).Sub(lapse).Round(100*time.Millisecond),
		len(duplicates(lives, fresh)), len(missingLeases(t, c.kns, end, 0, lives, fresh)), bound(end, lives))
}

// rebinding counts the clients that hold, at end, the address they had
// at first from server, and those that went without a lease after from.
func rebinding(lives []*loadgen.Life, server netip.Addr, from, end time.Time) (rebound, lost int) {
	for _, l := range lives {
		if h, ok := l.Current(end); ok && h.Server == server && h.Addr == l.Held()[0].Addr {
			rebound++
		}
		if len(gapsWithin(l, from, end)) > 0 {
			lost++
		}
	}
	return rebound, lost
}

// firstBound returns how long after `after` the slowest of lives first
// bound.
func firstBound(t *testing.T, lives []*loadgen.Life, after time.Time) time.Duration {
	t.Helper()
	var slowest time.Duration
	for _, l := range lives {
		hs := l.Held()
		if len(hs) == 0 {
			t.Errorf("new client %s never bound", l.Client().HW())
			continue
		}
		slowest = max(slowest, hs[0].From.Sub(after))
	}
	return slowest
}
