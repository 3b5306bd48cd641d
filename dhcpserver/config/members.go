package config

import (
	"fmt"
	"net/netip"

	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// indexReservations indexes the subnet's reservations by address and
// identity, dropping each one at fault.
func (sn *Subnet) indexReservations(fs *faults) {
	sn.byMAC, sn.byClientID = map[string]*Reservation{}, map[string]*Reservation{}
	sn.byCircuit, sn.byAddr = map[string]*Reservation{}, map[netip.Addr]*Reservation{}
	sn.byClaim = map[string]*Reservation{}
	kept := sn.Reservations[:0]
	for _, r := range sn.Reservations {
		if err := sn.indexReservation(r); err != nil {
			fs.wrap(KindReservation, r.Name, classOf(err), err)
			continue
		}
		kept = append(kept, r)
	}
	sn.Reservations = kept
}

func (sn *Subnet) indexReservation(r *Reservation) error {
	if err := sn.checkReservedAddr(r.Addr); err != nil {
		return err
	}
	if other, dup := sn.byAddr[r.Addr]; dup {
		return classify(Duplicate, "spec.ipAddress: %s is also reserved by %s", r.Addr, other.Name)
	}
	idx, key, field, err := sn.identityIndex(r)
	if err != nil {
		return err
	}
	if other, dup := idx[key]; dup {
		return classify(Duplicate, "%s: %s is also reserved by %s", field, r.identity(), other.Name)
	}
	if err := r.Boot.check(r.Options.Custom); err != nil {
		return err
	}
	idx[key] = r
	sn.byAddr[r.Addr] = r
	return nil
}

// checkReservedAddr says why a cannot be reserved: outside the subnet, or
// an address no client may hold (network, broadcast, the server's own).
func (sn *Subnet) checkReservedAddr(a netip.Addr) error {
	whole := PrefixRange(sn.Prefix)
	switch {
	case !a.Is4() || !sn.Prefix.Contains(a):
		return classify(Outside, "spec.ipAddress: %s is outside subnet %s (%s)", a, sn.Name, sn.Prefix)
	case a == whole.Start:
		return fmt.Errorf("spec.ipAddress: %s is the network address of subnet %s", a, sn.Name)
	case a == whole.End:
		return fmt.Errorf("spec.ipAddress: %s is the broadcast address of subnet %s", a, sn.Name)
	case a == sn.ServerID:
		return fmt.Errorf("spec.ipAddress: %s is the server identifier of subnet %s, the server's own address", a, sn.Name)
	}
	return nil
}

// identityIndex returns the index, key and field of a reservation's one
// identity.
func (sn *Subnet) identityIndex(r *Reservation) (map[string]*Reservation, string, string, error) {
	var idx map[string]*Reservation
	var key, field string
	n := 0
	if len(r.MAC) > 0 {
		idx, key, field, n = sn.byMAC, string(r.MAC), "spec.macAddress", n+1
	}
	if len(r.ClientID) > 0 {
		idx, key, field, n = sn.byClientID, string(r.ClientID), "spec.clientID", n+1
	}
	if len(r.CircuitID) > 0 {
		idx, key, field, n = sn.byCircuit, string(r.CircuitID), "spec.circuitID", n+1
	}
	if r.Claim != "" {
		idx, key, field, n = sn.byClaim, r.Claim, "spec.claim", n+1
	}
	if n != 1 {
		return nil, "", "", fmt.Errorf("spec: has %d identities, want exactly one of macAddress, clientID, circuitID, claim", n)
	}
	return idx, key, field, nil
}

// identity shows the reservation's client identity.
func (r *Reservation) identity() string {
	switch {
	case len(r.MAC) > 0:
		return r.MAC.String()
	case len(r.ClientID) > 0:
		return options.FormatHex(r.ClientID)
	case r.Claim != "":
		return "claim " + r.Claim
	}
	return string(r.CircuitID)
}

// finishReservations merges each reservation's options over its pool's or
// subnet's, dropping each one at fault.
func (sn *Subnet) finishReservations(fs *faults) {
	kept := sn.Reservations[:0]
	for _, r := range sn.Reservations {
		r.pool = sn.poolHolding(r.Addr)
		base := sn.opts
		if r.pool != nil {
			base = r.pool.opts
		}
		opts, err := encode(r.Options)
		if err == nil {
			r.opts = opts.Over(base)
			boot := sn.Boot
			if r.Boot != nil {
				boot = r.Boot
			}
			sized := r.opts
			if r.Hostname != "" {
				sized = sized.With(options.CodeHostname, []byte(r.Hostname))
			}
			err = sn.checkSize(sized, KindReservation, r.Name, boot, fs)
		}
		if err != nil {
			fs.wrap(KindReservation, r.Name, Invalid, err)
			sn.unindex(r)
			continue
		}
		r.subnet = sn
		kept = append(kept, r)
	}
	sn.Reservations = kept
}

// unindex drops a reservation from the subnet's indexes. Its address stays
// out of the pools, as the reservation asked for it.
func (sn *Subnet) unindex(r *Reservation) {
	delete(sn.byAddr, r.Addr)
	for _, idx := range []map[string]*Reservation{sn.byMAC, sn.byClientID, sn.byCircuit, sn.byClaim} {
		for k, v := range idx {
			if v == r {
				delete(idx, k)
			}
		}
	}
}

// buildPools builds each pool, dropping each one at fault.
func (sn *Subnet) buildPools(fs *faults) {
	kept := sn.Pools[:0]
	var taken []ownedRange
	for _, p := range sn.Pools {
		err := sn.buildPool(p, fs)
		if err == nil {
			err = overlapping(p, taken)
		}
		if err != nil {
			fs.wrap(KindPool, p.Name, classOf(err), err)
			continue
		}
		for _, r := range p.Ranges {
			taken = append(taken, ownedRange{r, p.Name})
		}
		kept = append(kept, p)
	}
	sn.Pools = kept
}

// ownedRange is a range of a pool already admitted.
type ownedRange struct {
	Range
	pool string
}

// overlapping says which range of p overlaps one of another pool.
func overlapping(p *Pool, taken []ownedRange) error {
	for i, r := range p.Ranges {
		for _, o := range taken {
			if !r.End.Less(o.Start) && !o.End.Less(r.Start) {
				return classify(Overlap, "spec.ranges[%d]: %s overlaps %s of pool %s", i, r, o.Range, o.pool)
			}
		}
	}
	return nil
}

func (sn *Subnet) buildPool(p *Pool, fs *faults) error {
	whole := PrefixRange(sn.Prefix)
	if len(p.Ranges) == 0 {
		return fmt.Errorf("spec.ranges: empty")
	}
	for i, r := range p.Ranges {
		if err := r.valid(); err != nil {
			return fmt.Errorf("spec.ranges[%d]: %w", i, err)
		}
		if !whole.Contains(r.Start) || !whole.Contains(r.End) {
			return classify(Outside, "spec.ranges[%d]: %s is outside subnet %s (%s)", i, r, sn.Name, sn.Prefix)
		}
	}
	for i, r := range p.Excluded {
		if err := r.valid(); err != nil {
			return fmt.Errorf("spec.excludedAddresses[%d]: %w", i, err)
		}
	}
	if err := p.LeaseTimes.check(); err != nil {
		return err
	}
	p.avail = newRangeSet(p.Ranges).minus(sn.excluded).minus(newRangeSet(p.Excluded))
	if p.avail.size() == 0 {
		return fmt.Errorf("spec.ranges: no address to hand out: every address of the ranges is excluded (by the pool or subnet), " +
			"reserved, the server identifier, or the subnet's network or broadcast address")
	}
	opts, err := encode(p.Options)
	if err != nil {
		return err
	}
	p.opts = opts.Over(sn.opts)
	if err := sn.checkSize(p.opts, KindPool, p.Name, sn.Boot, fs); err != nil {
		return err
	}
	p.lease = p.LeaseTimes.Over(sn.lease)
	p.subnet = sn
	return nil
}
