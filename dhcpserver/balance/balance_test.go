package balance

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

func TestMixTableIsAPermutation(t *testing.T) {
	var seen [Buckets]bool
	for _, v := range mix {
		if seen[v] {
			t.Fatalf("%d appears twice in the mixing table", v)
		}
		seen[v] = true
	}
	// Spot checks against RFC 3074 §6 as printed: first, last and a
	// middle row.
	if mix[0] != 251 || mix[1] != 175 || mix[255] != 151 || mix[100] != 128 {
		t.Errorf("mixing table differs from RFC 3074: %d %d %d %d", mix[0], mix[1], mix[255], mix[100])
	}
}

func TestHashByHand(t *testing.T) {
	// One octet k: the hash is mix[1 ^ k].
	for _, k := range []uint8{0, 1, 0x42, 0xff} {
		if got, want := Hash([]byte{k}), mix[1^k]; got != want {
			t.Errorf("Hash(%#x) = %d, want %d", k, got, want)
		}
	}
	// Two octets a, b: mix[mix[2 ^ b] ^ a], the last octet first.
	a, b := uint8(0x12), uint8(0x34)
	if got, want := Hash([]byte{a, b}), mix[mix[2^b]^a]; got != want {
		t.Errorf("Hash(12 34) = %d, want %d", got, want)
	}
	if Hash(nil) != 0 {
		t.Errorf("Hash(nil) = %d, want the seed 0", Hash(nil))
	}
}

func TestClientBucketPrefersClientID(t *testing.T) {
	mac := []byte{2, 0, 0, 0, 0, 1}
	id := []byte{1, 2, 0, 0, 0, 0, 1}
	if ClientBucket(id, mac) != Hash(id) || ClientBucket(nil, mac) != Hash(mac) {
		t.Error("the client identifier, when sent, is what is hashed")
	}
}

// Clients spread evenly over the buckets, and buckets evenly over the
// replicas: no replica gets far more than its part.
func TestSpread(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	counts := map[string]int{}
	for _, n := range []int{2, 3} {
		var members []string
		for i := range n {
			members = append(members, fmt.Sprintf("kubedhcp-7d9f8c-%c%c%c", 'a'+i, 'x'-i, 'k'+i))
		}
		s := New(members[0], members)
		clear(counts)
		const clients = 30000
		for range clients {
			mac := []byte{0x52, 0x54, byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}
			counts[s.Owner(ClientBucket(nil, mac))]++
		}
		for m, c := range counts {
			if share := float64(c) / clients; share < 0.6/float64(n) || share > 1.4/float64(n) {
				t.Errorf("%d replicas: %s serves %.2f of clients", n, m, share)
			}
		}
		b := s.Buckets()
		for _, m := range members {
			if b[m] < 256/n/2 {
				t.Errorf("%d replicas: %s has %d buckets: %v", n, m, b[m], b)
			}
		}
	}
}

// When a replica leaves, only its buckets move, each to a survivor; when
// it comes back, they move back.
func TestRendezvousMovesOnlyTheLeaversBuckets(t *testing.T) {
	all := New("a", []string{"a", "b", "c"})
	without := New("a", []string{"a", "c"})
	again := New("a", []string{"c", "b", "a", "b"})
	for b := range Buckets {
		before, after := all.Owner(uint8(b)), without.Owner(uint8(b))
		if before != "b" && before != after {
			t.Fatalf("bucket %d moved from %s to %s although %s stayed", b, before, after, before)
		}
		if after == "b" {
			t.Fatalf("bucket %d still with the replica that left", b)
		}
		if again.Owner(uint8(b)) != before {
			t.Fatalf("bucket %d did not move back", b)
		}
	}
	if !all.Equal(again) || all.Equal(without) {
		t.Error("Equal disagrees with the members")
	}
	// Every replica computes the same assignment from the same members.
	fromB := New("b", []string{"a", "b", "c"})
	for b := range Buckets {
		if all.Owner(uint8(b)) != fromB.Owner(uint8(b)) {
			t.Fatalf("replicas a and b disagree on bucket %d", b)
		}
		if all.Owns(uint8(b)) == fromB.Owns(uint8(b)) && all.Owner(uint8(b)) != "c" {
			t.Fatalf("bucket %d owned by both or neither", b)
		}
	}
}

func TestNilShareServesEverything(t *testing.T) {
	var s *Share
	if !s.Owns(7) || !s.OwnsAddr(netip.MustParseAddr("10.0.0.1")) || s.Self() != "" || len(s.Members()) != 0 {
		t.Error("a nil Share is a replica alone")
	}
	alone := New("a", nil)
	for b := range Buckets {
		if !alone.Owns(uint8(b)) {
			t.Fatal("a replica alone owns every bucket")
		}
	}
}

func TestAddressesSplit(t *testing.T) {
	a, b := New("a", []string{"a", "b"}), New("b", []string{"a", "b"})
	mine := 0
	for i := range 1000 {
		addr := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		if a.OwnsAddr(addr) == b.OwnsAddr(addr) {
			t.Fatalf("%s owned by both or neither", addr)
		}
		if a.OwnsAddr(addr) {
			mine++
		}
	}
	if mine < 350 || mine > 650 {
		t.Errorf("replica a owns %d of 1000 addresses", mine)
	}
}

func BenchmarkClientBucket(b *testing.B) {
	mac := []byte{2, 0, 0, 0, 0, 1}
	for b.Loop() {
		_ = ClientBucket(nil, mac)
	}
}
