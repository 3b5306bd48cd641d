package config

import (
	"net"
	"net/netip"
	"time"

	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// Default lease times, used where neither a Pool nor its Subnet sets one.
const (
	DefaultLeaseTime = time.Hour
	DefaultMinLease  = time.Minute
	DefaultMaxLease  = 24 * time.Hour
	DefaultPingWait  = 500 * time.Millisecond
)

// LeaseTimes bound lease times; a zero field is unset.
type LeaseTimes struct {
	Default, Min, Max time.Duration
	// Renew and Rebind are T1 and T2; zero means half and seven eighths of
	// the lease granted.
	Renew, Rebind time.Duration
}

// Over returns l with each unset field taken from base.
func (l LeaseTimes) Over(base LeaseTimes) LeaseTimes {
	pick := func(a, b time.Duration) time.Duration {
		if a != 0 {
			return a
		}
		return b
	}
	return LeaseTimes{pick(l.Default, base.Default), pick(l.Min, base.Min), pick(l.Max, base.Max),
		pick(l.Renew, base.Renew), pick(l.Rebind, base.Rebind)}
}

// Grant returns the lease time for a client that asked for requested
// (zero: no request): requested within [Min, Max], else Default.
func (l LeaseTimes) Grant(requested time.Duration) time.Duration {
	d := l.Default
	if requested > 0 {
		d = requested
	}
	if d < l.Min {
		d = l.Min
	}
	if l.Max > 0 && d > l.Max {
		d = l.Max
	}
	return d
}

// Timers returns T1 and T2 for a lease of d: the configured ones when they
// fall inside it in order, otherwise d/2 and 7d/8 (RFC 2131 §4.4.5).
func (l LeaseTimes) Timers(d time.Duration) (t1, t2 time.Duration) {
	t1, t2 = d/2, d*7/8
	if l.Renew > 0 && l.Renew < d {
		t1 = l.Renew
	}
	if l.Rebind > 0 && l.Rebind < d && l.Rebind > t1 {
		t2 = l.Rebind
	}
	if t2 <= t1 {
		t1, t2 = d/2, d*7/8
	}
	return t1, t2
}

// KnownClients says whether a Pool serves clients that have a Reservation.
type KnownClients int

// KnownClients values.
const (
	KnownAny KnownClients = iota
	KnownOnly
	KnownDeny
)

// Classes select the clients a Pool serves; every criterion set must fit.
type Classes struct {
	VendorClass       string
	VendorClassPrefix string
	UserClass         string
	ClientArch        []uint16
	CircuitID         []byte
	RemoteID          []byte
	Known             KnownClients
}

// BootRule gives File to the clients it fits; empty criteria fit all.
type BootRule struct {
	ClientArch        []uint16
	UserClass         string
	VendorClassPrefix string
	File              string
}

// Boot is where network-booting clients find their boot file.
type Boot struct {
	NextServer netip.Addr
	ServerName string
	Rules      []BootRule
}

// PingCheck probes an address with an ICMP echo before it is offered.
type PingCheck struct {
	Enabled bool
	Timeout time.Duration
}

// Pool is a set of addresses of a Subnet handed out dynamically.
type Pool struct {
	Name       string
	Ranges     []Range
	Excluded   []Range
	LeaseTimes LeaseTimes
	Options    options.Options
	Classes    *Classes

	subnet *Subnet
	avail  rangeSet
	opts   options.Set
	lease  LeaseTimes
}

// Reservation binds one client to a fixed address. Exactly one of MAC,
// ClientID and CircuitID is set.
type Reservation struct {
	Name      string
	MAC       net.HardwareAddr
	ClientID  []byte
	CircuitID []byte
	Addr      netip.Addr
	Hostname  string
	Options   options.Options
	Boot      *Boot

	subnet *Subnet
	pool   *Pool
	opts   options.Set
}

// Subnet is one IPv4 network served, with its Pools and Reservations.
type Subnet struct {
	Name               string
	Prefix             netip.Prefix
	ServerID           netip.Addr
	Interfaces         []string
	Relays             []netip.Addr
	LeaseTimes         LeaseTimes
	Authoritative      bool
	DenyUnknownClients bool
	Excluded           []Range
	Options            options.Options
	Boot               *Boot
	Ping               PingCheck
	Pools              []*Pool
	Reservations       []*Reservation

	opts       options.Set
	lease      LeaseTimes
	sidBytes   []byte
	excluded   rangeSet
	byMAC      map[string]*Reservation // keyed by the raw hardware address
	byClientID map[string]*Reservation
	byCircuit  map[string]*Reservation
	byAddr     map[netip.Addr]*Reservation
}

// ClientInfo is what a client's request says about it, for class and boot
// rule matching.
type ClientInfo struct {
	HWAddr      net.HardwareAddr
	ClientID    []byte
	VendorClass string
	UserClasses []string
	Arch        []uint16
	CircuitID   []byte
	RemoteID    []byte
}
