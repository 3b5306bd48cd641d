// Package leasetest is the lease.Store contract as a test: every Store
// (the memory store, the Lease store on a real apiserver) runs the same
// cases, unchanged.
package leasetest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Contract runs the lease.Store contract against stores newStore makes,
// a fresh and empty one for each case.
func Contract(t *testing.T, newStore func(t *testing.T) lease.Store) {
	cases := []struct {
		name string
		run  func(t *testing.T, s lease.Store)
	}{
		{"claim then conflict", claimThenConflict},
		{"version rule", versionRule},
		{"release, list, lookup", releaseListLookup},
		{"delete", deleteRule},
		{"fields round-trip", fieldsRoundTrip},
		{"subnets are apart", subnetsApart},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore(t)) })
	}
}

var now = time.Now().Truncate(time.Second)

func binding(subnet, addr string, mac byte) lease.Binding {
	return lease.Binding{Subnet: subnet, Addr: netip.MustParseAddr(addr), HWAddr: net.HardwareAddr{2, 0, 0, 0, 0, mac},
		State: lease.Bound, Start: now, Renewed: now, Expires: now.Add(time.Hour)}
}

func mustCommit(t *testing.T, s lease.Store, b lease.Binding) lease.Binding {
	t.Helper()
	got, err := s.Commit(context.Background(), b)
	if err != nil {
		t.Fatalf("commit %s: %v", b.Addr, err)
	}
	if got.Version == "" {
		t.Fatalf("commit %s returned no version", b.Addr)
	}
	return got
}

// A binding without a version claims its address; a second claim fails
// with a ConflictError naming the holder, and nothing is written.
func claimThenConflict(t *testing.T, s lease.Store) {
	first := mustCommit(t, s, binding("lan", "10.0.0.10", 1))
	_, err := s.Commit(context.Background(), binding("lan", "10.0.0.10", 2))
	var ce *lease.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, lease.ErrConflict) {
		t.Fatalf("second claim: %v, want a ConflictError", err)
	}
	if ce.Holder == nil || ce.Holder.HWAddr.String() != first.HWAddr.String() || ce.Holder.Version != first.Version {
		t.Errorf("holder %+v, want the first binding", ce.Holder)
	}
	got, err := s.Lookup(context.Background(), "lan", first.Addr)
	if err != nil || got.HWAddr.String() != first.HWAddr.String() {
		t.Errorf("after the refused claim: %+v %v, want the first binding", got, err)
	}
}

// A binding with a version replaces the stored one only if that is still
// the version stored.
func versionRule(t *testing.T, s lease.Store) {
	b := mustCommit(t, s, binding("lan", "10.0.0.11", 1))
	b.Hostname = "renewed"
	upd := mustCommit(t, s, b)
	if upd.Version == b.Version {
		t.Errorf("update kept version %s", b.Version)
	}
	if _, err := s.Commit(context.Background(), b); !errors.Is(err, lease.ErrConflict) {
		t.Errorf("stale update: %v, want ErrConflict", err)
	}
}

