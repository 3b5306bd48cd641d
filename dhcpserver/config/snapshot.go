package config

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"

	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// Snapshot is an immutable configuration: every Subnet served and the
// indexes to find one for a packet. Build it with New.
type Snapshot struct {
	subnets []*Subnet // sorted by prefix start
	byName  map[string]*Subnet
	byIface map[string][]*Subnet
	byRelay map[netip.Addr]*Subnet
}

// New checks subnets and builds a Snapshot of them. It takes ownership:
// the subnets, pools and reservations must not be changed afterwards. The
// error names the subnet, pool or reservation at fault.
func New(subnets ...*Subnet) (*Snapshot, error) {
	s := &Snapshot{byName: map[string]*Subnet{}, byIface: map[string][]*Subnet{}, byRelay: map[netip.Addr]*Subnet{}}
	var errs []error
	for _, sn := range subnets {
		if err := sn.build(); err != nil {
			errs = append(errs, fmt.Errorf("subnet %q: %w", sn.Name, err))
			continue
		}
		if _, dup := s.byName[sn.Name]; dup {
			errs = append(errs, fmt.Errorf("subnet %q: defined twice", sn.Name))
			continue
		}
		s.byName[sn.Name] = sn
		s.subnets = append(s.subnets, sn)
	}
	sort.Slice(s.subnets, func(i, j int) bool { return s.subnets[i].Prefix.Addr().Less(s.subnets[j].Prefix.Addr()) })
	for i, sn := range s.subnets {
		if i > 0 && s.subnets[i-1].Prefix.Overlaps(sn.Prefix) {
			errs = append(errs, fmt.Errorf("subnet %q: %s overlaps subnet %q (%s)", sn.Name, sn.Prefix, s.subnets[i-1].Name, s.subnets[i-1].Prefix))
		}
		for _, ifc := range sn.Interfaces {
			s.byIface[ifc] = append(s.byIface[ifc], sn)
		}
		for _, r := range sn.Relays {
			if other, dup := s.byRelay[r]; dup {
				errs = append(errs, fmt.Errorf("subnet %q: relay address %s is also listed by subnet %q", sn.Name, r, other.Name))
			}
			s.byRelay[r] = sn
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Subnets returns every subnet, ordered by address.
func (s *Snapshot) Subnets() []*Subnet { return s.subnets }

// Subnet returns the subnet of that name, or nil.
func (s *Snapshot) Subnet(name string) *Subnet { return s.byName[name] }

// SubnetForAddr returns the subnet whose prefix holds a, or nil.
func (s *Snapshot) SubnetForAddr(a netip.Addr) *Subnet {
	if !a.Is4() {
		return nil
	}
	i := sort.Search(len(s.subnets), func(i int) bool { return a.Less(s.subnets[i].Prefix.Addr()) })
	if i > 0 && s.subnets[i-1].Prefix.Contains(a) {
		return s.subnets[i-1]
	}
	return nil
}

// SubnetForRelay returns the subnet a relay agent address (giaddr) selects:
// one that lists it among its relay addresses, else the one holding it.
func (s *Snapshot) SubnetForRelay(giaddr netip.Addr) *Subnet {
	if sn, ok := s.byRelay[giaddr]; ok {
		return sn
	}
	return s.SubnetForAddr(giaddr)
}

// SubnetsForInterface returns the subnets served to directly attached
// clients on the named interface.
func (s *Snapshot) SubnetsForInterface(name string) []*Subnet { return s.byIface[name] }

// build checks a subnet and computes its indexes, merged options and the
// addresses each pool can hand out.
func (sn *Subnet) build() error {
	if sn.Name == "" {
		return fmt.Errorf("has no name")
	}
	if !sn.Prefix.IsValid() || !sn.Prefix.Addr().Is4() || sn.Prefix.Bits() > 30 {
		return fmt.Errorf("prefix %s is not an IPv4 network of at most /30", sn.Prefix)
	}
	sn.Prefix = sn.Prefix.Masked()
	if sn.ServerID.Is4() {
		b := sn.ServerID.As4()
		sn.sidBytes = b[:]
	}
	opts, err := options.Encode(sn.Options)
	if err != nil {
		return fmt.Errorf("options: %w", err)
	}
	sn.opts = opts.With(options.CodeSubnetMask, maskBytes(sn.Prefix.Bits()))
	sn.lease = sn.LeaseTimes.Over(LeaseTimes{Default: DefaultLeaseTime, Min: DefaultMinLease, Max: DefaultMaxLease})
	if sn.Ping.Enabled && sn.Ping.Timeout == 0 {
		sn.Ping.Timeout = DefaultPingWait
	}
	whole := PrefixRange(sn.Prefix)
	excluded := append([]Range{Single(whole.Start), Single(whole.End)}, sn.Excluded...)
	for _, r := range sn.Excluded {
		if err := r.valid(); err != nil {
			return fmt.Errorf("excluded addresses: %w", err)
		}
	}
	if err := sn.indexReservations(); err != nil {
		return err
	}
	for a := range sn.byAddr {
		excluded = append(excluded, Single(a))
	}
	sn.excluded = newRangeSet(excluded)
	return sn.buildPools()
}

func maskBytes(bits int) []byte {
	m := netipMask(bits)
	return m[:]
}

func netipMask(bits int) [4]byte {
	u := ^uint32(0) << (32 - bits)
	if bits == 0 {
		u = 0
	}
	return Addr(u).As4()
}

func (sn *Subnet) buildPools() error {
	var all rangeSet
	for _, p := range sn.Pools {
		if err := sn.buildPool(p); err != nil {
			return fmt.Errorf("pool %q: %w", p.Name, err)
		}
		if all.overlaps(p.avail) {
			return fmt.Errorf("pool %q: overlaps another pool of the subnet", p.Name)
		}
		all = newRangeSet(append(all.ranges(), p.avail.ranges()...))
	}
	for _, r := range sn.Reservations {
		r.pool = sn.poolHolding(r.Addr)
		base := sn.opts
		if r.pool != nil {
			base = r.pool.opts
		}
		opts, err := options.Encode(r.Options)
		if err != nil {
			return fmt.Errorf("reservation %q: options: %w", r.Name, err)
		}
		r.opts = opts.Over(base)
		r.subnet = sn
	}
	return nil
}

// poolHolding returns the pool whose ranges hold a, reserved or not.
func (sn *Subnet) poolHolding(a netip.Addr) *Pool {
	for _, p := range sn.Pools {
		for _, r := range p.Ranges {
			if r.Contains(a) {
				return p
			}
		}
	}
	return nil
}

func (sn *Subnet) buildPool(p *Pool) error {
	whole := PrefixRange(sn.Prefix)
	if len(p.Ranges) == 0 {
		return fmt.Errorf("has no ranges")
	}
	for _, r := range p.Ranges {
		if err := r.valid(); err != nil {
			return err
		}
		if !whole.Contains(r.Start) || !whole.Contains(r.End) {
			return fmt.Errorf("range %s is outside %s", r, sn.Prefix)
		}
	}
	for _, r := range p.Excluded {
		if err := r.valid(); err != nil {
			return fmt.Errorf("excluded addresses: %w", err)
		}
	}
	p.avail = newRangeSet(p.Ranges).minus(sn.excluded).minus(newRangeSet(p.Excluded))
	opts, err := options.Encode(p.Options)
	if err != nil {
		return fmt.Errorf("options: %w", err)
	}
	p.opts = opts.Over(sn.opts)
	p.lease = p.LeaseTimes.Over(sn.lease)
	p.subnet = sn
	return nil
}

func (sn *Subnet) indexReservations() error {
	sn.byMAC, sn.byClientID = map[string]*Reservation{}, map[string]*Reservation{}
	sn.byCircuit, sn.byAddr = map[string]*Reservation{}, map[netip.Addr]*Reservation{}
	for _, r := range sn.Reservations {
		if err := sn.indexReservation(r); err != nil {
			return fmt.Errorf("reservation %q: %w", r.Name, err)
		}
	}
	return nil
}

func (sn *Subnet) indexReservation(r *Reservation) error {
	if !sn.Prefix.Contains(r.Addr) {
		return fmt.Errorf("address %s is outside %s", r.Addr, sn.Prefix)
	}
	if other, dup := sn.byAddr[r.Addr]; dup {
		return fmt.Errorf("address %s is also reserved by %q", r.Addr, other.Name)
	}
	var idx map[string]*Reservation
	var key string
	n := 0
	if len(r.MAC) > 0 {
		idx, key, n = sn.byMAC, string(r.MAC), n+1
	}
	if len(r.ClientID) > 0 {
		idx, key, n = sn.byClientID, string(r.ClientID), n+1
	}
	if len(r.CircuitID) > 0 {
		idx, key, n = sn.byCircuit, string(r.CircuitID), n+1
	}
	if n != 1 {
		return fmt.Errorf("has %d identities, want exactly one of MAC, client ID, circuit ID", n)
	}
	if other, dup := idx[key]; dup {
		return fmt.Errorf("identity is also reserved by %q", other.Name)
	}
	idx[key] = r
	sn.byAddr[r.Addr] = r
	return nil
}

func (s rangeSet) ranges() []Range {
	out := make([]Range, len(s))
	for i, sp := range s {
		out[i] = Range{Addr(sp.lo), Addr(sp.hi)}
	}
	return out
}
