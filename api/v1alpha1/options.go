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

// NetBIOSNodeType is the NetBIOS over TCP/IP node type (option 46): B
// (broadcast), P (peer-to-peer), M (mixed) or H (hybrid).
// +kubebuilder:validation:Enum=B;P;M;H
type NetBIOSNodeType string

// NetBIOS node types.
const (
	NetBIOSNodeB NetBIOSNodeType = "B"
	NetBIOSNodeP NetBIOSNodeType = "P"
	NetBIOSNodeM NetBIOSNodeType = "M"
	NetBIOSNodeH NetBIOSNodeType = "H"
)

// DHCPOptions are the typed DHCP options a Subnet, Pool or Reservation
// hands to its clients. A Reservation's options override its Pool's, which
// override its Subnet's, option by option. The server sends only options
// that are set here, in the order the client asked for them.
type DHCPOptions struct {
	// Routers are the default gateways, in order of preference (option 3).
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	Routers []IPv4Address `json:"routers,omitempty"`

	// DNSServers are the domain name servers, in order of preference
	// (option 6).
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	DNSServers []IPv4Address `json:"dnsServers,omitempty"`

	// DomainName is the client's DNS domain, such as corp.example (option 15).
	// +optional
	DomainName DomainName `json:"domainName,omitempty"`

	// DomainSearch is the DNS search list, encoded per RFC 3397 with RFC 1035
	// name compression (option 119).
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	DomainSearch []DomainName `json:"domainSearch,omitempty"`

	// NTPServers are the NTP servers, in order of preference (option 42).
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	NTPServers []IPv4Address `json:"ntpServers,omitempty"`

	// TimeOffset is the client subnet's offset from UTC in seconds (option 2).
	// +kubebuilder:validation:Minimum=-86400
	// +kubebuilder:validation:Maximum=86400
	// +optional
	TimeOffset *int32 `json:"timeOffset,omitempty"`

	// InterfaceMTU is the MTU the client sets on its interface (option 26).
	// +kubebuilder:validation:Minimum=68
	// +kubebuilder:validation:Maximum=65535
	// +optional
	InterfaceMTU *int32 `json:"interfaceMTU,omitempty"`

	// BroadcastAddress is the broadcast address of the client's subnet
	// (option 28).
	// +optional
	BroadcastAddress IPv4Address `json:"broadcastAddress,omitempty"`

	// ClasslessStaticRoutes are routes the client installs, encoded per
	// RFC 3442 (option 121). A client that accepts them ignores routers, so
	// include a default route (0.0.0.0/0) when one is wanted.
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	// +optional
	ClasslessStaticRoutes []ClasslessRoute `json:"classlessStaticRoutes,omitempty"`

	// TFTPServerName is the TFTP server a PXE client loads its boot file
	// from, as a name or an address (option 66).
	// +kubebuilder:validation:MaxLength=255
	// +optional
	TFTPServerName string `json:"tftpServerName,omitempty"`

	// BootFileName is the boot file a network-booting client loads
	// (option 67). Boot rules, where set, choose per client architecture.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	BootFileName string `json:"bootFileName,omitempty"`

	// NetBIOSNameServers are the WINS servers (option 44).
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	NetBIOSNameServers []IPv4Address `json:"netbiosNameServers,omitempty"`

	// NetBIOSNodeType is the NetBIOS node type: B, P, M or H (option 46).
	// +optional
	NetBIOSNodeType NetBIOSNodeType `json:"netbiosNodeType,omitempty"`

	// TimeServers are RFC 868 time servers (option 4).
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	TimeServers []IPv4Address `json:"timeServers,omitempty"`

	// LogServers are MIT-LCS UDP log servers (option 7).
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	LogServers []IPv4Address `json:"logServers,omitempty"`

	// RootPath is the path of the client's root disk (option 17).
	// +kubebuilder:validation:MaxLength=255
	// +optional
	RootPath string `json:"rootPath,omitempty"`
}

// ClasslessRoute is one route of option 121.
type ClasslessRoute struct {
	// Destination is the destination network, such as 10.1.0.0/16, or
	// 0.0.0.0/0 for the default route.
	// +required
	Destination IPv4CIDR `json:"destination"`

	// Gateway is the router for the destination, or 0.0.0.0 for a network
	// reached directly on the link.
	// +required
	Gateway IPv4Address `json:"gateway"`
}

// CustomOptionType says how a custom option's value is written and
// encoded, after the classic ISC dhcpd option types.
// +kubebuilder:validation:Enum=ip;ipList;uint8;uint16;uint32;int8;int16;int32;bool;text;hex;domainList;routes
type CustomOptionType string

