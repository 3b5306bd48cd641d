package config

import (
	"fmt"
	"net/netip"
	"sort"
)

// U32 returns an IPv4 address as a number, for arithmetic on ranges.
func U32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// Addr returns the IPv4 address of a number, the inverse of U32.
func Addr(u uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)})
}

// Range is an inclusive run of IPv4 addresses.
type Range struct {
	Start, End netip.Addr
}

// Single returns the Range holding only a.
func Single(a netip.Addr) Range { return Range{a, a} }

// PrefixRange returns the Range of every address of p.
func PrefixRange(p netip.Prefix) Range {
	p = p.Masked()
	lo := U32(p.Addr())
	hi := lo | (uint32(1)<<(32-p.Bits()) - 1)
	if p.Bits() == 0 {
		hi = ^uint32(0)
	}
	return Range{Addr(lo), Addr(hi)}
}

// Contains reports whether a lies in r.
func (r Range) Contains(a netip.Addr) bool {
	return a.Is4() && r.Start.Compare(a) <= 0 && a.Compare(r.End) <= 0
}

// Size returns the number of addresses in r.
func (r Range) Size() int64 { return int64(U32(r.End)) - int64(U32(r.Start)) + 1 }

func (r Range) String() string {
	if r.Start == r.End {
		return r.Start.String()
	}
	return r.Start.String() + "-" + r.End.String()
}

func (r Range) valid() error {
	if !r.Start.Is4() || !r.End.Is4() {
		return fmt.Errorf("range %s is not IPv4", r)
	}
	if r.End.Less(r.Start) {
		return fmt.Errorf("range %s ends before it starts", r)
	}
	return nil
}

// span is a Range as numbers.
type span struct{ lo, hi uint32 }

// rangeSet is a sorted set of disjoint, non-adjacent spans.
type rangeSet []span

// newRangeSet merges ranges into a rangeSet.
func newRangeSet(ranges []Range) rangeSet {
	s := make(rangeSet, 0, len(ranges))
	for _, r := range ranges {
		s = append(s, span{U32(r.Start), U32(r.End)})
	}
	sort.Slice(s, func(i, j int) bool { return s[i].lo < s[j].lo })
	out := s[:0]
	for _, sp := range s {
		if n := len(out); n > 0 && uint64(sp.lo) <= uint64(out[n-1].hi)+1 {
			if sp.hi > out[n-1].hi {
				out[n-1].hi = sp.hi
			}
			continue
		}
		out = append(out, sp)
	}
	return out
}

// find returns the index of the span holding u, or -1.
func (s rangeSet) find(u uint32) int {
	i := sort.Search(len(s), func(i int) bool { return s[i].hi >= u })
	if i < len(s) && s[i].lo <= u {
		return i
	}
	return -1
}

// contains reports whether u lies in the set.
func (s rangeSet) contains(u uint32) bool { return s.find(u) >= 0 }

// size returns how many addresses the set holds.
func (s rangeSet) size() int64 {
	var n int64
	for _, sp := range s {
		n += int64(sp.hi) - int64(sp.lo) + 1
	}
	return n
}

// minus returns the addresses of s that are not in t.
func (s rangeSet) minus(t rangeSet) rangeSet {
	var out rangeSet
	for _, sp := range s {
		lo := uint64(sp.lo)
		for _, x := range t {
			if uint64(x.hi) < lo || x.lo > sp.hi {
				continue
			}
			if uint64(x.lo) > lo {
				out = append(out, span{uint32(lo), x.lo - 1})
			}
			lo = uint64(x.hi) + 1
		}
		if lo <= uint64(sp.hi) {
			out = append(out, span{uint32(lo), sp.hi})
		}
	}
	return out
}
