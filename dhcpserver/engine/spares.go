package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kubedhcp/kubedhcp/dhcpserver/alloc"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// SpareCounts is what one KeepSpares pass did.
type SpareCounts struct {
	Claimed, Renewed, Released int
}

// KeepSpares keeps, in every pool, this replica's spare addresses at
// per, or at a quarter of the pool shared among replicas if that is
// less, each stored to expire ttl after its last write: it claims what is
// missing (from this replica's part of the pool), renews what has less
// than half of ttl left, and gives back what a pool no longer has room
// for. It returns at the first write the Store does not take.
func (e *Engine) KeepSpares(ctx context.Context, per int, ttl time.Duration, replicas int) (SpareCounts, error) {
	var n SpareCounts
	snap := e.snap.Load()
	if snap == nil || e.identity == "" || !e.Ready() {
		return n, nil
	}
	now := e.clock.Now()
	have := map[*config.Pool]int{}
	for _, b := range e.alloc.OwnSpares() {
		p := poolOf(snap, b)
		want := spareTarget(p, per, replicas)
		switch {
		case p == nil || have[p] >= want:
			done, err := e.releaseSpare(ctx, b)
			if err != nil {
				return n, err
			}
			n.Released += count(done)
		case b.Expires.Sub(now) < ttl/2:
			done, err := e.writeSpare(ctx, b, now, ttl)
			if err != nil {
				return n, err
			}
			have[p]++
			n.Renewed += count(done)
		default:
			have[p]++
		}
	}
	for _, sn := range snap.Subnets() {
		for _, p := range sn.Pools {
			for have[p] < spareTarget(p, per, replicas) {
				ok, err := e.claimSpare(ctx, sn, p, now, ttl)
				if err != nil || !ok {
					return n, err
				}
				have[p]++
				n.Claimed++
			}
		}
	}
	return n, nil
}

// spareTarget is how many spares this replica keeps in p.
func spareTarget(p *config.Pool, per, replicas int) int {
	if p == nil || per <= 0 {
		return 0
	}
	return int(min(int64(per), p.Size()/int64(4*max(replicas, 1))))
}

func poolOf(snap *config.Snapshot, b lease.Binding) *config.Pool {
	sn := snap.Subnet(b.Subnet)
	if sn == nil {
		return nil
	}
	p := sn.PoolFor(b.Addr)
	if p == nil || p.Name != b.Pool {
		return nil
	}
	return p
}

// claimSpare claims one free address of p as a spare; false when the
// pool has none free.
func (e *Engine) claimSpare(ctx context.Context, sn *config.Subnet, p *config.Pool, now time.Time, ttl time.Duration) (bool, error) {
	c := e.spareClient()
	addr, ok := e.alloc.Offer(alloc.Request{Subnet: sn, Client: c, Pools: []*config.Pool{p}, Server: sn.ServerID}, now)
	if !ok {
		return false, nil
	}
	prev, stored, err := e.alloc.Claim(sn.Name, addr, c, now)
	if err != nil {
		return false, nil
	}
	b := lease.Binding{Subnet: sn.Name, Addr: addr, State: lease.Spare, Pool: p.Name, Replica: e.identity,
		Start: now, Renewed: now, Expires: now.Add(ttl)}
	if stored {
		b.Version = prev.Version
	}
	nb, err := e.store.Commit(ctx, b)
	var ce *lease.ConflictError
	switch {
	case err == nil:
		e.alloc.Finish(addr, &nb, time.Time{}, now)
		return true, nil
	case errors.As(err, &ce):
		e.alloc.Finish(addr, nil, time.Time{}, now)
		if ce.Holder != nil {
			e.alloc.Observe(*ce.Holder)
		}
		return true, nil // another address next time round
	}
	e.alloc.Finish(addr, nil, time.Time{}, now)
	return false, fmt.Errorf("claiming %s as a spare: %w", addr, err)
}

func count(done bool) int {
	if done {
		return 1
	}
	return 0
}

// writeSpare stores spare b again to expire ttl from now; false when it
// is offered to a client or being bound, and left alone.
func (e *Engine) writeSpare(ctx context.Context, b lease.Binding, now time.Time, ttl time.Duration) (bool, error) {
	if _, err := e.alloc.ClaimSpare(b.Addr, e.spareClient(), now); err != nil {
		return false, nil
	}
	b.Renewed, b.Expires = now, now.Add(ttl)
	nb, err := e.store.Commit(ctx, b)
	if err != nil {
		e.alloc.Finish(b.Addr, nil, time.Time{}, now)
		if errors.Is(err, lease.ErrConflict) {
			return false, nil
		}
		return false, fmt.Errorf("renewing the spare %s: %w", b.Addr, err)
	}
	e.alloc.Finish(b.Addr, &nb, time.Time{}, now)
	return true, nil
}

// releaseSpare deletes spare b's Lease, so the address is free again;
// false when it is offered to a client or being bound, and left alone.
func (e *Engine) releaseSpare(ctx context.Context, b lease.Binding) (bool, error) {
	now := e.clock.Now()
	if _, err := e.alloc.ClaimSpare(b.Addr, e.spareClient(), now); err != nil {
		return false, nil
	}
	err := e.store.Delete(ctx, b)
	e.alloc.Finish(b.Addr, nil, time.Time{}, now)
	switch {
	case err == nil, errors.Is(err, lease.ErrNotFound):
		e.alloc.Deleted(b)
		return true, nil
	case errors.Is(err, lease.ErrConflict):
		return false, nil
	}
	return false, fmt.Errorf("giving back the spare %s: %w", b.Addr, err)
}

// ReleaseSpares gives back every spare this replica holds, as it stops,
// and returns how many.
func (e *Engine) ReleaseSpares(ctx context.Context) (int, error) {
	n := 0
	for _, b := range e.alloc.OwnSpares() {
		done, err := e.releaseSpare(ctx, b)
		if err != nil {
			return n, err
		}
		n += count(done)
	}
	return n, nil
}

// SpareCounts returns how many spares this replica holds and how many
// bindings made during an outage wait to be written.
func (e *Engine) SpareCounts() (spares, unsynced int) { return e.alloc.SpareCounts() }
