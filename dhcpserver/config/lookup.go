package config

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// Opts returns the subnet's encoded options, the subnet mask included.
func (sn *Subnet) Opts() options.Set { return sn.opts }

// ServerIDBytes returns sid as option 54 encodes it, without allocating
// when sid is the subnet's configured server identifier.
func (sn *Subnet) ServerIDBytes(sid netip.Addr) []byte {
	if sid == sn.ServerID && len(sn.sidBytes) == 4 {
		return sn.sidBytes
	}
	b := sid.As4()
	return b[:]
}

// AllowsSelection reports whether clients may pick the subnet with option
// 118 (RFC 3011); false for a nil subnet.
func (sn *Subnet) AllowsSelection() bool { return sn != nil && sn.AllowSubnetSelection }

// Lease returns the subnet's lease times with defaults filled in.
func (sn *Subnet) Lease() LeaseTimes { return sn.lease }

// Excludes reports whether a is never handed out dynamically: the network
// or broadcast address, an excluded address or a reserved one.
func (sn *Subnet) Excludes(a netip.Addr) bool { return !a.Is4() || sn.excluded.contains(U32(a)) }

// ReservationFor returns the reservation of the client with these
// identities, trying client ID, then MAC, then relay circuit ID; or nil.
func (sn *Subnet) ReservationFor(clientID, mac, circuitID []byte) *Reservation {
	if len(clientID) > 0 {
		if r, ok := sn.byClientID[string(clientID)]; ok {
			return r
		}
	}
	if len(mac) > 0 {
		if r, ok := sn.byMAC[string(mac)]; ok {
			return r
		}
	}
	if len(circuitID) > 0 {
		if r, ok := sn.byCircuit[string(circuitID)]; ok {
			return r
		}
	}
	return nil
}

// ReservationForClaim returns the reservation of the address claim named
// name, if any.
func (sn *Subnet) ReservationForClaim(name string) *Reservation { return sn.byClaim[name] }

// ReservationAt returns the reservation of address a, or nil.
func (sn *Subnet) ReservationAt(a netip.Addr) *Reservation { return sn.byAddr[a] }

// PoolFor returns the pool that can hand out a, or nil.
func (sn *Subnet) PoolFor(a netip.Addr) *Pool {
	if !a.Is4() {
		return nil
	}
	u := U32(a)
	for _, p := range sn.Pools {
		if p.avail.contains(u) {
			return p
		}
	}
	return nil
}

// Serves reports whether the pool serves a client: it has no classes, or
// they fit the client. known says whether the client has a reservation.
func (p *Pool) Serves(c *ClientInfo, known bool) bool {
	return p.Classes == nil || p.Classes.fits(c, known)
}

// PoolsFor returns the pools that serve a client, in the order to try
// them: pools whose classes fit the client first, then pools without
// classes. known says whether the client has a reservation.
func (sn *Subnet) PoolsFor(c *ClientInfo, known bool) []*Pool {
	var classed, general []*Pool
	for _, p := range sn.Pools {
		switch {
		case !p.Serves(c, known):
		case p.Classes == nil:
			general = append(general, p)
		default:
			if p.Classes.hasCriteria() {
				classed = append(classed, p)
			} else {
				general = append(general, p)
			}
		}
	}
	return append(classed, general...)
}

// BootFor returns the boot settings for a client: the reservation's when it
// has them, else the subnet's; and the boot file of the first rule that
// fits the client ("" when none does).
func (sn *Subnet) BootFor(r *Reservation, c *ClientInfo) (b *Boot, file string) {
	b = sn.Boot
	if r != nil && r.Boot != nil {
		b = r.Boot
	}
	if b == nil {
		return nil, ""
	}
	for _, rule := range b.Rules {
		if rule.fits(c) {
			return b, rule.File
		}
	}
	return b, ""
}

// Subnet returns the pool's subnet.
func (p *Pool) Subnet() *Subnet { return p.subnet }

// Opts returns the pool's options merged over its subnet's.
func (p *Pool) Opts() options.Set { return p.opts }

// Lease returns the pool's lease times merged over its subnet's.
func (p *Pool) Lease() LeaseTimes { return p.lease }

