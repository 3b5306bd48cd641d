package config

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// Snapshot is an immutable configuration: every Subnet served and the
// indexes to find one for a packet. Build it with New or Assemble.
type Snapshot struct {
	subnets []*Subnet // sorted by prefix start
	byName  map[string]*Subnet
	byIface map[string][]*Subnet
	byRelay map[netip.Addr]*Subnet
}

// Env is what a configuration is checked against besides its own objects.
type Env struct {
	// Interface reports whether the server answers directly attached
	// clients on the named interface; nil: on any.
	Interface func(name string) bool
}

// New builds a Snapshot of subnets, or fails with every Fault that would
// leave an object out. It never changes its arguments.
func New(subnets ...*Subnet) (*Snapshot, error) {
	s, fs := Assemble(Env{}, subnets...)
	if err := Faults(fs); err != nil {
		return nil, err
	}
	return s, nil
}

// Assemble builds a Snapshot of every subnet, pool and reservation that
// can be served, and returns every Fault at once: one for each object left
// out, naming it and the field at fault, and a Warning for each served one
// a client may not get whole. Where two objects clash, the one given first
// wins: give them oldest first. It never changes its arguments: the
// Snapshot holds copies, computed from them, which it owns.
func Assemble(env Env, subnets ...*Subnet) (*Snapshot, []Fault) {
	s := &Snapshot{byName: map[string]*Subnet{}, byIface: map[string][]*Subnet{}, byRelay: map[netip.Addr]*Subnet{}}
	var fs faults
	for _, in := range subnets {
		sn := in.copy()
		if err := s.admit(sn, env, &fs); err != nil {
			fs.wrap(KindSubnet, sn.Name, classOf(err), err)
			leftOut(sn, &fs)
		}
	}
	sort.Slice(s.subnets, func(i, j int) bool { return s.subnets[i].Prefix.Addr().Less(s.subnets[j].Prefix.Addr()) })
	return s, fs
}

// classed is an error of a given FaultClass.
type classed struct {
	class FaultClass
	err   error
}

func (c *classed) Error() string { return c.err.Error() }
func (c *classed) Unwrap() error { return c.err }

func classify(class FaultClass, format string, args ...any) error {
	return &classed{class, fmt.Errorf(format, args...)}
}

func classOf(err error) FaultClass {
	if c, ok := err.(*classed); ok {
		return c.class
	}
	return Invalid
}

// leftOut reports the pools and reservations of a subnet left out.
func leftOut(sn *Subnet, fs *faults) {
	for _, p := range sn.Pools {
		fs.add(KindPool, p.Name, SubnetLeftOut, "spec.subnet: subnet %s is not served", sn.Name)
	}
	for _, r := range sn.Reservations {
		fs.add(KindReservation, r.Name, SubnetLeftOut, "spec.subnet: subnet %s is not served", sn.Name)
	}
}