// Release marks a binding Released; List and Lookup read it back.
func releaseListLookup(t *testing.T, s lease.Store) {
	ctx := context.Background()
	b := mustCommit(t, s, binding("lan", "10.0.0.12", 1))
	rel, err := s.Release(ctx, b)
	if err != nil || rel.State != lease.Released || rel.Version == b.Version {
		t.Fatalf("release: %+v %v", rel, err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 || list[0].State != lease.Released || list[0].Addr != b.Addr {
		t.Errorf("list: %+v %v, want the one Released binding", list, err)
	}
	got, err := s.Lookup(ctx, "lan", b.Addr)
	if err != nil || got.State != lease.Released || got.Version != rel.Version {
		t.Errorf("lookup: %+v %v", got, err)
	}
	if _, err := s.Lookup(ctx, "lan", netip.MustParseAddr("10.0.0.99")); !errors.Is(err, lease.ErrNotFound) {
		t.Errorf("lookup of nothing: %v, want ErrNotFound", err)
	}
}

// Delete removes a binding of its version; what refers to it afterwards
// gets ErrNotFound.
func deleteRule(t *testing.T, s lease.Store) {
	ctx := context.Background()
	b := mustCommit(t, s, binding("lan", "10.0.0.13", 1))
	if err := s.Delete(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, b); !errors.Is(err, lease.ErrNotFound) {
		t.Errorf("update after delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, b); !errors.Is(err, lease.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	again := mustCommit(t, s, binding("lan", "10.0.0.13", 2))
	if again.HWAddr[5] != 2 {
		t.Errorf("the address was not free to claim again: %+v", again)
	}
}

// Every field of a binding comes back as it was written (times to the
// second).
func fieldsRoundTrip(t *testing.T, s lease.Store) {
	b := binding("lan", "10.0.0.14", 1)
	b.ClientID, b.Hostname, b.Pool, b.Reservation = []byte{1, 2, 0, 0, 0, 0, 1}, "node-1", dynPool, "node-1"
	b.Relay, b.CircuitID, b.RemoteID = netip.MustParseAddr("172.16.0.1"), []byte("port7"), []byte{9, 9}
	b.VendorClass, b.UserClass, b.ClientArch, b.HasArch = "PXEClient:Arch:00007", "iPXE", 7, true
	b.LeaseTime = 10 * time.Minute
	mustCommit(t, s, b)
	got, err := s.Lookup(context.Background(), "lan", b.Addr)
	if err != nil {
		t.Fatal(err)
	}
	got.Version = ""
	if !equal(got, b) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, b)
	}
	// A replica's spare: no client, the replica's run.
	spare := lease.Binding{Subnet: "lan", Addr: netip.MustParseAddr("10.0.0.16"), State: lease.Spare, Pool: dynPool,
		Replica: "kubedhcp-5d8f-x2_kq3v9z7p", Start: b.Start, Renewed: b.Start, Expires: b.Expires}
	mustCommit(t, s, spare)
	if got, err = s.Lookup(context.Background(), "lan", spare.Addr); err != nil || !equal(got, spare) || got.Replica != spare.Replica {
		t.Errorf("spare read back\n%+v (%v)\nwant\n%+v", got, err, spare)
	}
	// An address claim: no client, no expiry, the claim's name.
	claimed := lease.Binding{Subnet: "lan", Addr: netip.MustParseAddr("10.0.0.17"), State: lease.Claimed, Pool: dynPool,
		Claim: "worker-0-eth0", Start: b.Start, Renewed: b.Start}
	mustCommit(t, s, claimed)
	if got, err = s.Lookup(context.Background(), "lan", claimed.Addr); err != nil || !equal(got, claimed) || got.Claim != claimed.Claim {
		t.Errorf("claim read back\n%+v (%v)\nwant\n%+v", got, err, claimed)
	}
}

// dynPool is the pool the round-trip bindings come from.
const dynPool = "dyn"

func equal(a, b lease.Binding) bool {
	return a.Subnet == b.Subnet && a.Addr == b.Addr && a.HWAddr.String() == b.HWAddr.String() && string(a.ClientID) == string(b.ClientID) &&
		a.Hostname == b.Hostname && a.State == b.State && a.Start.Equal(b.Start) && a.Expires.Equal(b.Expires) && a.Pool == b.Pool &&
		a.Reservation == b.Reservation && a.Relay == b.Relay && string(a.CircuitID) == string(b.CircuitID) &&
		string(a.RemoteID) == string(b.RemoteID) && a.VendorClass == b.VendorClass && a.UserClass == b.UserClass &&
		a.ClientArch == b.ClientArch && a.HasArch == b.HasArch && a.LeaseTime == b.LeaseTime
}

// One address in two subnets is two claims.
func subnetsApart(t *testing.T, s lease.Store) {
	mustCommit(t, s, binding("lan", "10.0.0.15", 1))
	mustCommit(t, s, binding("lab", "10.0.0.15", 2))
}
