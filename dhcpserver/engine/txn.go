package engine

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
)

// txn is one message being handled. Handle takes it from txnPool and
// puts it back when done; nothing may keep a pointer to it.
type txn struct {
	req   request
	e     *Engine
	ctx   context.Context
	r     *request
	in    Meta
	now   time.Time
	snap  *config.Snapshot
	share *balance.Share
	sn    *config.Subnet
	sid   netip.Addr
	res   *config.Reservation
	out   *Reply
}

var txnPool = sync.Pool{New: func() any { return &txn{} }}

func (t *txn) done() {
	*t = txn{}
	txnPool.Put(t)
}

func (t *txn) result(outcome string, reason Reason) Result {
	res := Result{Type: typeName(t.r.mt), Outcome: outcome, Reason: reason}
	if t.sn != nil {
		res.Subnet = t.sn.Name
	}
	return res
}

func (t *txn) silent(reason Reason) Result { return t.result(OutcomeSilent, reason) }

// selectSubnet finds the subnet a message belongs to (RFC 3011 subnet
// selection where the subnet allows it, RFC 3527 link selection from a
// relay, then the relay's giaddr, then the client's ciaddr, then the
// interface it arrived on) and the server identifier to answer with. want,
// when valid, picks among the subnets of an interface the one holding it.
func (t *txn) selectSubnet(want netip.Addr) bool {
	r := t.r
	switch {
	case r.subnetSel.IsValid() && t.snap.SubnetForAddr(r.subnetSel).AllowsSelection():
		t.sn = t.snap.SubnetForAddr(r.subnetSel)
	case r.linkSel.IsValid():
		t.sn = t.snap.SubnetForAddr(r.linkSel)
	case r.giaddr.IsValid():
		t.sn = t.snap.SubnetForRelay(r.giaddr)
	case r.ciaddr.IsValid():
		t.sn = t.snap.SubnetForAddr(r.ciaddr)
	default:
		t.sn = pick(t.snap.SubnetsForInterface(t.in.Interface), want)
	}
	if t.sn == nil {
		return false
	}
	t.sid = t.sn.ServerID
	if !t.sid.IsValid() {
		t.sid = t.in.LocalAddr
	}
	if t.sid.IsValid() {
		t.res = t.sn.ReservationFor(r.info.ClientID, r.m.ClientHWAddr, r.info.CircuitID)
	}
	return t.sid.IsValid()
}

// pick returns the subnet holding want, else the first.
func pick(subnets []*config.Subnet, want netip.Addr) *config.Subnet {
	if len(subnets) == 0 {
		return nil
	}
	for _, sn := range subnets {
		if want.IsValid() && sn.Prefix.Contains(want) {
			return sn
		}
	}
	return subnets[0]
}

// leaseTimes returns the lease times that apply to addr for this client.
func (t *txn) leaseTimes(addr netip.Addr) config.LeaseTimes {
	if t.res != nil && t.res.Addr == addr {
		return t.res.Lease()
	}
	if p := t.sn.PoolFor(addr); p != nil {
		return p.Lease()
	}
	return t.sn.Lease()
}

// poolName returns the name of the pool addr came from, if any.
func (t *txn) poolName(addr netip.Addr) string {
	if p := t.sn.PoolFor(addr); p != nil {
		return p.Name
	}
	return ""
}

// servable reports whether this client may be given addr: its
// reservation, or an address of a pool that serves it; never the server's
// own address.
func (t *txn) servable(addr netip.Addr) bool {
	if addr == t.sid {
		return false
	}
	if t.res != nil && t.res.Addr == addr {
		return true
	}
	p := t.sn.PoolFor(addr)
	return p != nil && p.Serves(&t.r.info, t.res != nil)
}
