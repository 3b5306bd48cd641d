package ha_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
	"github.com/kubedhcp/kubedhcp/test/clients"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
	"github.com/kubedhcp/kubedhcp/test/netns"
)

// hold is one lease of one client.
type hold struct {
	client string
	loadgen.Held
}

// duplicates returns every pair of clients that held one address at the
// same time.
func duplicates(lives ...[]*loadgen.Life) []string {
	byAddr := map[netip.Addr][]hold{}
	for _, group := range lives {
		for _, l := range group {
			for _, h := range l.Held() {
				byAddr[h.Addr] = append(byAddr[h.Addr], hold{l.Client().HW().String(), h})
			}
		}
	}
	var out []string
	for addr, hs := range byAddr {
		sort.Slice(hs, func(i, j int) bool { return hs[i].From.Before(hs[j].From) })
		for i := range hs {
			for j := i + 1; j < len(hs) && hs[j].From.Before(hs[i].Until); j++ {
				if hs[i].client != hs[j].client {
					out = append(out, fmt.Sprintf("%s held by %s until %s and by %s from %s", addr, hs[i].client,
						hs[i].Until.Format("15:04:05.000"), hs[j].client, hs[j].From.Format("15:04:05.000")))
				}
			}
		}
	}
	return out
}

// missingLeases returns the clients holding a lease at `at` that no Bound
// Lease of theirs records, once the store has had within to catch up.
func missingLeases(t *testing.T, kns string, at time.Time, within time.Duration, lives ...[]*loadgen.Life) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var list dhcpv1alpha1.LeaseList
		if err := env.Client.List(context.Background(), &list, client.InNamespace(kns)); err != nil {
			t.Fatal(err)
		}
		stored := map[string]string{}
		for _, l := range list.Items {
			if l.Spec.State == dhcpv1alpha1.LeaseBound {
				stored[string(l.Spec.IPAddress)] = string(l.Spec.MACAddress)
			}
		}
		var missing []string
		for _, group := range lives {
			for _, l := range group {
				h, ok := l.Current(at)
				if ok && stored[h.Addr.String()] != l.Client().HW().String() {
					missing = append(missing, fmt.Sprintf("%s holds %s from %s; the Lease says %q", l.Client().HW(), h.Addr, h.Server,
						stored[h.Addr.String()]))
				}
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// bound counts the clients holding a lease at `at`.
func bound(at time.Time, lives []*loadgen.Life) int {
	n := 0
	for _, l := range lives {
		if _, ok := l.Current(at); ok {
			n++
		}
	}
	return n
}

// waitBound waits until n of lives hold a lease.
func waitBound(t *testing.T, lives []*loadgen.Life, n int, within time.Duration) time.Duration {
	t.Helper()
	began := time.Now()
	for bound(time.Now(), lives) < n {
		if time.Since(began) > within {
			t.Fatalf("%d of %d clients bound after %s, want %d", bound(time.Now(), lives), len(lives), within, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(began)
}

// gapsAfter returns, per client, how long it held no lease between
// `from` (when it held one) and `to`.
func gapsAfter(lives []*loadgen.Life, from, to time.Time) (clients int, longest time.Duration) {
	for _, l := range lives {
		if _, ok := l.Current(from); !ok {
			continue
		}
		var worst time.Duration
		for _, g := range gapsWithin(l, from, to) {
			worst = max(worst, g)
		}
		if worst > 0 {
			clients++
		}
		longest = max(longest, worst)
	}
	return clients, longest
}

// gapsWithin returns the stretches between from and to in which l held
// no lease.
func gapsWithin(l *loadgen.Life, from, to time.Time) []time.Duration {
	var gaps []time.Duration
	at := from
	for at.Before(to) {
		h, ok := l.Current(at)
		if ok {
			at = h.Until
			for _, n := range l.Held() {
				if !n.From.After(at) && n.Until.After(at) {
					at = n.Until
				}
			}
			continue
		}
		next := to
		for _, n := range l.Held() {
			if n.From.After(at) && n.From.Before(next) {
				next = n.From
			}
		}
		gaps = append(gaps, next.Sub(at))
		at = next
	}
	return gaps
}

// naks counts the NAKs the clients got.
func naks(lives ...[]*loadgen.Life) int {
	n := 0
	for _, group := range lives {
		for _, l := range group {
			n += l.NAKs()
		}
	}
	return n
}

// ofShare keeps the clients whose MAC is in member's share of members.
func ofShare(cls []*loadgen.Client, member string, members []string) []*loadgen.Client {
	s := balance.New(member, members)
	var out []*loadgen.Client
	for _, c := range cls {
		if s.Owns(balance.ClientBucket(nil, c.HW())) {
			out = append(out, c)
		}
	}
	return out
}

// realClient runs ISC dhclient in a namespace of its own on the segment,
// with mac. It retransmits every second or two (its default first
// interval is 10 s, past a 30 s lease's T2), so that it rebinds at T2 as
// RFC 2131 §4.4.5 says when its server is gone.
func (c *cluster) realClient(mac net.HardwareAddr) *clients.Running {
	c.clients++
	ns := netns.New(c.t, "khd")
	port := fmt.Sprintf("d%d", c.clients)
	netns.Veth(c.t, c.seg, port, ns, "eth0")
	c.seg.Run("ip", "link", "set", port, "master", "br0")
	ns.Run("ip", "link", "set", "eth0", "address", mac.String())
	return clients.Dhclient(c.t, ns, "eth0", "initial-interval 1;\nbackoff-cutoff 2;\n")
}

// macIn returns a MAC starting with prefix in member's share of members.
func macIn(prefix byte, member string, members []string) net.HardwareAddr {
	s := balance.New(member, members)
	for i := 0; ; i++ {
		mac := net.HardwareAddr{0x02, prefix, 0, 0, byte(i >> 8), byte(i)}
		if s.Owns(balance.ClientBucket(nil, mac)) {
			return mac
		}
	}
}

type coordinationLease struct{}

// lapse returns when a replica's membership Lease lapses.
func (coordinationLease) lapse(t *testing.T, ns, name string) time.Time {
	t.Helper()
	l := &coordinationv1.Lease{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, l); err != nil {
		t.Fatal(err)
	}
	return l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second)
}