// Contains reports whether the pool can hand out a.
func (p *Pool) Contains(a netip.Addr) bool { return a.Is4() && p.avail.contains(U32(a)) }

// Size returns how many addresses the pool can hand out.
func (p *Pool) Size() int64 { return p.avail.size() }

// NextFrom returns the first address the pool can hand out at or after a,
// and false when there is none.
func (p *Pool) NextFrom(a netip.Addr) (netip.Addr, bool) {
	if !a.Is4() {
		return netip.Addr{}, false
	}
	u := U32(a)
	for _, sp := range p.avail {
		if sp.hi < u {
			continue
		}
		if sp.lo > u {
			u = sp.lo
		}
		return Addr(u), true
	}
	return netip.Addr{}, false
}

// First returns the first address the pool can hand out.
func (p *Pool) First() (netip.Addr, bool) {
	if len(p.avail) == 0 {
		return netip.Addr{}, false
	}
	return Addr(p.avail[0].lo), true
}

// Subnet returns the reservation's subnet.
func (r *Reservation) Subnet() *Subnet { return r.subnet }

// Pool returns the pool whose ranges hold the reserved address, or nil.
func (r *Reservation) Pool() *Pool { return r.pool }

// Opts returns the reservation's options merged over its pool's (when its
// address lies in one) and its subnet's.
func (r *Reservation) Opts() options.Set { return r.opts }

// Lease returns the lease times of the reserved address.
func (r *Reservation) Lease() LeaseTimes {
	if r.pool != nil {
		return r.pool.lease
	}
	return r.subnet.lease
}

func (c *Classes) hasCriteria() bool {
	return c.VendorClass != "" || c.VendorClassPrefix != "" || c.UserClass != "" || len(c.ClientArch) > 0 ||
		len(c.CircuitID) > 0 || len(c.RemoteID) > 0
}

// fits reports whether every criterion set fits the client.
func (c *Classes) fits(ci *ClientInfo, known bool) bool { return c.Misfit(ci, known) == "" }

// Misfit says which criterion the client does not fit, such as "needs
// user class iPXE"; empty when it fits them all.
func (c *Classes) Misfit(ci *ClientInfo, known bool) string {
	switch {
	case c == nil:
		return ""
	case c.Known == KnownOnly && !known:
		return "serves only clients with a Reservation"
	case c.Known == KnownDeny && known:
		return "serves only clients without a Reservation"
	case c.VendorClass != "" && ci.VendorClass != c.VendorClass:
		return fmt.Sprintf("needs vendor class %q", c.VendorClass)
	case c.VendorClassPrefix != "" && !strings.HasPrefix(ci.VendorClass, c.VendorClassPrefix):
		return fmt.Sprintf("needs a vendor class starting %q", c.VendorClassPrefix)
	case c.UserClass != "" && !slices.Contains(ci.UserClasses, c.UserClass):
		return fmt.Sprintf("needs user class %q", c.UserClass)
	case len(c.ClientArch) > 0 && !anyArch(c.ClientArch, ci.Arch):
		return fmt.Sprintf("needs client architecture %v", c.ClientArch)
	case len(c.CircuitID) > 0 && !bytes.Equal(c.CircuitID, ci.CircuitID):
		return fmt.Sprintf("needs relay circuit ID %q", c.CircuitID)
	case len(c.RemoteID) > 0 && !bytes.Equal(c.RemoteID, ci.RemoteID):
		return fmt.Sprintf("needs relay remote ID %q", c.RemoteID)
	}
	return ""
}

func (r *BootRule) fits(ci *ClientInfo) bool {
	switch {
	case r.UserClass != "" && !slices.Contains(ci.UserClasses, r.UserClass),
		r.VendorClassPrefix != "" && !strings.HasPrefix(ci.VendorClass, r.VendorClassPrefix),
		len(r.ClientArch) > 0 && !anyArch(r.ClientArch, ci.Arch):
		return false
	}
	return true
}

func anyArch(want, have []uint16) bool {
	for _, a := range have {
		if slices.Contains(want, a) {
			return true
		}
	}
	return false
}
