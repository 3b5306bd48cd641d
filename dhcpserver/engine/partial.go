package engine

import (
	"errors"
	"net/netip"

	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// known makes sure the allocator knows what is stored for addr: when the
// engine serves partially (SetPartial) and the allocator has nothing for
// it, it asks the Store. It reports false when the Store could not say,
// so the address must be treated as held.
func (t *txn) known(addr netip.Addr) bool {
	if !t.e.partial.Load() || !addr.IsValid() || t.sn == nil {
		return true
	}
	if _, ok := t.e.alloc.At(addr); ok {
		return true
	}
	b, err := t.e.store.Lookup(t.ctx, t.sn.Name, addr)
	switch {
	case errors.Is(err, lease.ErrNotFound):
		return true
	case err != nil:
		return false
	}
	t.e.alloc.Observe(b)
	return true
}

// settled reports, in partial service, whether an address the allocator
// chose is free after all: known, and not held by another client.
func (t *txn) settled(addr netip.Addr) bool {
	if !t.e.partial.Load() {
		return true
	}
	return t.known(addr) && t.e.alloc.Available(addr, t.r.client, t.now)
}
