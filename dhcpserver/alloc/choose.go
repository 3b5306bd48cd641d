package alloc

import (
	"net/netip"
	"time"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Request is what a client asks the allocator for.
type Request struct {
	Subnet *config.Subnet
	Client Client
	// Pools serve the client, in order of preference.
	Pools []*config.Pool
	// Reserved is the client's reservation, if it has one.
	Reserved *config.Reservation
	// Requested is the address the client asked for (option 50), if any.
	Requested netip.Addr
	// Server is the server's own address on the client's link, never
	// given to a client.
	Server netip.Addr
}

// allowed reports whether the request may be given addr.
func (r *Request) allowed(addr netip.Addr) bool {
	if addr == r.Server {
		return false
	}
	if r.Reserved != nil && r.Reserved.Addr == addr {
		return true
	}
	for _, p := range r.Pools {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Offer chooses an address for a client and holds it for the client until
// now plus the hold time: its reservation, else the address it held
// before, else the one it asked for, else a free one from its pools. It
// returns false when none is free.
func (a *Allocator) Offer(r Request, now time.Time) (netip.Addr, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reap(now)
	addr, ok := a.choose(&r, now)
	if ok {
		a.hold1(r.Subnet.Name, addr, r.Client, now)
	}
	return addr, ok
}

func (a *Allocator) choose(r *Request, now time.Time) (netip.Addr, bool) {
	k := clientKey{r.Subnet.Name, r.Client}
	if prev, ok := a.offers[k]; ok {
		if e := a.byAddr[prev]; e != nil && e.offerTo == r.Client && now.Before(e.offerUntil) && r.allowed(prev) &&
			a.availableTo(prev, r.Client, now) {
			return prev, true
		}
		delete(a.offers, k)
	}
	if r.Reserved != nil && r.allowed(r.Reserved.Addr) && a.availableTo(r.Reserved.Addr, r.Client, now) {
		return r.Reserved.Addr, true
	}
	if prev, ok := a.byClient[clientKey{r.Subnet.Name, r.Client}]; ok && r.allowed(prev) && a.availableTo(prev, r.Client, now) {
		return prev, true
	}
	if r.Requested.IsValid() && r.allowed(r.Requested) && a.availableTo(r.Requested, r.Client, now) {
		return r.Requested, true
	}
	for _, p := range r.Pools {
		if addr, ok := a.fromPool(r.Subnet.Name, p, r.Client, r.Server, now); ok {
			return addr, true
		}
	}
	return netip.Addr{}, false
}

// fromPool takes the next never-used address of a pool, else the oldest
// freed one, from this replica's part of the pool (balance.Share); only
// when that part has none free, an address of another replica's part.
// Addresses found held are skipped: each is skipped once per walk, so the
// cost per request is constant when amortised.
func (a *Allocator) fromPool(subnet string, p *config.Pool, c Client, server netip.Addr, now time.Time) (netip.Addr, bool) {
	ps := a.pools[poolKey{subnet, p.Name}]
	if ps == nil || ps.pool != p {
		return netip.Addr{}, false
	}
	for !ps.done {
		addr := ps.next
		ps.advance()
		if !a.share.OwnsAddr(addr) {
			ps.others.push(config.U32(addr))
			continue
		}
		if addr != server && a.availableTo(addr, c, now) && a.unowned(addr, c, now) {
			return addr, true
		}
	}
	for {
		u, ok := ps.freed.pop()
		if !ok {
			break
		}
		addr := config.Addr(u)
		if !p.Contains(addr) || addr == server {
			continue
		}
		if !a.share.OwnsAddr(addr) {
			ps.others.push(u)
			continue
		}
		if a.availableTo(addr, c, now) {
			return addr, true
		}
	}
	for {
		u, ok := ps.others.pop()
		if !ok {
			return netip.Addr{}, false
		}
		if addr := config.Addr(u); p.Contains(addr) && addr != server && a.availableTo(addr, c, now) {
			return addr, true
		}
	}
}

// unowned reports whether addr carries no binding of another client, so
// the cursor leaves expired and released addresses to the freed queue, to
// be reused after the never-used ones.
func (a *Allocator) unowned(addr netip.Addr, c Client, _ time.Time) bool {
	e := a.byAddr[addr]
	if e == nil || !e.stored || e.owner == c {
		return true
	}
	a.free(e.subnet, addr)
	return false
}

// advance moves the cursor past its current address.
func (ps *poolState) advance() {
	n := ps.next.Next()
	if !n.IsValid() {
		ps.done = true
		return
	}
	next, ok := ps.pool.NextFrom(n)
	ps.next, ps.done = next, !ok
}

func (a *Allocator) hold1(subnet string, addr netip.Addr, c Client, now time.Time) {
	e := a.byAddr[addr]
	if e == nil {
		e = &entry{subnet: subnet}
		a.byAddr[addr] = e
	}
	e.offerTo, e.offerUntil = c, now.Add(a.hold)
	a.offers[clientKey{subnet, c}] = addr
	a.exp.push(expItem{at: e.offerUntil.UnixNano(), addr: config.U32(addr)})
}

// DropOffer ends the hold of addr for client c, as when the client chose
// another server.
func (a *Allocator) DropOffer(addr netip.Addr, c Client, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.byAddr[addr]
	if e == nil || e.offerTo != c {
		return
	}
	a.clearOffer(addr, e)
	if _, held := e.holder(now); !held {
		if !e.stored {
			delete(a.byAddr, addr)
		}
		a.free(e.subnet, addr)
	}
}

// Claim marks addr as being committed for client c and returns the binding
// stored for it now, if any, whose Version the commit must carry. Call
// Finish when the commit returns. It fails with ErrHeld when another
// client holds the address and ErrBusy when a commit for it is in flight.
func (a *Allocator) Claim(subnet string, addr netip.Addr, c Client, now time.Time) (prev lease.Binding, stored bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reap(now)
	e := a.byAddr[addr]
	if e == nil {
		e = &entry{subnet: subnet}
		a.byAddr[addr] = e
	}
	if e.pending != "" {
		return lease.Binding{}, false, ErrBusy
	}
	if h, held := e.holder(now); held && (h != c || h == "") || !held && a.heldOut[addr] > 0 {
		return lease.Binding{}, false, ErrHeld
	}
	e.pending, e.subnet = c, subnet
	if e.offerTo == c {
		a.clearOffer(addr, e)
	}
	return a.binding(addr, e), e.stored, nil
}

// Finish ends a Claim. With a binding the Store accepted, it records it,
// told to end at granted (zero: as stored); with nil, the claim failed and
// the address goes back to what it was.
func (a *Allocator) Finish(addr netip.Addr, b *lease.Binding, granted, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.byAddr[addr]
	if e == nil {
		return
	}
	e.pending = ""
	if b != nil {
		a.setBinding(e, *b, granted)
	}
	if _, held := e.holder(now); !held {
		if !e.stored {
			delete(a.byAddr, addr)
		}
		a.free(e.subnet, addr)
	}
}
