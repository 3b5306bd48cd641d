package alloc

import (
	"net/netip"
	"time"

	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// spareLife is the least time a spare address must have left before it
// is offered: a client's lease from it ends before the spare does.
const spareLife = 2 * time.Minute

// SetIdentity names the replica run this allocator serves, so that it
// knows its own Spare bindings among the stored ones. Call it before
// bindings are loaded.
func (a *Allocator) SetIdentity(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.self = id
}

// indexSpare keeps a.spares to the addresses of this run's spares.
func (a *Allocator) indexSpare(b lease.Binding) {
	if b.State == lease.Spare && a.self != "" && b.Replica == a.self {
		a.spares[b.Addr] = struct{}{}
		return
	}
	delete(a.spares, b.Addr)
}

// OfferSpare is Offer from this replica's own spare addresses only, for a
// new client while the Store takes no writes: the spare offered to the
// client before, else any its pools allow that has spareLife left.
func (a *Allocator) OfferSpare(r Request, now time.Time) (netip.Addr, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reap(now)
	if prev, ok := a.offers[clientKey{r.Subnet.Name, r.Client}]; ok {
		if _, mine := a.spares[prev]; mine && r.allowed(prev) {
			if e := a.byAddr[prev]; e != nil && e.offerTo == r.Client && now.Before(e.offerUntil) && now.Add(spareLife).Before(e.expires) {
				return prev, true
			}
		}
	}
	for addr := range a.spares {
		e := a.byAddr[addr]
		if e == nil || e.subnet != r.Subnet.Name || !r.allowed(addr) || !now.Add(spareLife).Before(e.expires) {
			continue
		}
		if h, held := e.holder(now); held && h == "" && e.pending == "" {
			a.hold1(r.Subnet.Name, addr, r.Client, now)
			return addr, true
		}
	}
	return netip.Addr{}, false
}

// FinishLocal ends a Claim with a binding the Store could not take: it is
// kept here, as if stored, and listed by Unsynced until a binding the
// Store accepted (Finish) or reports (Observe) replaces it.
func (a *Allocator) FinishLocal(addr netip.Addr, b *lease.Binding, granted, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.byAddr[addr]
	if e == nil {
		return
	}
	e.pending = ""
	a.setBinding(e, *b, granted)
	e.unsynced = true
	a.unsynced[addr] = struct{}{}
}

// Unsynced returns the bindings made while the Store took no writes and
// not stored since, each with the Version it must be written over.
func (a *Allocator) Unsynced() []lease.Binding {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]lease.Binding, 0, len(a.unsynced))
	for addr := range a.unsynced {
		if e := a.byAddr[addr]; e != nil && e.unsynced {
			out = append(out, a.binding(addr, e))
		}
	}
	return out
}

// SpareCounts returns how many spares this replica holds and how many
// bindings wait to be written.
func (a *Allocator) SpareCounts() (spares, unsynced int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.spares), len(a.unsynced)
}

// OwnSpares returns this replica's stored spare bindings.
func (a *Allocator) OwnSpares() []lease.Binding {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]lease.Binding, 0, len(a.spares))
	for addr := range a.spares {
		if e := a.byAddr[addr]; e != nil && e.stored {
			out = append(out, a.binding(addr, e))
		}
	}
	return out
}

// ClaimSpare is Claim of one of this replica's own spares, by c on the
// replica's behalf (to renew or give it back): it fails with ErrHeld when
// the address is not such a spare or is offered to a client, and with
// ErrBusy when a commit for it is in flight.
func (a *Allocator) ClaimSpare(addr netip.Addr, c Client, now time.Time) (lease.Binding, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reap(now)
	e := a.byAddr[addr]
	if _, mine := a.spares[addr]; !mine || e == nil || !e.stored {
		return lease.Binding{}, ErrHeld
	}
	if e.pending != "" {
		return lease.Binding{}, ErrBusy
	}
	if h, held := e.holder(now); held && h != "" {
		return lease.Binding{}, ErrHeld
	}
	e.pending = c
	return a.binding(addr, e), nil
}
