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

// An address claim is a consumer that does not speak DHCP (a Cluster API
// IPAddressClaim) asking for an address of a pool. It is served by the
// same allocator as DHCP clients and committed the same way, as a Lease
// created atomically, in state Claimed: a claimed address is never offered
// to a DHCP client and an address a DHCP client holds is never claimed,
// whichever replica or path gets there first.

// Errors of Claim.
var (
	// ErrNoPool means no pool of that name is served: it does not exist
	// or was left out of the configuration.
	ErrNoPool = errors.New("no such pool is served")
	// ErrPoolExhausted means the pool has no free address.
	ErrPoolExhausted = errors.New("no free address in the pool")
	// ErrReservedHeld means the claim's Reservation names an address
	// another client or claim holds.
	ErrReservedHeld = errors.New("the reserved address is held by another client")
	// ErrStoreDown means the Store takes no writes now; try again later.
	ErrStoreDown = errors.New("the lease store takes no writes now")
)

// claimTries bounds the addresses one Claim tries when other writers take
// them first.
const claimTries = 16

// Claimed is an address held for a claim, with what its consumer needs
// to configure it.
type Claimed struct {
	Addr        netip.Addr
	Prefix      netip.Prefix
	Gateway     netip.Addr // the pool's (else the subnet's) first router; invalid if none
	Subnet      string
	Pool        string
	Reservation string
}

// Claim holds an address of the pool named pool for the claim named claim
// and returns it: want when valid (the address the claim was given
// before, held again if its Lease is gone), else the address it already
// holds in the pool's subnet, else the address a Reservation of that
// subnet names for it, else a free address of the pool. It returns once
// the Lease is stored.
func (e *Engine) Claim(ctx context.Context, pool, claim string, want netip.Addr) (Claimed, error) {
	snap := e.snap.Load()
	if snap == nil || !e.Ready() {
		return Claimed{}, ErrStoreDown
	}
	sn, p := findPool(snap, pool)
	if p == nil {
		return Claimed{}, fmt.Errorf("pool %q: %w", pool, ErrNoPool)
	}
	c := alloc.ClaimClient(claim)
	out := Claimed{Prefix: sn.Prefix.Masked(), Gateway: gateway(sn, p), Subnet: sn.Name, Pool: p.Name}
	if want.IsValid() {
		return e.claimWanted(ctx, sn, out, claim, want)
	}
	if addr, state, _, ok := e.alloc.Holding(sn.Name, c); ok && state == lease.Claimed {
		if b, ok := e.alloc.At(addr); ok {
			out.Addr, out.Pool, out.Reservation = addr, b.Pool, b.Reservation
			return out, nil
		}
	}
	if e.storeDown.Load() {
		return Claimed{}, ErrStoreDown
	}
	if r := sn.ReservationForClaim(claim); r != nil {
		out.Addr, out.Pool, out.Reservation = r.Addr, "", r.Name
		return out, e.claimAddr(ctx, sn, r.Addr, claim, "", r.Name)
	}
	for range claimTries {
		now := e.clock.Now()
		addr, ok := e.alloc.Offer(alloc.Request{Subnet: sn, Client: c, Pools: []*config.Pool{p}, Server: sn.ServerID}, now)
		if !ok {
			addr, ok = e.alloc.OfferSpare(alloc.Request{Subnet: sn, Client: c, Pools: []*config.Pool{p}, Server: sn.ServerID}, now)
		}
		if !ok {
			return Claimed{}, fmt.Errorf("pool %q: %w", pool, ErrPoolExhausted)
		}
		err := e.claimAddr(ctx, sn, addr, claim, p.Name, "")
		if err == nil {
			out.Addr = addr
			return out, nil
		}
		if !errors.Is(err, ErrReservedHeld) {
			return Claimed{}, err
		}
	}
	return Claimed{}, fmt.Errorf("pool %q: every address tried was taken meanwhile: %w", pool, ErrPoolExhausted)
}

