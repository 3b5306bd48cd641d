package engine

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/alloc"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/dhcpserver/probe"
)

// discover answers DHCPDISCOVER with DHCPOFFER (RFC 2131 §4.3.1).
func (t *txn) discover() (*Reply, Result) {
	isProbe := bytes.Equal(t.r.info.ClientID, probe.ClientID) // kubedhcp's own self-probe
	if !t.selectSubnet(netip.Addr{}) {
		return nil, t.silent(ReasonNoSubnet)
	}
	if !t.ours() {
		return nil, t.silent(ReasonPeersClient)
	}
	if t.sn.DenyUnknownClients && t.res == nil {
		if !isProbe {
			t.e.observer.UnknownRefused(t.sn.Name, t.r.m.ClientHWAddr)
		}
		return nil, t.silent(ReasonUnknownClient)
	}
	if !t.newClientAllowed() {
		return nil, t.limited(ReasonLinkRate, t.link())
	}
	if _, _, _, bound := t.e.alloc.Holding(t.sn.Name, t.r.client); !bound && t.overMACLimit() {
		return nil, t.silent(ReasonLeasesPerMAC)
	}
	req := alloc.Request{Subnet: t.sn, Client: t.r.client, Pools: t.sn.PoolsFor(&t.r.info, t.res != nil),
		Reserved: t.res, Requested: t.r.requested, Server: t.sid}
	for try := 0; ; try++ {
		addr, ok := t.offer(req)
		if !ok && t.e.storeDown.Load() {
			return nil, t.silent(ReasonNoSpare)
		}
		if !ok {
			if !isProbe { // the Subnet's Exhausted condition says it; an Event naming the probe would mislead
				t.e.observer.Exhausted(t.sn.Name, t.r.m.ClientHWAddr)
			}
			return nil, t.silent(ReasonNoFreeAddress)
		}
		if !t.settled(addr) {
			if try+1 >= t.e.set.ProbeTries {
				return nil, t.silent(ReasonStoreUnavailable)
			}
			continue
		}
		if t.inUse(addr) {
			if try+1 >= t.e.set.ProbeTries {
				return nil, t.silent(ReasonProbeConflicts)
			}
			continue
		}
		lt := t.leaseTimes(addr)
		d := lt.Grant(t.r.leaseReq)
		m := t.reply(dhcpv4.MessageTypeOffer)
		m.YourIPAddr = ip4(&t.out.yiaddr, addr)
		res := t.result(OutcomeOffer, "")
		res.Addr = addr
		if isProbe {
			// A replica's self-probe never takes the OFFER: holding an
			// address for it would keep a real client from it.
			t.e.alloc.DropOffer(addr, t.r.client, t.now)
		}
		return t.finish(m, addr, d, lt), res
	}
}

// inUse probes addr when the subnet asks for it and the address is not
// already the client's; an address that answers is put in probation.
func (t *txn) inUse(addr netip.Addr) bool {
	if !t.sn.Ping.Enabled || t.e.prober == nil {
		return false
	}
	if b, ok := t.e.alloc.At(addr); ok && b.State == lease.Bound && alloc.ClientOfBinding(&b) == t.r.client {
		return false
	}
	answered, err := t.e.prober.Probe(t.ctx, addr, t.sn.Ping.Timeout)
	if err != nil || !answered {
		return false
	}
	t.e.observer.Conflict(t.sn.Name, addr)
	t.probation(addr, lease.Binding{})
	return true
}

// probation commits addr as Declined until the probation period ends; the
// client fields of who are kept, if any.
func (t *txn) probation(addr netip.Addr, who lease.Binding) {
	prev, stored, err := t.e.alloc.Claim(t.sn.Name, addr, t.r.client, t.now)
	if err != nil {
		return
	}
	b := who
	b.Subnet, b.Addr, b.State = t.sn.Name, addr, lease.Declined
	b.Start, b.Renewed, b.Expires = t.now, t.now, t.now.Add(t.e.set.Probation)
	b.Version = ""
	if stored {
		b.Version = prev.Version
	}
	nb, err := t.e.store.Commit(t.ctx, b)
	if err != nil {
		// Not stored: hold it out here at least, until the probation ends.
		nb = b
		nb.Version = prev.Version
	}
	t.e.alloc.Finish(addr, &nb, time.Time{}, t.now)
}
