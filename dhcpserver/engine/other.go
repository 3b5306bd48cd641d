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
		return nil, t.silent(ReasonNoSubnet)
	}
	if r.serverID.IsValid() && r.serverID != t.sid {
		return nil, t.silent(ReasonOtherServer)
	}
	if !t.known(addr) {
		return nil, t.silent(ReasonStoreUnavailable)
	}
	b, ok := t.e.alloc.At(addr)
	if !ok || b.Subnet != t.sn.Name || alloc.ClientOfBinding(&b) != r.client || b.State != lease.Bound {
		return nil, t.silent(ReasonNotClientsAddress)
	}
	if !t.fromClientsLink(netip.Addr{}) {
		return nil, t.silent(ReasonWrongSource)
	}
	t.e.observer.Declined(t.sn.Name, addr, r.m.ClientHWAddr)
	t.probation(addr, b)
	res := t.silent(ReasonDeclined)
	res.Addr = addr
	return nil, res
}

// release handles DHCPRELEASE: the client gives its address back (RFC 2131
// §4.3.4). The binding is kept as Released, so the client finds the same
// address next time if nobody took it. No reply.
func (t *txn) release() (*Reply, Result) {
	r := t.r
	if !r.ciaddr.IsValid() || !t.selectSubnet(r.ciaddr) {
		return nil, t.silent(ReasonNoSubnet)
	}
	if r.serverID.IsValid() && r.serverID != t.sid {
		return nil, t.silent(ReasonOtherServer)
	}
	if !t.known(r.ciaddr) {
		return nil, t.silent(ReasonStoreUnavailable)
	}
	b, ok := t.e.alloc.At(r.ciaddr)
	if !ok || b.Subnet != t.sn.Name || alloc.ClientOfBinding(&b) != r.client || b.State != lease.Bound {
		return nil, t.silent(ReasonNotClientsAddress)
	}
	if !t.fromClientsLink(r.ciaddr) {
		return nil, t.silent(ReasonWrongSource)
	}
	if _, _, err := t.e.alloc.Claim(t.sn.Name, r.ciaddr, r.client, t.now); err != nil {
		return nil, t.silent(ReasonCommitInFlight)
	}
	b.Renewed, b.Expires = t.now, t.now
	nb, err := t.e.store.Release(t.ctx, b)
	if err != nil {
		t.e.alloc.Finish(r.ciaddr, nil, time.Time{}, t.now)
		return nil, t.silent(ReasonStoreUnavailable)
	}
	t.e.alloc.Finish(r.ciaddr, &nb, time.Time{}, t.now)
	res := t.silent(ReasonReleased)
	res.Addr = r.ciaddr
	return nil, res
}

// fromClientsLink reports whether a RELEASE or DECLINE came from where its
// client can be: through a relay, from the relay's own address; directly,
// from the client's address (bound, for a RELEASE, which the client
// unicasts from it) or from none (0.0.0.0, for a DECLINE, sent before the
// client uses the address). The subnet was selected by that relay or by
// the interface the message arrived on, and holds the binding. A host that
// forges a client's identity and address on the client's own link still
// passes: DHCP has no authentication.
func (t *txn) fromClientsLink(bound netip.Addr) bool {
	src := t.in.Source
	switch {
	case !src.IsValid():
		return false
	case t.r.giaddr.IsValid():
		return src == t.r.giaddr
	case bound.IsValid():
		return src == bound
	}
	return src.IsUnspecified()
}

// inform answers DHCPINFORM: configuration for a client that has its
// address already, with no yiaddr and no lease times (RFC 2131 §4.3.5).
// Among replicas, the one whose share the client is in answers, and any
// that knows the binding of its address.
func (t *txn) inform() (*Reply, Result) {
	r := t.r
	if !t.selectSubnet(r.ciaddr) {
		return nil, t.silent(ReasonNoSubnet)
	}
	if !t.ours() && (!r.ciaddr.IsValid() || !t.seesBinding(r.ciaddr)) {
		return nil, t.silent(ReasonPeersClient)
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
