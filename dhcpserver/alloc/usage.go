package alloc

import (
	"net/netip"
	"time"

	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Counts are the addresses of a pool by state.
type Counts struct {
	// Size is how many addresses the pool can hand out.
	Size int64
	// Bound are held by clients; Declined are in probation; Offered are
	// held for a client that has not yet asked for them; Spares are held
	// by replicas for new clients during an apiserver outage; Claimed are
	// held for address claims.
	Bound, Declined, Offered, Spares, Claimed int64
}

// Free is how many addresses can be handed out now.
func (c Counts) Free() int64 {
	if f := c.Size - c.Bound - c.Declined - c.Offered - c.Spares - c.Claimed; f > 0 {
		return f
	}
	return 0
}

// Usage counts, at now, the addresses of every pool of the current
// snapshot, keyed by subnet and pool name. Its cost grows with the number
// of bindings, not with pool sizes; call it every few seconds, not per
// message.
func (a *Allocator) Usage(now time.Time) map[string]map[string]Counts {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]map[string]Counts{}
	if a.snap == nil {
		return out
	}
	for _, sn := range a.snap.Subnets() {
		m := map[string]Counts{}
		for _, p := range sn.Pools {
			m[p.Name] = Counts{Size: p.Size()}
		}
		out[sn.Name] = m
	}
	for addr, e := range a.byAddr {
		a.count(out, addr, e, now)
	}
	for addr := range a.heldOut {
		if e := a.byAddr[addr]; e != nil {
			if _, held := e.holder(now); held {
				continue // counted above
			}
		}
		a.countHeldOut(out, addr)
	}
	return out
}

func (a *Allocator) count(out map[string]map[string]Counts, addr netip.Addr, e *entry, now time.Time) {
	sn := a.snap.Subnet(e.subnet)
	if sn == nil {
		return
	}
	p := sn.PoolFor(addr)
	if p == nil {
		return
	}
	c := out[sn.Name][p.Name]
	h, held := e.holder(now)
	switch {
	case !held:
		return
	case h == "" && e.state == lease.Spare:
		c.Spares++
	case e.stored && e.state == lease.Claimed && e.owner == h:
		c.Claimed++
	case h == "":
		c.Declined++
	case e.stored && e.state == lease.Bound && e.owner == h && now.Before(e.end()):
		c.Bound++
	default:
		c.Offered++
	}
	out[sn.Name][p.Name] = c
}

// countHeldOut counts an address held out, and held by nobody, as
// declined: out of service.
func (a *Allocator) countHeldOut(out map[string]map[string]Counts, addr netip.Addr) {
	sn := a.snap.SubnetForAddr(addr)
	if sn == nil {
		return
	}
	if p := sn.PoolFor(addr); p != nil {
		c := out[sn.Name][p.Name]
		c.Declined++
		out[sn.Name][p.Name] = c
	}
}

// Holder returns the binding that holds addr at now, if any: a client's
// or a claim's.
func (a *Allocator) Holder(addr netip.Addr, now time.Time) (lease.Binding, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.byAddr[addr]
	if e == nil || !e.stored {
		return lease.Binding{}, false
	}
	if h, held := e.holder(now); held && h == e.owner && (e.state == lease.Bound || e.state == lease.Claimed) {
		return a.binding(addr, e), true
	}
	return lease.Binding{}, false
}

// Stored returns a copy of every stored binding whose state and expiry
// keep accepts. keep runs under the allocator's lock for every stored
// binding: it must be quick and must not call the allocator. Only the
// bindings kept are read back from their records, so a pass over 100,000
// bindings that keeps a few costs a walk of the map.
func (a *Allocator) Stored(keep func(state lease.State, expires time.Time) bool) []lease.Binding {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []lease.Binding
	for addr, e := range a.byAddr {
		if e.stored && keep(e.state, e.expires) {
			out = append(out, a.binding(addr, e))
		}
	}
	return out
}

// OtherBindings returns the active Bound bindings of client c in a subnet
// at addresses other than addr. A client that two replicas bound one
// after the other (its first ACK lost, its retry served by the other)
// holds two; once it renews or rebinds one, the others are stale.
func (a *Allocator) OtherBindings(subnet string, c Client, addr netip.Addr, now time.Time) []lease.Binding {
	a.mu.Lock()
	defer a.mu.Unlock()
	ck := clientKey{subnet, c}
	cands := a.others[ck]
	if len(cands) == 0 {
		return nil // the usual renewal: no other address was ever stored for the client
	}
	if cur, ok := a.byClient[ck]; ok {
		cands = append(cands[:len(cands):len(cands)], cur)
	}
	var out []lease.Binding
	var keep []netip.Addr
	for _, x := range cands {
		e := a.byAddr[x]
		if x == addr || e == nil || !e.stored || e.owner != c || e.state != lease.Bound || !now.Before(e.end()) {
			continue
		}
		out = append(out, a.binding(x, e))
		if cur := a.byClient[ck]; cur != x {
			keep = append(keep, x)
		}
	}
	if len(keep) == 0 {
		delete(a.others, ck)
	} else {
		a.others[ck] = keep
	}
	return out
}

// StoredOf returns client c's stored bindings in state st, in the subnets
// of the current snapshot: the one it holds now and any it was stored at
// before (the index OtherBindings reads). It walks a client's addresses,
// not every binding.
func (a *Allocator) StoredOf(c Client, st lease.State) []lease.Binding {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.snap == nil {
		return nil
	}
	var out []lease.Binding
	seen := map[netip.Addr]bool{}
	for _, sn := range a.snap.Subnets() {
		ck := clientKey{sn.Name, c}
		addrs := a.others[ck]
		if cur, ok := a.byClient[ck]; ok {
			addrs = append(addrs[:len(addrs):len(addrs)], cur)
		}
		for _, x := range addrs {
			e := a.byAddr[x]
			if seen[x] || e == nil || !e.stored || e.owner != c || e.state != st {
				continue
			}
			seen[x] = true
			out = append(out, a.binding(x, e))
		}
	}
	return out
}
