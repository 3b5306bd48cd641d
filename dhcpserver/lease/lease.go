// Package lease defines a binding of an address to a client, the Store
// contract the engine persists bindings through, and an in-memory Store for
// tests and benchmarks.
package lease

import (
	"net"
	"net/netip"
	"time"
)

// State is the state of a binding.
type State uint8

// Binding states.
const (
	// Bound: the client holds the address until Expires.
	Bound State = iota + 1
	// Released: the client gave the address back (DHCPRELEASE).
	Released
	// Declined: a client found the address in use (DHCPDECLINE), or a ping
	// probe was answered; the address is out of service until Expires.
	Declined
	// Expired: the client did not renew in time.
	Expired
	// Spare: a replica claimed the address in advance, for a new client
	// while the apiserver is out of reach; it is that replica's (Replica)
	// alone until Expires.
	Spare
	// Claimed: the address is held for an address claim (an IPAM consumer
	// that does not speak DHCP, named by Claim) for as long as the claim
	// exists; it never expires.
	Claimed
)

var stateNames = [...]string{"", "Bound", "Released", "Declined", "Expired", "Spare", "Claimed"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(?)"
}

// ParseState returns the State of a name from String, and false for an
// unknown name.
func ParseState(name string) (State, bool) {
	for i, n := range stateNames {
		if n == name && i > 0 {
			return State(i), true
		}
	}
	return 0, false
}

// Binding is one address bound to one client, as committed to a Store.
type Binding struct {
	Subnet      string
	Addr        netip.Addr
	HWAddr      net.HardwareAddr
	ClientID    []byte
	Hostname    string
	State       State
	Start       time.Time
	Renewed     time.Time
	Expires     time.Time
	Pool        string
	Reservation string
	Relay       netip.Addr
	CircuitID   []byte
	RemoteID    []byte
	VendorClass string
	UserClass   string
	ClientArch  uint16
	HasArch     bool
	// LeaseTime is the lease time the client was granted when the binding
	// was written, in whole seconds; Expires runs past it by the headroom
	// that lets renewals skip writes.
	LeaseTime time.Duration
	// Replica is the run of the replica that holds a Spare address.
	Replica string
	// Claim names the address claim a Claimed address is held for.
	Claim string
	// Version is the Store's version of the binding: empty for one never
	// stored. The Store sets it; the caller passes it back unchanged.
	Version string
}

// Active reports whether b holds its address at now: bound and not yet
// expired, declined and still in probation, a replica's spare, or
// claimed.
func (b *Binding) Active(now time.Time) bool {
	return b.State == Claimed || (b.State == Bound || b.State == Declined || b.State == Spare) && now.Before(b.Expires)
}
