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

// AddressRange is a run of addresses a Pool hands out: either start and
// end (inclusive), or a cidr whose every address counts (the Subnet's
// network and broadcast addresses never do).
// +kubebuilder:validation:XValidation:rule="has(self.cidr) != (has(self.start) || has(self.end))",message="set either cidr, or start and end"
// +kubebuilder:validation:XValidation:rule="has(self.cidr) || (has(self.start) && has(self.end))",message="start and end must be set together"
// +kubebuilder:validation:XValidation:rule="!has(self.start) || !has(self.end) || !(isIP(self.start) && ip(self.start).family() == 4) || !(isIP(self.end) && ip(self.end).family() == 4) || (int(self.start.split('.')[0]) * 16777216 + int(self.start.split('.')[1]) * 65536 + int(self.start.split('.')[2]) * 256 + int(self.start.split('.')[3])) <= (int(self.end.split('.')[0]) * 16777216 + int(self.end.split('.')[1]) * 65536 + int(self.end.split('.')[2]) * 256 + int(self.end.split('.')[3]))",message="must not be before start",fieldPath=".end"
type AddressRange struct {
	// Start is the first address of the range.
	// +optional
	Start IPv4Address `json:"start,omitempty"`

	// End is the last address of the range.
	// +optional
	End IPv4Address `json:"end,omitempty"`

	// CIDR is a block of addresses, such as 10.0.0.128/25, instead of
	// start and end.
	// +optional
	CIDR IPv4CIDR `json:"cidr,omitempty"`
}

// PoolSpec describes addresses of a Subnet handed out dynamically, and
// which clients get them.
// +kubebuilder:validation:XValidation:rule="!has(self.customOptions) || !has(self.options) || !self.customOptions.exists(c, (c.code == 2 && has(self.options.timeOffset)) || (c.code == 3 && has(self.options.routers)) || (c.code == 4 && has(self.options.timeServers)) || (c.code == 6 && has(self.options.dnsServers)) || (c.code == 7 && has(self.options.logServers)) || (c.code == 15 && has(self.options.domainName)) || (c.code == 17 && has(self.options.rootPath)) || (c.code == 26 && has(self.options.interfaceMTU)) || (c.code == 28 && has(self.options.broadcastAddress)) || (c.code == 42 && has(self.options.ntpServers)) || (c.code == 44 && has(self.options.netbiosNameServers)) || (c.code == 46 && has(self.options.netbiosNodeType)) || (c.code == 66 && has(self.options.tftpServerName)) || (c.code == 67 && has(self.options.bootFileName)) || (c.code == 119 && has(self.options.domainSearch)) || (c.code == 121 && has(self.options.classlessStaticRoutes)))",message="must not set a code that a typed option in options sets: 2 timeOffset, 3 routers, 4 timeServers, 6 dnsServers, 7 logServers, 15 domainName, 17 rootPath, 26 interfaceMTU, 28 broadcastAddress, 42 ntpServers, 44 netbiosNameServers, 46 netbiosNodeType, 66 tftpServerName, 67 bootFileName, 119 domainSearch, 121 classlessStaticRoutes",fieldPath=".customOptions"
type PoolSpec struct {
	// Subnet is the name of the Subnet, in this namespace, the Pool belongs
	// to. Every range must lie inside its cidr.
	// +required
	Subnet ObjectName `json:"subnet"`

	// Ranges are the addresses handed out.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	// +required
	Ranges []AddressRange `json:"ranges"`

	// ExcludedAddresses are addresses inside the ranges never handed out:
	// single addresses or inclusive ranges a-b.
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	// +optional
	ExcludedAddresses []AddressOrRange `json:"excludedAddresses,omitempty"`

	// LeaseTime overrides the Subnet's lease times for this Pool's clients,
	// value by value.
	// +optional
	LeaseTime *LeaseTimes `json:"leaseTime,omitempty"`

	// Options override the Subnet's options for this Pool's clients,
	// option by option.
	// +optional
	Options *DHCPOptions `json:"options,omitempty"`

	// CustomOptions override or add to the Subnet's custom options, one per
	// code.
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=code
	// +optional
	CustomOptions []CustomOption `json:"customOptions,omitempty"`

	// ClientClasses select the clients this Pool serves. Without it the
	// Pool serves every client of its Subnet. A client that fits a Pool
	// with classes gets its address from that Pool first, and from Pools
	// without classes only when those are full.
	// +optional
	ClientClasses *ClientClasses `json:"clientClasses,omitempty"`
}

// PoolStatus is what the controller last observed of a Pool.
type PoolStatus struct {
	// ObservedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Range summarises the ranges for display, such as
	// 10.0.0.10-10.0.0.200 (+1 more).
	// +optional
	Range string `json:"range,omitempty"`

	// Total is the number of addresses in the ranges, less the excluded and
	// reserved ones.
	// +optional
	Total int64 `json:"total"`

	// Used is the number of those addresses bound to a client.
	// +optional
	Used int64 `json:"used"`

	// Free is the number of those addresses the server can hand out.
	// +optional
	Free int64 `json:"free"`

	// Claimed is the number of those addresses held for Cluster API
	// IPAddressClaims (counted in Used too).
	// +optional
	Claimed int64 `json:"claimed"`

	// Conditions are Ready and Exhausted.
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// Pool is a set of addresses of a Subnet handed out to clients
// dynamically, optionally only to a class of clients (PXE, iPXE, a vendor,
// a relay port, known or unknown clients) and with its own lease times and
// options.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dpool,categories=dhcp
// +kubebuilder:printcolumn:name="Subnet",type=string,JSONPath=`.spec.subnet`
// +kubebuilder:printcolumn:name="Range",type=string,JSONPath=`.status.range`
// +kubebuilder:printcolumn:name="Used",type=integer,JSONPath=`.status.used`
// +kubebuilder:printcolumn:name="Free",type=integer,JSONPath=`.status.free`
// +kubebuilder:printcolumn:name="Claimed",type=integer,JSONPath=`.status.claimed`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`,priority=1
type Pool struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the pool.
	// +required
	Spec PoolSpec `json:"spec"`

	// status is what the controller last observed.
	// +optional
	Status PoolStatus `json:"status,omitempty"`
}

// PoolList is a list of Pools.
//
// +kubebuilder:object:root=true
type PoolList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the Pools.
	Items []Pool `json:"items"`
}
