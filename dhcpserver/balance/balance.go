// Package balance shares DHCP clients and addresses among the replicas
// that serve the same subnets. Clients are hashed into 256 buckets by the
// RFC 3074 algorithm; each bucket belongs to one live replica, chosen by
// rendezvous hashing, so when a replica joins or leaves only its own
// buckets move. Addresses are hashed into the same buckets, so each
// replica offers from its own part of every pool and two replicas seldom
// offer one address to two clients.
package balance

import (
	"hash/fnv"
	"net/netip"
	"slices"
)

// Buckets is the number of hash buckets (RFC 3074 §4).
const Buckets = 256

// mix is the mixing table of RFC 3074 §6: 256 distinct values in
// pseudo-random order.
var mix = [Buckets]uint8{
	251, 175, 119, 215, 81, 14, 79, 191, 103, 49, 181, 143, 186, 157, 0,
	232, 31, 32, 55, 60, 152, 58, 17, 237, 174, 70, 160, 144, 220, 90, 57,
	223, 59, 3, 18, 140, 111, 166, 203, 196, 134, 243, 124, 95, 222, 179,
	197, 65, 180, 48, 36, 15, 107, 46, 233, 130, 165, 30, 123, 161, 209, 23,
	97, 16, 40, 91, 219, 61, 100, 10, 210, 109, 250, 127, 22, 138, 29, 108,
	244, 67, 207, 9, 178, 204, 74, 98, 126, 249, 167, 116, 34, 77, 193,
	200, 121, 5, 20, 113, 71, 35, 128, 13, 182, 94, 25, 226, 227, 199, 75,
	27, 41, 245, 230, 224, 43, 225, 177, 26, 155, 150, 212, 142, 218, 115,
	241, 73, 88, 105, 39, 114, 62, 255, 192, 201, 145, 214, 168, 158, 221,
	148, 154, 122, 12, 84, 82, 163, 44, 139, 228, 236, 205, 242, 217, 11,
	187, 146, 159, 64, 86, 239, 195, 42, 106, 198, 118, 112, 184, 172, 87,
	2, 173, 117, 176, 229, 247, 253, 137, 185, 99, 164, 102, 147, 45, 66,
	231, 52, 141, 211, 194, 206, 246, 238, 56, 110, 78, 248, 63, 240, 189,
	93, 92, 51, 53, 183, 19, 171, 72, 50, 33, 104, 101, 69, 8, 252, 83, 120,
	76, 135, 85, 54, 202, 125, 188, 213, 96, 235, 136, 208, 162, 129, 190,
	132, 156, 38, 47, 1, 7, 254, 24, 4, 216, 131, 89, 21, 28, 133, 37, 153,
	149, 80, 170, 68, 6, 169, 234, 151,
}

// Hash is the RFC 3074 §6 hash of key: a Pearson hash seeded with the
// key's length, over the key from its last octet to its first.
func Hash(key []byte) uint8 {
	h := uint8(len(key))
	for i := len(key) - 1; i >= 0; i-- {
		h = mix[h^key[i]]
	}
	return h
}

// ClientBucket is the bucket of a DHCPv4 client: the hash of its client
// identifier (the data of option 61) when it sent one, else of its
// hardware address, as RFC 3074 §5 and Kea's load balancing take it.
func ClientBucket(clientID, chaddr []byte) uint8 {
	if len(clientID) > 0 {
		return Hash(clientID)
	}
	return Hash(chaddr)
}

// AddrBucket is the bucket of an IPv4 address: the hash of its four
// octets.
func AddrBucket(a netip.Addr) uint8 {
	b := a.As4()
	return Hash(b[:])
}

// Share says which buckets each live replica serves, as this replica
// sees it. A nil Share is a replica alone: it serves every bucket.
type Share struct {
	self    string
	members []string       // sorted; holds self
	owner   [Buckets]uint8 // index into members
}

// New returns the Share of self among members (self is added when
// missing; duplicates are dropped): each bucket goes to the member with
// the highest rendezvous weight for it.
func New(self string, members []string) *Share {
	ms := append(slices.Clone(members), self)
	slices.Sort(ms)
	ms = slices.Compact(ms)
	s := &Share{self: self, members: ms}
	for b := range Buckets {
		best, bestW := 0, uint64(0)
		for i, m := range ms {
			if w := weight(m, uint8(b)); i == 0 || w > bestW {
				best, bestW = i, w
			}
		}
		s.owner[b] = uint8(best)
	}
	return s
}

// weight is the rendezvous weight of member for bucket b: FNV-1a of both,
// finished by the SplitMix64 mixer so that near names spread.
func weight(member string, b uint8) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(member))
	_, _ = h.Write([]byte{0, b})
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// Owns reports whether this replica serves bucket b.
func (s *Share) Owns(b uint8) bool {
	return s == nil || s.members[s.owner[b]] == s.self
}

// OwnsAddr reports whether addr is in this replica's part of the pools.
func (s *Share) OwnsAddr(a netip.Addr) bool {
	return s == nil || !a.Is4() || s.Owns(AddrBucket(a))
}

// Owner returns the replica that serves bucket b; "" for a nil Share.
func (s *Share) Owner(b uint8) string {
	if s == nil {
		return ""
	}
	return s.members[s.owner[b]]
}

// Self is this replica's name; "" for a nil Share.
func (s *Share) Self() string {
	if s == nil {
		return ""
	}
	return s.self
}

// Members are the live replicas, this one included, sorted by name.
func (s *Share) Members() []string {
	if s == nil {
		return nil
	}
	return slices.Clone(s.members)
}

// Buckets returns how many buckets each member serves.
func (s *Share) Buckets() map[string]int {
	out := map[string]int{}
	if s == nil {
		return out
	}
	for _, i := range s.owner {
		out[s.members[i]]++
	}
	return out
}

// Equal reports whether two Shares give every bucket to the same replica
// and see the same members.
func (s *Share) Equal(o *Share) bool {
	if s == nil || o == nil {
		return s == o
	}
	return s.self == o.self && slices.Equal(s.members, o.members)
}