// admit checks sn against itself and the subnets already admitted, and
// adds it; an error says why it is left out.
func (s *Snapshot) admit(sn *Subnet, env Env, fs *faults) error {
	if sn.Name == "" {
		return fmt.Errorf("metadata.name: empty")
	}
	if _, dup := s.byName[sn.Name]; dup {
		return fmt.Errorf("metadata.name: defined twice")
	}
	if err := sn.build(fs); err != nil {
		return err
	}
	for _, o := range s.subnets {
		if o.Prefix.Overlaps(sn.Prefix) {
			return classify(Overlap, "spec.cidr: %s overlaps subnet %s (%s)", sn.Prefix, o.Name, o.Prefix)
		}
	}
	for i, r := range sn.Relays {
		if o, dup := s.byRelay[r]; dup {
			return classify(Overlap, "spec.relayAddresses[%d]: %s is also listed by subnet %s", i, r, o.Name)
		}
	}
	for i, ifc := range sn.Interfaces {
		if env.Interface != nil && !env.Interface(ifc) {
			return classify(NoInterface, "spec.interfaces[%d]: the server does not serve on interface %s", i, ifc)
		}
	}
	s.byName[sn.Name] = sn
	s.subnets = append(s.subnets, sn)
	for _, ifc := range sn.Interfaces {
		s.byIface[ifc] = append(s.byIface[ifc], sn)
	}
	for _, r := range sn.Relays {
		s.byRelay[r] = sn
	}
	return nil
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
// addresses each pool can hand out. A pool or reservation at fault is
// dropped with a Fault; an error leaves the whole subnet out.
func (sn *Subnet) build(fs *faults) error {
	if !sn.Prefix.IsValid() || !sn.Prefix.Addr().Is4() || sn.Prefix.Bits() < 8 || sn.Prefix.Bits() > 30 {
		return fmt.Errorf("spec.cidr: %s is not an IPv4 network of /8 to /30", sn.Prefix)
	}
	sn.Prefix = sn.Prefix.Masked()
	if sn.ServerID.IsValid() && !sn.ServerID.Is4() {
		return fmt.Errorf("spec.serverIdentifier: %s is not IPv4", sn.ServerID)
	}
	if sn.ServerID.Is4() {
		b := sn.ServerID.As4()
		sn.sidBytes = b[:]
	}
	if err := sn.LeaseTimes.check(); err != nil {
		return err
	}
	opts, err := encode(sn.Options)
	if err != nil {
		return err
	}
	sn.opts = opts.With(options.CodeSubnetMask, maskBytes(sn.Prefix.Bits()))
	sn.lease = sn.LeaseTimes.Over(LeaseTimes{Default: DefaultLeaseTime, Min: DefaultMinLease, Max: DefaultMaxLease})
	if sn.Ping.Enabled && sn.Ping.Timeout == 0 {
		sn.Ping.Timeout = DefaultPingWait
	}
	for i, r := range sn.Excluded {
		if err := r.valid(); err != nil {
			return fmt.Errorf("spec.excludedAddresses[%d]: %w", i, err)
		}
	}
	if err := sn.Boot.check(sn.Options.Custom); err != nil {
		return err
	}
	if err := sn.checkSize(sn.opts, KindSubnet, sn.Name, sn.Boot, fs); err != nil {
		return err
	}
	sn.indexReservations(fs)
	sn.excluded = newRangeSet(sn.outOfPools())
	sn.buildPools(fs)
	sn.finishReservations(fs)
	return nil
}

// outOfPools returns the addresses no pool of the subnet hands out: its
// network and broadcast addresses, its server identifier, its excluded
// addresses and its reserved ones.
func (sn *Subnet) outOfPools() []Range {
	whole := PrefixRange(sn.Prefix)
	out := append([]Range{Single(whole.Start), Single(whole.End)}, sn.Excluded...)
	if sn.ServerID.Is4() {
		out = append(out, Single(sn.ServerID))
	}
	for a := range sn.byAddr {
		out = append(out, Single(a))
	}
	return out
}

// encode encodes options after checking that they set no code the
// server owns; errors name the field under spec.
func encode(o options.Options) (options.Set, error) {
	if err := o.Check(); err != nil {
		return options.Set{}, fmt.Errorf("spec.%w", err)
	}
	set, err := options.Encode(o)
	if err != nil {
		return options.Set{}, fmt.Errorf("spec.%w", err)
	}
	return set, nil
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

// copy returns sn with its pools and reservations copied, so that building
// the copy leaves sn as it was. The lists and values inside them (ranges,
// options) are only read, never changed.
func (sn *Subnet) copy() *Subnet {
	c := *sn
	c.Pools = make([]*Pool, len(sn.Pools))
	for i, p := range sn.Pools {
		cp := *p
		c.Pools[i] = &cp
	}
	c.Reservations = make([]*Reservation, len(sn.Reservations))
	for i, r := range sn.Reservations {
		cr := *r
		c.Reservations[i] = &cr
	}
	return &c
}
