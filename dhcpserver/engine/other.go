package engine

import (
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/alloc"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// decline handles DHCPDECLINE: the client found its address in use, so the
// address goes into probation (RFC 2131 §4.3.3). No reply.
func (t *txn) decline() (*Reply, Result) {
	r := t.r
	addr := r.requested
	if !addr.IsValid() || !t.selectSubnet(addr) {
		return nil, t.silent("noSubnet")
	}
	if r.serverID.IsValid() && r.serverID != t.sid {
		return nil, t.silent("otherServer")
	}
	b, ok := t.e.alloc.At(addr)
	if !ok || alloc.ClientOfBinding(&b) != r.client || b.State != lease.Bound {
		return nil, t.silent("notClientsAddress")
	}
	t.e.observer.Declined(t.sn.Name, addr, r.m.ClientHWAddr)
	t.probation(addr, b)
	res := t.silent("declined")
	res.Addr = addr
	return nil, res
}

// release handles DHCPRELEASE: the client gives its address back (RFC 2131
// §4.3.4). The binding is kept as Released, so the client finds the same
// address next time if nobody took it. No reply.
func (t *txn) release() (*Reply, Result) {
	r := t.r
	if !r.ciaddr.IsValid() || !t.selectSubnet(r.ciaddr) {
		return nil, t.silent("noSubnet")
	}
	if r.serverID.IsValid() && r.serverID != t.sid {
		return nil, t.silent("otherServer")
	}
	b, ok := t.e.alloc.At(r.ciaddr)
	if !ok || alloc.ClientOfBinding(&b) != r.client || b.State != lease.Bound {
		return nil, t.silent("notClientsAddress")
	}
	if _, _, err := t.e.alloc.Claim(t.sn.Name, r.ciaddr, r.client, t.now); err != nil {
		return nil, t.silent("commitInFlight")
	}
	b.Renewed, b.Expires = t.now, t.now
	nb, err := t.e.store.Release(t.ctx, b)
	if err != nil {
		t.e.alloc.Finish(r.ciaddr, nil, time.Time{}, t.now)
		return nil, t.silent("storeUnavailable")
	}
	t.e.alloc.Finish(r.ciaddr, &nb, time.Time{}, t.now)
	res := t.silent("released")
	res.Addr = r.ciaddr
	return nil, res
}

// inform answers DHCPINFORM: configuration for a client that has its
// address already, with no yiaddr and no lease times (RFC 2131 §4.3.5).
func (t *txn) inform() (*Reply, Result) {
	r := t.r
	if !t.selectSubnet(r.ciaddr) {
		return nil, t.silent("noSubnet")
	}
	m := t.reply(dhcpv4.MessageTypeAck)
	m.ClientIPAddr = r.m.ClientIPAddr
	addr := r.ciaddr
	if !addr.IsValid() {
		addr = netip.Addr{}
	}
	res := t.result(OutcomeAck, "")
	res.Addr = addr
	return t.finish(m, addr, 0, t.sn.Lease()), res
}