// Custom option types.
const (
	// CustomIP is one IPv4 address: 10.0.0.5.
	CustomIP CustomOptionType = "ip"
	// CustomIPList is IPv4 addresses separated by commas: 10.0.0.5, 10.0.0.6.
	CustomIPList CustomOptionType = "ipList"
	// CustomUint8 is an unsigned 8-bit integer.
	CustomUint8 CustomOptionType = "uint8"
	// CustomUint16 is an unsigned 16-bit integer, network byte order.
	CustomUint16 CustomOptionType = "uint16"
	// CustomUint32 is an unsigned 32-bit integer, network byte order.
	CustomUint32 CustomOptionType = "uint32"
	// CustomInt8 is a signed 8-bit integer.
	CustomInt8 CustomOptionType = "int8"
	// CustomInt16 is a signed 16-bit integer, network byte order.
	CustomInt16 CustomOptionType = "int16"
	// CustomInt32 is a signed 32-bit integer, network byte order.
	CustomInt32 CustomOptionType = "int32"
	// CustomBool is true or false, encoded as one octet 1 or 0.
	CustomBool CustomOptionType = "bool"
	// CustomText is text, sent as its octets without a terminator.
	CustomText CustomOptionType = "text"
	// CustomHex is octets in hex separated by colons: 01:0a:ff.
	CustomHex CustomOptionType = "hex"
	// CustomDomainList is domain names separated by commas, encoded as
	// RFC 1035 names.
	CustomDomainList CustomOptionType = "domainList"
	// CustomRoutes is routes written "destination/prefix gateway" separated
	// by commas, encoded as in RFC 3442.
	CustomRoutes CustomOptionType = "routes"
)

// CustomOption is a DHCP option the typed options do not cover, given by
// its code, its type and its value written as text. A custom option with
// the code of a typed option replaces it.
// +kubebuilder:validation:XValidation:rule="self.type != 'ip' || (isIP(self.value) && ip(self.value).family() == 4)",message="must be an IPv4 address for type ip",fieldPath=".value"
// +kubebuilder:validation:XValidation:rule="self.type != 'ipList' || (self.value.split(',').all(a, isIP(a.trim()) && ip(a.trim()).family() == 4))",message="must be IPv4 addresses separated by commas for type ipList",fieldPath=".value"
// +kubebuilder:validation:XValidation:rule="self.type != 'uint8' || (self.value.matches('^[0-9]{1,3}$') && int(self.value) <= 255)",message="must be an integer from 0 to 255 for type uint8",fieldPath=".value"
// +kubebuilder:validation:XValidation:rule="self.type != 'uint16' || (self.value.matches('^[0-9]{1,5}$') && int(self.value) <= 65535)",message="must be an integer from 0 to 65535 for type uint16",fieldPath=".value"
// +kubebuilder:validation:XValidation:rule="self.type != 'uint32' || (self.value.matches('^[0-9]{1,10}$') && int(self.value) <= 4294967295)",message="must be an integer from 0 to 4294967295 for type uint32",fieldPath=".value"
// +kubebuilder:validation:XValidation:rule="self.type != 'int8' || (self.value.matches('^-?[0-9]{1,3}$') && int(self.value) >= -128 && int(self.value) <= 127)",message="must be an integer from -128 to 127 for type int8",fieldPath=".value"
// +kubebuilder:validation:XValidation:rule="self.type != 'int16' || (self.value.matches('^-?[0-9]{1,5}$') && int(self.value) >= -32768 && int(self.value) <= 32767)",message="must be an integer from -32768 to 32767 for type int16",fieldPath=".value"
// +kubebuilder:validation:XValidation:rule="self.type != 'int32' || (self.value.matches('^-?[0-9]{1,10}$') && int(self.value) >= -2147483648 && int(self.value) <= 2147483647)",message="must be an integer from -2147483648 to 2147483647 for type int32",fieldPath=".value"
// +kubebuilder:validation:XValidation:rule="self.type != 'bool' || (self.value in ['true', 'false'])",message="must be true or false for type bool",fieldPath=".value"
// +kubebuilder:validation:XValidation:rule="self.type != 'hex' || (self.value.matches('^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*$'))",message="must be octets in hex separated by colons, such as 01:0a:ff, for type hex",fieldPath=".value"
// +kubebuilder:validation:XValidation:rule="self.type != 'domainList' || (self.value.split(',').all(d, d.trim().matches('^([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?[.])*[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?[.]?$')))",message="must be domain names separated by commas for type domainList",fieldPath=".value"
// +kubebuilder:validation:XValidation:rule="self.type != 'routes' || (self.value.split(',').all(r, r.trim().split(' ').size() == 2 && isCIDR(r.trim().split(' ')[0]) && cidr(r.trim().split(' ')[0]).ip().family() == 4 && isIP(r.trim().split(' ')[1]) && ip(r.trim().split(' ')[1]).family() == 4))",message="must be routes 'destination/prefix gateway' separated by commas, such as '10.1.0.0/16 10.0.0.1', for type routes",fieldPath=".value"
type CustomOption struct {
	// Code is the option code, 1-254. Codes the server sets or derives
	// itself are refused: 1 (the subnet mask, from cidr), 12 (the host
	// name, from a Reservation), 50-61 (the protocol's own: lease times,
	// message type, server identifier, parameter list, message, maximum
	// size, the vendor class echoed to PXE clients, the client
	// identifier echoed per RFC 6842) and 82 (relay agent information,
	// echoed to the relay).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=254
	// +kubebuilder:validation:XValidation:rule="!(self in [1, 12, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 82])",message="is set by the server and cannot be configured (1, 12, 50-61, 82)"
	// +required
	Code int32 `json:"code"`

	// Type says how Value is written and encoded.
	// +required
	Type CustomOptionType `json:"type"`

	// Value is the option's value written as its type says, such as
	// 10.0.0.5 for ip or 01:0a:ff for hex.
	// +kubebuilder:validation:MaxLength=255
	// +required
	Value string `json:"value"`
}
