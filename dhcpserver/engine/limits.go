package engine

import "github.com/kubedhcp/kubedhcp/dhcpserver/options"

// limited answers with silence for a limit that bit, and tells the
// observer which one and for whom.
func (t *txn) limited(reason Reason, who string) Result {
	if t.sn == nil {
		t.selectSubnet(t.r.ciaddr) // for the observer only
	}
	subnet := ""
	if t.sn != nil {
		subnet = t.sn.Name
	}
	t.e.observer.RateLimited(subnet, string(reason), who)
	return t.silent(reason)
}

// newClientAllowed takes a token from the bucket of the link a client
// without a binding came by: its relay, else its interface.
func (t *txn) newClientAllowed() bool {
	return t.e.links.Off() || t.e.links.Allow(t.link(), t.now)
}

// link names the relay or interface the message came by.
func (t *txn) link() string {
	if t.r.giaddr.IsValid() {
		return "relay " + t.r.giaddr.String()
	}
	return "interface " + t.in.Interface
}

// clientName shows a client for logs and events: its hardware address,
// and its client identifier when it sent one.
func clientName(r *request) string {
	name := r.m.ClientHWAddr.String()
	if len(r.info.ClientID) > 0 {
		name += " (client-id " + options.FormatHex(r.info.ClientID) + ")"
	}
	return name
}

// overMACLimit reports whether clients sharing this client's hardware
// address hold as many addresses of the subnet as it allows; the
// observer hears of it.
func (t *txn) overMACLimit() bool {
	max := t.sn.MaxLeasesPerMAC
	if max <= 0 || len(t.r.m.ClientHWAddr) == 0 {
		return false
	}
	n := t.e.alloc.LeasesOfHW(t.sn.Name, t.r.m.ClientHWAddr, t.r.client, t.now)
	if n < max {
		return false
	}
	t.e.observer.LeaseLimit(t.sn.Name, t.r.m.ClientHWAddr, n)
	return true
}
