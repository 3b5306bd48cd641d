package engine

import (
	"net/netip"

	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
)

// SetShare makes s the sharing of clients and addresses among the
// replicas, as this replica sees it (balance.Share); nil: this replica
// serves every client. It replaces the previous one atomically.
func (e *Engine) SetShare(s *balance.Share) {
	e.share.Store(s)
	e.alloc.SetShare(s)
}

// Share returns the sharing SetShare set last.
func (e *Engine) Share() *balance.Share { return e.share.Load() }

// ours reports whether this replica answers a client that has no binding
// it can see: the client's bucket is in its share, or the client has
// waited, by the secs of its message, the subnet's LoadBalanceMaxSecs
// (RFC 3074 §3's service delay; ISC dhcpd's load balance max seconds).
func (t *txn) ours() bool {
	if t.share.Owns(t.r.bucket) {
		return true
	}
	limit := t.sn.LoadBalanceMaxSecs
	if limit < 0 {
		limit = int32(*t.e.set.MaxSeconds)
	}
	return int32(t.r.m.NumSeconds) >= limit
}

// mayConfirmSelection reports whether this replica answers a REQUEST in
// the SELECTING state for want that names its server identifier. An
// identifier that is this replica's own (its address on the link) is
// named for its own offer. One the Subnet sets is every replica's: then
// the replica that offered want to the client answers, and, for an offer
// made elsewhere, the one whose share the client is in.
func (t *txn) mayConfirmSelection(want netip.Addr) bool {
	if !t.sn.ServerID.IsValid() || t.ours() {
		return true
	}
	if t.e.alloc.OfferedTo(want, t.r.client, t.now) {
		return true
	}
	held, _, _, ok := t.e.alloc.Holding(t.sn.Name, t.r.client)
	return ok && held == want
}

// seesBinding reports whether this replica knows a stored binding of addr.
func (t *txn) seesBinding(addr netip.Addr) bool {
	_, ok := t.e.alloc.At(addr)
	return ok
}
