package engine

import (
	"bytes"
	"errors"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/alloc"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// request answers DHCPREQUEST in each client state (RFC 2131 §4.3.2).
func (t *txn) request() (*Reply, Result) {
	r := t.r
	switch {
	case r.serverID.IsValid():
		return t.selecting()
	case r.requested.IsValid() && !r.ciaddr.IsValid():
		return t.initReboot()
	case r.ciaddr.IsValid():
		return t.renewing()
	}
	return nil, t.silent(ReasonMalformedRequest)
}

// selecting: the client chose an offer; only the server it named answers.
func (t *txn) selecting() (*Reply, Result) {
	r := t.r
	want := r.requested
	if !want.IsValid() {
		want = r.ciaddr
	}
	if !t.selectSubnet(want) {
		return nil, t.silent(ReasonNoSubnet)
	}
	if r.serverID != t.sid {
		if want.IsValid() {
			t.e.alloc.DropOffer(want, r.client, t.now)
		}
		return nil, t.silent(ReasonOtherServer)
	}
	if !t.mayConfirmSelection(want) {
		return nil, t.silent(ReasonPeersClient)
	}
	if !want.IsValid() {
		return t.nak(ReasonNoRequestedAddress)
	}
	if !t.sn.Prefix.Contains(want) || !t.servable(want) {
		return t.nak(ReasonAddressNotServed)
	}
	return t.bind(want, false)
}

// initReboot: a client that remembers its address asks to keep it.
func (t *txn) initReboot() (*Reply, Result) {
	r := t.r
	if !t.selectSubnet(r.requested) {
		return nil, t.silent(ReasonNoSubnet)
	}
	if !t.sn.Prefix.Contains(r.requested) {
		return t.nak(ReasonWrongNetwork)
	}
	return t.confirm(r.requested, true)
}

// renewing: a bound client extends its lease, unicast to this server
// (RENEWING) or broadcast to any (REBINDING).
func (t *txn) renewing() (*Reply, Result) {
	if !t.selectSubnet(t.r.ciaddr) {
		return nil, t.silent(ReasonNoSubnet)
	}
	return t.confirm(t.r.ciaddr, t.in.Broadcast)
}

// confirm answers a client asking to keep addr. A client this server
// knows gets an ACK for its own address and a NAK for another; an unknown
// client gets a NAK when it asked this server by name (RENEWING) or the
// subnet is authoritative, and silence otherwise, since another server
// may know it. Among replicas, only the one whose share the client is in
// NAKs an unknown client that did not name it: another may have bound it
// a moment ago.
func (t *txn) confirm(addr netip.Addr, mayBeOthers bool) (*Reply, Result) {
	if !t.known(addr) {
		return nil, t.silent(ReasonStoreUnavailable)
	}
	if t.res != nil && t.res.Addr != addr && t.e.alloc.Available(t.res.Addr, t.r.client, t.now) {
		return t.nak(ReasonReservedElsewhere)
	}
	held, state, _, known := t.e.alloc.Holding(t.sn.Name, t.r.client)
	switch {
	case known && held == addr && state != lease.Declined, t.e.alloc.StoredFor(addr, t.r.client):
		// The second: a client can have two stored bindings for a moment,
		// when one replica's ACK was lost and it took another's offer; the
		// one it asks for is the one it holds, and the other is let go.
		reply, res := t.bind(addr, true)
		if res.Outcome == OutcomeAck {
			t.releaseOthers(addr)
		}
		return reply, res
	case known && state == lease.Bound && held != addr:
		return t.nak(ReasonWrongAddress)
	case t.res != nil && t.res.Addr == addr:
		return t.bind(addr, true)
	case !mayBeOthers:
		return t.nak(ReasonUnknownLeaseNak)
	case t.sn.Authoritative && t.ours():
		return t.nak(ReasonUnknownLeaseNak)
	case t.sn.Authoritative:
		return nil, t.silent(ReasonPeersClient)
	}
	return nil, t.silent(ReasonUnknownLease)
}

// releaseOthers releases the client's other bindings in the subnet once it
// has renewed or rebound addr: it uses addr, so they are stale.
func (t *txn) releaseOthers(addr netip.Addr) {
	for _, b := range t.e.alloc.OtherBindings(t.sn.Name, t.r.client, addr, t.now) {
		if _, _, err := t.e.alloc.Claim(t.sn.Name, b.Addr, t.r.client, t.now); err != nil {
			continue
		}
		b.Renewed, b.Expires = t.now, t.now
		nb, err := t.e.store.Release(t.ctx, b)
		if err != nil {
			t.e.alloc.Finish(b.Addr, nil, time.Time{}, t.now)
			continue
		}
		t.e.alloc.Finish(b.Addr, &nb, time.Time{}, t.now)
	}
}

// bind commits addr for the client and acknowledges it. renewal says the
// client already holds it, so a lease whose address is no longer served is
// honoured until it ends but not extended.
func (t *txn) bind(addr netip.Addr, renewal bool) (*Reply, Result) {
	r := t.r
	prev, stored, err := t.e.alloc.Claim(t.sn.Name, addr, r.client, t.now)
	switch {
	case errors.Is(err, alloc.ErrBusy):
		return nil, t.silent(ReasonCommitInFlight)
	case err != nil:
		return t.nak(ReasonAddressHeld)
	}
	mine := stored && alloc.ClientOfBinding(&prev) == r.client && prev.State == lease.Bound
	if !mine && !t.newClientAllowed() {
		t.e.alloc.Finish(addr, nil, time.Time{}, t.now)
		return nil, t.limited(ReasonLinkRate, t.link())
	}
	if !mine && t.overMACLimit() {
		t.e.alloc.Finish(addr, nil, time.Time{}, t.now)
		return nil, t.silent(ReasonLeasesPerMAC)
	}
	if !t.servable(addr) {
		end := t.toldEnd(prev)
		if !renewal || !mine || !end.After(t.now) {
			t.e.alloc.Finish(addr, nil, time.Time{}, t.now)
			return t.nak(ReasonAddressNotServed)
		}
		t.e.alloc.Finish(addr, &prev, end, t.now)
		return t.ack(addr, end.Sub(t.now), t.leaseTimes(addr))
	}
	lt := t.leaseTimes(addr)
	d := lt.Grant(r.leaseReq)
	granted := t.now.Add(d)
	if mine && !t.needsWrite(&prev, granted, d) {
		t.e.alloc.Finish(addr, &prev, granted, t.now)
		return t.ack(addr, d, lt)
	}
	b := t.binding(addr, d, prev, stored)
	nb, err := lease.Binding{}, errStoreDown
	if !t.e.storeDown.Load() {
		nb, err = t.commit(b)
	}
	if err != nil {
		return t.commitFailed(err, b, prev, mine, lt)
	}
	t.e.alloc.Finish(addr, &nb, granted, t.now)
	return t.ack(addr, d, lt)
}

// toldEnd is when the lease the client was last told ends: as the
// allocator remembers it, else as stored.
func (t *txn) toldEnd(prev lease.Binding) time.Time {
	if held, _, granted, ok := t.e.alloc.Holding(t.sn.Name, t.r.client); ok && held == prev.Addr && !granted.IsZero() {
		return granted
	}
	return prev.Expires
}

// needsWrite reports whether a renewal must write its client's binding:
// when the stored expiry falls before the lease granted now (renewals are
// amortised), or when a detail the Lease records (host name, relay,
// circuit and remote ID, hardware address, classes) changed and the Lease
// was last written at least detailsEvery ago. A client that changes its
// host name with every message costs one write per detailsEvery, not one
// per message.
func (t *txn) needsWrite(prev *lease.Binding, granted time.Time, d time.Duration) bool {
	switch {
	case prev.Expires.Before(granted):
		return true
	case t.sameDetails(prev):
		return false
	}
	return t.now.Sub(prev.Renewed) >= detailsEvery(d)
}

// detailsEvery is how often a change of recorded details alone may write
// a binding of lease time d: a quarter of the lease, at most 15 minutes.
func detailsEvery(d time.Duration) time.Duration { return min(d/4, 15*time.Minute) }

// sameDetails reports whether the stored binding records what the client
// says now.
func (t *txn) sameDetails(prev *lease.Binding) bool {
	r := t.r
	userClass, arch, hasArch := "", uint16(0), len(r.info.Arch) > 0
	if len(r.info.UserClasses) > 0 {
		userClass = r.info.UserClasses[0]
	}
	if hasArch {
		arch = r.info.Arch[0]
	}
	return prev.Hostname == t.hostname() && prev.Relay == r.giaddr && string(prev.CircuitID) == string(r.info.CircuitID) &&
		string(prev.RemoteID) == string(r.info.RemoteID) && string(prev.HWAddr) == string(r.m.ClientHWAddr) &&
		prev.VendorClass == r.info.VendorClass && prev.UserClass == userClass && prev.HasArch == hasArch && prev.ClientArch == arch
}

// commit writes b. When the store reports a binding this engine had not
// seen (written by another server, or marked Expired by the lease
// controller) that is the same client's or no longer active, it retries
// once on top of it.
func (t *txn) commit(b lease.Binding) (lease.Binding, error) {
	nb, err := t.e.store.Commit(t.ctx, b)
	var ce *lease.ConflictError
	if errors.As(err, &ce) && ce.Holder == nil {
		t.holdUnknown(b.Addr)
	}
	if errors.As(err, &ce) && ce.Holder != nil {
		h := ce.Holder
		t.e.alloc.Observe(*h)
		mine := alloc.ClientOfBinding(h) == t.r.client
		if mine || !h.Active(t.now) {
			b.Version = h.Version
			if mine && h.Active(t.now) {
				b.Start = h.Start
			}
			return t.e.store.Commit(t.ctx, b)
		}
	}
	return nb, err
}

// holdUnknown keeps an address out of service for the probation period,
// here only, when the Store holds it for a binding it cannot read: the
// next client is offered another instead of this one again.
func (t *txn) holdUnknown(addr netip.Addr) { t.e.holdUnknown(t.sn.Name, addr, t.now) }

// holdUnknown keeps addr out of service for a probation, as declined: the
// Store refused a write to it without saying who holds it.
func (e *Engine) holdUnknown(subnet string, addr netip.Addr, now time.Time) {
	e.alloc.Observe(lease.Binding{Subnet: subnet, Addr: addr, State: lease.Declined, Start: now, Renewed: now,
		Expires: now.Add(e.set.Probation)})
}

// commitFailed answers a request whose commit of want failed, and ends
// its Claim. An address another writer holds, or whose Lease was deleted,
// gets a NAK. When the Store takes no writes, a renewal the stored
// binding still covers is acknowledged until that stored expiry, and a
// new client is bound here, to be written later, when the address is
// this replica's spare or the client's reservation (outage.go); anything
// else gets silence, never a NAK.
func (t *txn) commitFailed(err error, want, prev lease.Binding, mine bool, lt config.LeaseTimes) (*Reply, Result) {
	addr := want.Addr
	switch {
	case errors.Is(err, lease.ErrConflict):
		t.e.alloc.Finish(addr, nil, time.Time{}, t.now)
		return t.nak(ReasonAddressHeld)
	case errors.Is(err, lease.ErrNotFound):
		t.e.alloc.Finish(addr, nil, time.Time{}, t.now)
		t.e.alloc.Forget(t.sn.Name, addr)
		return t.nak(ReasonLeaseRevoked)
	case mine && prev.Expires.Sub(t.now) >= time.Second:
		t.e.alloc.Finish(addr, nil, time.Time{}, t.now)
		return t.ack(addr, prev.Expires.Sub(t.now), lt)
	case t.mayBindLocally(addr, prev):
		return t.bindLocally(want, prev, lt)
	}
	t.e.alloc.Finish(addr, nil, time.Time{}, t.now)
	return nil, t.silent(ReasonStoreUnavailable)
}

// binding is the binding to store for addr: the client as it asked now,
// expiring after the lease plus headroom.
func (t *txn) binding(addr netip.Addr, d time.Duration, prev lease.Binding, stored bool) lease.Binding {
	r := t.r
	// Copies: the message's bytes belong to the transport's buffer.
	b := lease.Binding{Subnet: t.sn.Name, Addr: addr, HWAddr: bytes.Clone(r.m.ClientHWAddr), ClientID: bytes.Clone(r.info.ClientID),
		Hostname: t.hostname(), State: lease.Bound, Start: t.now, Renewed: t.now,
		Expires: t.horizon(d), LeaseTime: config.ClampLease(d), Pool: t.poolName(addr),
		Relay: r.giaddr, CircuitID: bytes.Clone(r.info.CircuitID), RemoteID: bytes.Clone(r.info.RemoteID), VendorClass: r.info.VendorClass}
	if len(r.info.UserClasses) > 0 {
		b.UserClass = r.info.UserClasses[0]
	}
	if len(r.info.Arch) > 0 {
		b.ClientArch, b.HasArch = r.info.Arch[0], true
	}
	if t.res != nil && t.res.Addr == addr {
		b.Reservation = t.res.Name
	}
	if stored {
		b.Version = prev.Version
		if prev.State == lease.Bound && alloc.ClientOfBinding(&prev) == r.client && prev.Expires.After(t.now) {
			b.Start = prev.Start
		}
	}
	return b
}

// horizon is the expiry stored for a lease of d granted now: the lease
// plus the headroom that lets renewals skip writes. d is at most
// config.MaxLeaseTime and the headroom at most d, so nothing overflows.
func (t *txn) horizon(d time.Duration) time.Time {
	d = config.ClampLease(d)
	return t.now.Add(d + time.Duration(float64(d)*t.e.set.Headroom))
}

// hostname is the client's host name: its reservation's, else its own.
func (t *txn) hostname() string {
	if t.res != nil && t.res.Hostname != "" {
		return t.res.Hostname
	}
	return t.r.hostname
}

// ack builds a DHCPACK for addr with a lease of d, at most
// config.MaxLeaseTime whatever a stored binding says.
func (t *txn) ack(addr netip.Addr, d time.Duration, lt config.LeaseTimes) (*Reply, Result) {
	d = min(d, config.MaxLeaseTime)
	m := t.reply(dhcpv4.MessageTypeAck)
	m.ClientIPAddr = t.r.m.ClientIPAddr
	m.YourIPAddr = ip4(&t.out.yiaddr, addr)
	res := t.result(OutcomeAck, "")
	res.Addr = addr
	return t.finish(m, addr, d, lt), res
}
