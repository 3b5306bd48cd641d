/*
Copyright 2026 The kubedhcp Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// SubnetSpec describes one IPv4 network the server hands addresses out on,
// the traffic that belongs to it, and the options its clients get.
// +kubebuilder:validation:XValidation:rule="!has(self.excludedAddresses) || !isCIDR(self.cidr) || self.excludedAddresses.all(e, e.split('-').all(p, !isIP(p) || ip(p).family() != 4 || cidr(self.cidr).containsIP(p)))",message="every excluded address must be inside cidr",fieldPath=".excludedAddresses"
// +kubebuilder:validation:XValidation:rule="!has(self.serverIdentifier) || !has(self.interfaces) || size(self.interfaces) == 0 || !isCIDR(self.cidr) || !isIP(self.serverIdentifier) || cidr(self.cidr).containsIP(self.serverIdentifier)",message="must be inside cidr when the subnet serves directly attached clients on interfaces",fieldPath=".serverIdentifier"
// +kubebuilder:validation:XValidation:rule="!has(self.customOptions) || !has(self.options) || !self.customOptions.exists(c, (c.code == 2 && has(self.options.timeOffset)) || (c.code == 3 && has(self.options.routers)) || (c.code == 4 && has(self.options.timeServers)) || (c.code == 6 && has(self.options.dnsServers)) || (c.code == 7 && has(self.options.logServers)) || (c.code == 15 && has(self.options.domainName)) || (c.code == 17 && has(self.options.rootPath)) || (c.code == 26 && has(self.options.interfaceMTU)) || (c.code == 28 && has(self.options.broadcastAddress)) || (c.code == 42 && has(self.options.ntpServers)) || (c.code == 44 && has(self.options.netbiosNameServers)) || (c.code == 46 && has(self.options.netbiosNodeType)) || (c.code == 66 && has(self.options.tftpServerName)) || (c.code == 67 && has(self.options.bootFileName)) || (c.code == 119 && has(self.options.domainSearch)) || (c.code == 121 && has(self.options.classlessStaticRoutes)))",message="must not set a code that a typed option in options sets: 2 timeOffset, 3 routers, 4 timeServers, 6 dnsServers, 7 logServers, 15 domainName, 17 rootPath, 26 interfaceMTU, 28 broadcastAddress, 42 ntpServers, 44 netbiosNameServers, 46 netbiosNodeType, 66 tftpServerName, 67 bootFileName, 119 domainSearch, 121 classlessStaticRoutes",fieldPath=".customOptions"
// +kubebuilder:validation:XValidation:rule="!has(self.customOptions) || !has(self.boot) || !self.customOptions.exists(c, c.code == 67)",message="code 67 (boot file) is also set by boot: choose boot files with boot.rules",fieldPath=".customOptions"
type SubnetSpec struct {
	// CIDR is the IPv4 network, such as 10.0.0.0/24. Its prefix length is
	// 8 to 30; the subnet mask sent to clients (option 1) comes from it.
	// +kubebuilder:validation:XValidation:rule="!isCIDR(self) || (cidr(self).prefixLength() >= 8 && cidr(self).prefixLength() <= 30)",message="prefix length must be from 8 to 30"
	// +required
	CIDR IPv4CIDR `json:"cidr"`

	// ServerIdentifier is the address the server names itself by to this
	// subnet's clients (option 54) and that they send renewals to: a
	// stable address such as a VIP that every replica can answer for. When
	// unset the server uses its address on the interface the request came
	// in on, which is stable only as long as the pod stays on one node.
	// +optional
	ServerIdentifier IPv4Address `json:"serverIdentifier,omitempty"`

	// Interfaces are the host interfaces on which directly attached clients
	// of this subnet arrive. A broadcast from a client without a relay is
	// served from the subnet listed for the interface it arrived on.
	// +kubebuilder:validation:MaxItems=16
	// +listType=set
	// +optional
	Interfaces []InterfaceName `json:"interfaces,omitempty"`

	// RelayAddresses are relay agent addresses (giaddr) whose clients
	// belong to this subnet, for relays whose own address lies outside
	// cidr. A giaddr inside cidr always selects this subnet.
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	// +optional
	RelayAddresses []IPv4Address `json:"relayAddresses,omitempty"`

	// AllowSubnetSelection lets a client pick this subnet with the subnet
	// selection option (118, RFC 3011) wherever the client is. Off by
	// default: any client that can reach the server could otherwise take
	// addresses of this subnet, relay-only subnets included. Relays choose
	// a subnet with link selection (option 82 sub-option 5, RFC 3527),
	// which needs no such permission.
	// +optional
	AllowSubnetSelection bool `json:"allowSubnetSelection,omitempty"`

	// LeaseTime bounds the lease times of this subnet's clients. Unset
	// values default to 1h (default), 1m (min) and 24h (max).
	// +optional
	LeaseTime *LeaseTimes `json:"leaseTime,omitempty"`

	// Authoritative makes the server answer a client asking for an address
	// it has no record of on this subnet with a DHCPNAK, so the client
	// starts over at once, as ISC dhcpd's "authoritative". When false such
	// requests get no answer.
	// +optional
	Authoritative bool `json:"authoritative,omitempty"`

	// DenyUnknownClients serves only clients that have a Reservation in
	// this subnet; others get no answer.
	// +optional
	DenyUnknownClients bool `json:"denyUnknownClients,omitempty"`

	// MaxLeasesPerMAC is how many addresses of this subnet clients sharing
	// one hardware address may hold at once: a client that sends a new
	// client identifier with every request is a new client each time, and
	// could otherwise take the whole pool behind one MAC that port security
	// lets through. A machine that PXE-boots, runs an installer and boots
	// its system holds up to three at once. Unset: 16; 0: no limit.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	// +optional
	MaxLeasesPerMAC *int32 `json:"maxLeasesPerMAC,omitempty"`

	// LoadBalanceMaxSeconds is how long, by the secs field of its
	// messages, a client may go unanswered before every replica answers
	// it. Replicas share clients by the RFC 3074 hash: each answers the
	// DISCOVERs of its own clients only, until a client's secs reaches
	// this, as ISC dhcpd's "load balance max seconds". Unset: 3; 0: every
	// replica answers every client at once.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	// +optional
	LoadBalanceMaxSeconds *int32 `json:"loadBalanceMaxSeconds,omitempty"`

	// DNS publishes records of this subnet's leases as an ExternalDNS
	// DNSEndpoint, for any ExternalDNS provider to serve. Unset: none.
	// +optional
	DNS *LeaseDNS `json:"dns,omitempty"`

	// ExcludedAddresses are never handed out by any Pool of this subnet:
	// single addresses (10.0.0.1) or inclusive ranges (10.0.0.1-10.0.0.9),
	// such as the router's.
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	// +optional
	ExcludedAddresses []AddressOrRange `json:"excludedAddresses,omitempty"`

	// Options are the DHCP options this subnet's clients get, unless a Pool
	// or Reservation overrides them.
	// +optional
	Options *DHCPOptions `json:"options,omitempty"`

	// CustomOptions are options the typed ones do not cover, one per code.
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=code
	// +optional
	CustomOptions []CustomOption `json:"customOptions,omitempty"`

	// Boot tells network-booting clients of this subnet where their boot
	// file is.
	// +optional
	Boot *Boot `json:"boot,omitempty"`

	// PingCheck probes each address with an ICMP echo before offering it.
	// +optional
	PingCheck *PingCheck `json:"pingCheck,omitempty"`
}

// LeaseDNS says which DNS records of a subnet's leases to publish.
type LeaseDNS struct {
	// Domain is the zone A records go in: a client with host name pc-57
	// is pc-57.<domain>. Only a host name that is one valid RFC 1123 label
	// (letters, digits, inner hyphens, at most 63) is published, lowercased;
	// a name with dots keeps its first label; any other is refused and
	// counted, never published.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=200
	// +kubebuilder:validation:XValidation:rule="self.matches('^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?[.])*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')",message="must be a lower-case DNS domain such as lab.example.com"
	// +required
	Domain string `json:"domain"`

	// Reverse publishes a PTR record (in-addr.arpa) for each A record.
	// +optional
	Reverse bool `json:"reverse,omitempty"`

	// TTL is the records' time to live in seconds. Unset: 300.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=86400
	// +optional
	TTL *int32 `json:"ttl,omitempty"`
}

// SubnetStatus is what the controller last observed of a Subnet.
type SubnetStatus struct {
	// ObservedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Total is the number of addresses in this subnet's Pools, less the
	// excluded ones, plus its reserved addresses.
	// +optional
	Total int64 `json:"total"`

	// Used is the number of those addresses bound to a client, reserved
	// ones included.
	// +optional
	Used int64 `json:"used"`

	// Free is the number of pool addresses the server can hand out to a
	// new client.
	// +optional
	Free int64 `json:"free"`

	// Reserved is the number of Reservations in this subnet.
	// +optional
	Reserved int64 `json:"reserved"`

	// Claimed is the number of this subnet's addresses held for Cluster
	// API IPAddressClaims.
	// +optional
	Claimed int64 `json:"claimed"`

	// Spares is the number of this subnet's pool addresses the replicas
	// hold in reserve, to bind new clients while the apiserver is out of
	// reach; each replica hands its own out last when a pool runs short.
	// +optional
	Spares int64 `json:"spares,omitempty"`

	// Replicas are the kubedhcp replicas that answer this subnet's
	// clients, as the replica writing the status sees them, each with
	// how many of the 256 client hash buckets (RFC 3074) it answers.
	// +listType=map
	// +listMapKey=name
	// +optional
	Replicas []ReplicaShare `json:"replicas,omitempty"`

	// Conditions are Ready, Exhausted and Degraded.
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// ReplicaShare is one replica's part of the clients.
type ReplicaShare struct {
	// Name is the replica's (its pod's) name.
	Name string `json:"name"`
	// Buckets is how many of the 256 client hash buckets it answers.
	Buckets int32 `json:"buckets"`
}

// Subnet is an IPv4 network the server hands addresses out on: its CIDR,
// how its clients reach the server (interfaces, relays), lease times and
// the options its clients get. Pools and Reservations name their Subnet.
//
// A Subnet's name is at most 63 characters: it labels the Subnet's Leases
// (dhcp.kubedhcp.io/subnet), and a label value is no longer.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dsub,categories=dhcp
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="metadata.name: a Subnet's name must be at most 63 characters: it labels the Subnet's Leases"
// +kubebuilder:printcolumn:name="CIDR",type=string,JSONPath=`.spec.cidr`
// +kubebuilder:printcolumn:name="Used",type=integer,JSONPath=`.status.used`
// +kubebuilder:printcolumn:name="Free",type=integer,JSONPath=`.status.free`
// +kubebuilder:printcolumn:name="Claimed",type=integer,JSONPath=`.status.claimed`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Subnet struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the subnet.
	// +required
	Spec SubnetSpec `json:"spec"`

	// status is what the controller last observed.
	// +optional
	Status SubnetStatus `json:"status,omitempty"`
}

// SubnetList is a list of Subnets.
//
// +kubebuilder:object:root=true
type SubnetList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the Subnets.
	Items []Subnet `json:"items"`
}