// claimWanted holds want, the address the claim was given before, again.
func (e *Engine) claimWanted(ctx context.Context, sn *config.Subnet, out Claimed, claim string, want netip.Addr) (Claimed, error) {
	if !sn.Prefix.Contains(want) {
		return Claimed{}, fmt.Errorf("%s, given to the claim before, is outside subnet %s", want, sn.Name)
	}
	out.Addr = want
	if b, ok := e.alloc.At(want); ok && b.State == lease.Claimed && b.Claim == claim {
		out.Pool, out.Reservation = b.Pool, b.Reservation
		return out, nil
	}
	if e.storeDown.Load() {
		return Claimed{}, ErrStoreDown
	}
	if r := sn.ReservationAt(want); r != nil {
		out.Pool, out.Reservation = "", r.Name
	}
	return out, e.claimAddr(ctx, sn, want, claim, out.Pool, out.Reservation)
}

// claimAddr stores addr as claimed by claim; ErrReservedHeld when another
// client or claim holds it.
func (e *Engine) claimAddr(ctx context.Context, sn *config.Subnet, addr netip.Addr, claim, pool, reservation string) error {
	now := e.clock.Now()
	c := alloc.ClaimClient(claim)
	prev, stored, err := e.alloc.Claim(sn.Name, addr, c, now)
	if err != nil {
		return fmt.Errorf("%s: %w", addr, ErrReservedHeld)
	}
	b := lease.Binding{Subnet: sn.Name, Addr: addr, State: lease.Claimed, Claim: claim, Pool: pool,
		Reservation: reservation, Start: now, Renewed: now}
	if stored {
		b.Version = prev.Version
	}
	nb, err := e.store.Commit(ctx, b)
	var ce *lease.ConflictError
	switch {
	case err == nil:
		e.alloc.Finish(addr, &nb, time.Time{}, now)
		return nil
	case errors.As(err, &ce):
		e.alloc.Finish(addr, nil, time.Time{}, now)
		if ce.Holder != nil {
			e.alloc.Observe(*ce.Holder)
		} else {
			e.holdUnknown(sn.Name, addr, now)
		}
		return fmt.Errorf("%s: %w", addr, ErrReservedHeld)
	}
	e.alloc.Finish(addr, nil, time.Time{}, now)
	return fmt.Errorf("claiming %s: %w", addr, err)
}

// Unclaim deletes every address held for the claim named claim but keep
// (when valid), so that they are free again, and returns them.
func (e *Engine) Unclaim(ctx context.Context, claim string, keep netip.Addr) ([]netip.Addr, error) {
	c := alloc.ClaimClient(claim)
	var out []netip.Addr
	for _, b := range e.Claims(claim) {
		if b.Addr == keep {
			continue
		}
		now := e.clock.Now()
		if _, _, err := e.alloc.Claim(b.Subnet, b.Addr, c, now); err != nil {
			continue // no longer the claim's
		}
		err := e.store.Delete(ctx, b)
		e.alloc.Finish(b.Addr, nil, time.Time{}, now)
		switch {
		case err == nil, errors.Is(err, lease.ErrNotFound):
			e.alloc.Deleted(b)
			out = append(out, b.Addr)
		case errors.Is(err, lease.ErrConflict):
			continue // rewritten meanwhile: the next pass sees it
		default:
			return out, fmt.Errorf("giving back %s: %w", b.Addr, err)
		}
	}
	return out, nil
}

// Claims returns the bindings held for the claim named claim, in the
// subnets served (a claim in a subnet since removed is left to the orphan
// sweep, AllClaimed).
func (e *Engine) Claims(claim string) []lease.Binding {
	return e.alloc.StoredOf(alloc.ClaimClient(claim), lease.Claimed)
}

// AllClaimed returns every binding held for a claim: a walk of every
// binding, for the periodic orphan sweep only.
func (e *Engine) AllClaimed() []lease.Binding {
	return e.alloc.Stored(func(st lease.State, _ time.Time) bool { return st == lease.Claimed })
}

// findPool returns the pool named name and its subnet.
func findPool(snap *config.Snapshot, name string) (*config.Subnet, *config.Pool) {
	for _, sn := range snap.Subnets() {
		for _, p := range sn.Pools {
			if p.Name == name {
				return sn, p
			}
		}
	}
	return nil, nil
}

// gateway is the first router of a pool's options, else of its subnet's.
func gateway(sn *config.Subnet, p *config.Pool) netip.Addr {
	if len(p.Options.Routers) > 0 {
		return p.Options.Routers[0]
	}
	if len(sn.Options.Routers) > 0 {
		return sn.Options.Routers[0]
	}
	return netip.Addr{}
}
