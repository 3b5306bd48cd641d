package engine

import (
	"net"
	"net/netip"
)

// Observer hears of the events an operator should see. Calls are made on
// the packet path: implementations must return quickly.
type Observer interface {
	// Declined: a client declined addr (DHCPDECLINE).
	Declined(subnet string, addr netip.Addr, hw net.HardwareAddr)
	// Conflict: a ping probe found addr in use before it was offered.
	Conflict(subnet string, addr netip.Addr)
	// Exhausted: no address was free for a client of the subnet.
	Exhausted(subnet string, hw net.HardwareAddr)
	// UnknownRefused: a subnet that serves reservations only refused a
	// client without one.
	UnknownRefused(subnet string, hw net.HardwareAddr)
	// RateLimited: a rate limit (ReasonClientRate, ReasonLinkRate) bit
	// for who, a client or a link; subnet is empty when the message was
	// limited before its subnet was known.
	RateLimited(subnet, reason, who string)
	// LeaseLimit: clients sharing hardware address hw hold n addresses of
	// the subnet, its MaxLeasesPerMAC; another was refused.
	LeaseLimit(subnet string, hw net.HardwareAddr, n int)
	// RecordUnreadable: the allocator could not read back the stored
	// binding it kept of addr (it keeps the address's state and expiry).
	RecordUnreadable(addr netip.Addr, err error)
}

// NopObserver ignores every event.
type NopObserver struct{}

// Declined implements Observer.
func (NopObserver) Declined(string, netip.Addr, net.HardwareAddr) {}

// Conflict implements Observer.
func (NopObserver) Conflict(string, netip.Addr) {}

// Exhausted implements Observer.
func (NopObserver) Exhausted(string, net.HardwareAddr) {}

// UnknownRefused implements Observer.
func (NopObserver) UnknownRefused(string, net.HardwareAddr) {}

// RateLimited implements Observer.
func (NopObserver) RateLimited(string, string, string) {}

// LeaseLimit implements Observer.
func (NopObserver) LeaseLimit(string, net.HardwareAddr, int) {}

// RecordUnreadable implements Observer.
func (NopObserver) RecordUnreadable(netip.Addr, error) {}
