package config

import (
	"net"
	"net/netip"
	"time"

	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

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
// ClientID, CircuitID and Claim is set; one with Claim serves the address
// claim of that name, never a DHCP client.
type Reservation struct {
	Name      string
	MAC       net.HardwareAddr
	ClientID  []byte
	CircuitID []byte
	Claim     string
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
	// AllowSubnetSelection lets clients pick the subnet with option 118
	// (RFC 3011).
	AllowSubnetSelection bool
	// MaxLeasesPerMAC bounds the addresses clients sharing one hardware
	// address hold at once; 0: no bound.
	MaxLeasesPerMAC int
	// LoadBalanceMaxSecs is the secs at which every replica answers a
	// client, not only the one whose share it is in; 0: at once; -1: the
	// server's default (engine.Settings.MaxSeconds).
	LoadBalanceMaxSecs int32
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
	byClaim    map[string]*Reservation
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
