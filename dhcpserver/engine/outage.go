package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/kubedhcp/kubedhcp/dhcpserver/alloc"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// What an outage of the Store may and may not do (README "High
// availability"):
//
//   - A renewal or rebind of a stored binding is ACKed until the stored
//     expiry, as always when a write fails.
//   - A new client is bound from this replica's spare addresses: Spare
//     bindings it stored in advance with the same atomic create as any
//     binding, so no other replica or client holds them. Its lease ends
//     before the spare's stored expiry, less spareMargin, so it never
//     outlives the claim even if this replica dies before it can write.
//   - A client with a Reservation is bound to its reserved address, which
//     no other client may have.
//   - Such bindings are written (Flush) once the Store takes writes again.
//   - Nothing else: no address that is neither, and never a NAK because
//     of the outage.

// spareMargin is kept between the end of a lease bound from a spare and
// the spare's stored expiry, for clock differences between replicas.
const spareMargin = time.Minute

// errStoreDown stands for a commit not tried: the Store takes no writes.
var errStoreDown = errors.New("the lease store takes no writes")

// SetStoreDown tells the engine whether the Store takes writes. While it
// does not, bindings are not tried there (a write to an unreachable
// apiserver would keep the client waiting), and new clients are bound
// from this replica's spares.
func (e *Engine) SetStoreDown(down bool) { e.storeDown.Store(down) }

// StoreDown reports what SetStoreDown said last.
func (e *Engine) StoreDown() bool { return e.storeDown.Load() }

// spareClient is the Client the allocator holds addresses for while they
// are being claimed as spares.
func (e *Engine) spareClient() alloc.Client { return alloc.Client("s:" + e.identity) }

// offer chooses an address for a DISCOVER: as always, unless the Store
// takes no writes and the client has neither a binding nor a
// reservation, when it can only have a spare. A replica that finds no
// free address hands out its own spares last.
func (t *txn) offer(req alloc.Request) (netip.Addr, bool) {
	if t.e.storeDown.Load() && t.res == nil {
		if _, state, _, ok := t.e.alloc.Holding(t.sn.Name, t.r.client); !ok || state != lease.Bound {
			return t.e.alloc.OfferSpare(req, t.now)
		}
	}
	if addr, ok := t.e.alloc.Offer(req, t.now); ok {
		return addr, true
	}
	return t.e.alloc.OfferSpare(req, t.now)
}

// mayBindLocally reports whether addr may be bound without a write: it is
// this replica's spare, or the client's reserved address.
func (t *txn) mayBindLocally(addr netip.Addr, prev lease.Binding) bool {
	if prev.State == lease.Spare {
		return t.e.identity != "" && prev.Replica == t.e.identity
	}
	return t.res != nil && t.res.Addr == addr && (!prev.Active(t.now) || alloc.ClientOfBinding(&prev) == t.r.client)
}

// bindLocally binds want here, as stored, for Flush to write later, and
// ACKs it with a lease that ends before the spare it came from does.
func (t *txn) bindLocally(want, prev lease.Binding, lt config.LeaseTimes) (*Reply, Result) {
	d := want.LeaseTime
	if prev.State == lease.Spare {
		end := prev.Expires.Add(-spareMargin)
		if left := end.Sub(t.now); left < d {
			d = left.Truncate(time.Second)
		}
		if d < max(lt.Min, time.Second) {
			t.e.alloc.Finish(want.Addr, nil, time.Time{}, t.now)
			return nil, t.silent(ReasonNoSpare)
		}
		want.Expires = minTime(want.Expires, end)
	}
	want.LeaseTime, want.Replica = d, ""
	t.e.alloc.FinishLocal(want.Addr, &want, t.now.Add(d), t.now)
	return t.ack(want.Addr, d, lt)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Flush writes the bindings made while the Store took no writes. It stops
// at the first write the Store does not take and returns how many it
// wrote.
func (e *Engine) Flush(ctx context.Context) (int, error) {
	written := 0
	for _, b := range e.alloc.Unsynced() {
		now := e.clock.Now()
		c := alloc.ClientOfBinding(&b)
		prev, _, err := e.alloc.Claim(b.Subnet, b.Addr, c, now)
		if err != nil {
			continue // a renewal writes it now, or it is no longer the client's
		}
		nb, err := e.store.Commit(ctx, prev)
		var ce *lease.ConflictError
		if errors.As(err, &ce) && ce.Holder != nil && alloc.ClientOfBinding(ce.Holder) == c {
			prev.Version = ce.Holder.Version
			nb, err = e.store.Commit(ctx, prev)
		}
		switch {
		case err == nil:
			e.alloc.Finish(b.Addr, &nb, time.Time{}, now)
			written++
		case errors.As(err, &ce):
			// Changed by another writer: what it wrote stands.
			e.alloc.Finish(b.Addr, nil, time.Time{}, now)
			if ce.Holder != nil {
				e.alloc.Observe(*ce.Holder)
			}
		default:
			e.alloc.Finish(b.Addr, nil, time.Time{}, now)
			return written, fmt.Errorf("writing the binding of %s made during the outage: %w", b.Addr, err)
		}
	}
	return written, nil
}
