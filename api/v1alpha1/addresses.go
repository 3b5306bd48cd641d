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

// IPv4Address is an IPv4 address in dotted-decimal form, such as 10.0.0.1.
// +kubebuilder:validation:MaxLength=15
// +kubebuilder:validation:XValidation:rule="isIP(self) && ip(self).family() == 4",message="must be an IPv4 address such as 10.0.0.1"
type IPv4Address string

// IPv4CIDR is an IPv4 network in CIDR notation with its host bits zero, such
// as 10.0.0.0/24.
// +kubebuilder:validation:MaxLength=18
// +kubebuilder:validation:XValidation:rule="isCIDR(self) && cidr(self).ip().family() == 4",message="must be an IPv4 CIDR such as 10.0.0.0/24"
// +kubebuilder:validation:XValidation:rule="!isCIDR(self) || cidr(self) == cidr(self).masked()",message="must be a network address with its host bits zero, such as 10.0.0.0/24"
type IPv4CIDR string

// AddressOrRange is one IPv4 address (10.0.0.1) or an inclusive range of
// them written start-end (10.0.0.1-10.0.0.9).
// +kubebuilder:validation:MaxLength=31
// +kubebuilder:validation:XValidation:rule="self.split('-').size() <= 2 && self.split('-').all(p, isIP(p) && ip(p).family() == 4)",message="must be an IPv4 address or an inclusive range of them, such as 10.0.0.1 or 10.0.0.1-10.0.0.9"
// +kubebuilder:validation:XValidation:rule="self.split('-').size() != 2 || !self.split('-').all(p, isIP(p) && ip(p).family() == 4) || (int(self.split('-')[0].split('.')[0]) * 16777216 + int(self.split('-')[0].split('.')[1]) * 65536 + int(self.split('-')[0].split('.')[2]) * 256 + int(self.split('-')[0].split('.')[3])) <= (int(self.split('-')[1].split('.')[0]) * 16777216 + int(self.split('-')[1].split('.')[1]) * 65536 + int(self.split('-')[1].split('.')[2]) * 256 + int(self.split('-')[1].split('.')[3]))",message="the end of a range must not be before its start"
type AddressOrRange string

// MACAddress is an Ethernet hardware address, six octets in hex separated
// by colons, such as 00:16:41:e0:f9:1c. Case does not matter.
// +kubebuilder:validation:MaxLength=17
// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$')",message="must be a MAC address such as 00:16:41:e0:f9:1c"
type MACAddress string

// HexOctets is a sequence of octets written in hex and separated by colons,
// such as 01:00:16:41:e0:f9:1c.
// +kubebuilder:validation:MaxLength=767
// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*$')",message="must be octets in hex separated by colons, such as 01:00:16:41:e0:f9:1c"
type HexOctets string

// DomainName is a DNS name made of RFC 1035 labels, such as corp.example.
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:XValidation:rule="self.matches('^([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?[.])*[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?[.]?$')",message="must be a domain name of labels of letters, digits and hyphens separated by dots, such as corp.example"
type DomainName string

// Hostname is a host name, a single label or a fully qualified name, such as
// pxe-node-01.
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:XValidation:rule="self.matches('^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?[.])*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$')",message="must be a host name of letters, digits and hyphens, such as pxe-node-01"
type Hostname string

// InterfaceName is the name of a network interface on the host, such as
// eth0 or bond0.100.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=15
// +kubebuilder:validation:XValidation:rule="self.matches('^[^/:[:space:]]+$')",message="must be a network interface name without '/', ':' or spaces, such as eth0"
type InterfaceName string

// ObjectName is the name of another object in the same namespace.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be the name of an object: lower-case letters, digits, '-' and '.'"
type ObjectName string
