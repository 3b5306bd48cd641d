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

// ReservationSpec binds one client, known by exactly one identity, to a
// fixed address of a Subnet: a DHCP client by its MAC address, client
// identifier or circuit ID, or a Cluster API IPAddressClaim by its name.
// +kubebuilder:validation:XValidation:rule="[has(self.macAddress), has(self.clientID), has(self.circuitID), has(self.claim)].filter(x, x).size() == 1",message="exactly one of macAddress, clientID, circuitID or claim must be set"
// +kubebuilder:validation:XValidation:rule="!has(self.customOptions) || !has(self.options) || !self.customOptions.exists(c, (c.code == 2 && has(self.options.timeOffset)) || (c.code == 3 && has(self.options.routers)) || (c.code == 4 && has(self.options.timeServers)) || (c.code == 6 && has(self.options.dnsServers)) || (c.code == 7 && has(self.options.logServers)) || (c.code == 15 && has(self.options.domainName)) || (c.code == 17 && has(self.options.rootPath)) || (c.code == 26 && has(self.options.interfaceMTU)) || (c.code == 28 && has(self.options.broadcastAddress)) || (c.code == 42 && has(self.options.ntpServers)) || (c.code == 44 && has(self.options.netbiosNameServers)) || (c.code == 46 && has(self.options.netbiosNodeType)) || (c.code == 66 && has(self.options.tftpServerName)) || (c.code == 67 && has(self.options.bootFileName)) || (c.code == 119 && has(self.options.domainSearch)) || (c.code == 121 && has(self.options.classlessStaticRoutes)))",message="must not set a code that a typed option in options sets: 2 timeOffset, 3 routers, 4 timeServers, 6 dnsServers, 7 logServers, 15 domainName, 17 rootPath, 26 interfaceMTU, 28 broadcastAddress, 42 ntpServers, 44 netbiosNameServers, 46 netbiosNodeType, 66 tftpServerName, 67 bootFileName, 119 domainSearch, 121 classlessStaticRoutes",fieldPath=".customOptions"
// +kubebuilder:validation:XValidation:rule="!has(self.customOptions) || !has(self.boot) || !self.customOptions.exists(c, c.code == 67)",message="code 67 (boot file) is also set by boot: choose boot files with boot.rules",fieldPath=".customOptions"
type ReservationSpec struct {
	// Subnet is the name of the Subnet, in this namespace, the Reservation
	// belongs to. IPAddress must lie inside its cidr.
	// +required
	Subnet ObjectName `json:"subnet"`

	// MACAddress identifies the client by its hardware address (chaddr),
	// such as 00:16:41:e0:f9:1c.
	// +optional
	MACAddress MACAddress `json:"macAddress,omitempty"`

	// ClientID identifies the client by its client identifier (option 61),
	// in hex octets separated by colons, type octet first, such as
	// 01:00:16:41:e0:f9:1c.
	// +kubebuilder:validation:MinLength=5
	// +optional
	ClientID HexOctets `json:"clientID,omitempty"`

	// CircuitID identifies the client by the relay agent circuit ID it
	// arrives with (option 82 sub-option 1), the port it is plugged into:
	// octets in hex separated by colons, or text.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=767
	// +optional
	CircuitID string `json:"circuitID,omitempty"`

	// Claim identifies a Cluster API IPAddressClaim, in this namespace, by
	// its name: the claim gets IPAddress when it names a Pool of the
	// Subnet. Such a Reservation serves no DHCP client.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Claim string `json:"claim,omitempty"`

	// IPAddress is the address the client always gets. It must lie inside
	// the Subnet's cidr, and may lie outside every Pool; an address inside
	// a Pool's range is taken out of that Pool.
	// +required
	IPAddress IPv4Address `json:"ipAddress"`

	// Hostname is the host name the client gets (option 12).
	// +optional
	Hostname Hostname `json:"hostname,omitempty"`

	// Options override the Subnet's and Pool's options for this client,
	// option by option.
	// +optional
	Options *DHCPOptions `json:"options,omitempty"`

	// CustomOptions override or add to the Subnet's custom options for this
	// client, one per code.
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=code
	// +optional
	CustomOptions []CustomOption `json:"customOptions,omitempty"`

	// Boot overrides the Subnet's boot settings for this client.
	// +optional
	Boot *Boot `json:"boot,omitempty"`
}

// ReservationStatus is what the controller last observed of a
// Reservation.
type ReservationStatus struct {
	// ObservedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Identity shows the client identity for display, such as
	// mac 00:16:41:e0:f9:1c.
	// +optional
	Identity string `json:"identity,omitempty"`

	// IPAddress is the reserved address while a client holds it.
	// +optional
	IPAddress string `json:"ipAddress,omitempty"`

	// Lease is the name of the Lease bound to the reserved address.
	// +optional
	Lease string `json:"lease,omitempty"`

	// Conditions are Ready and Conflict.
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// Reservation gives one client, known by its MAC address, client
// identifier or relay circuit ID, a fixed address, and optionally its own
// host name, options and boot file.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dres,categories=dhcp
// +kubebuilder:printcolumn:name="Identity",type=string,JSONPath=`.status.identity`
// +kubebuilder:printcolumn:name="IP",type=string,JSONPath=`.spec.ipAddress`
// +kubebuilder:printcolumn:name="Hostname",type=string,JSONPath=`.spec.hostname`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="MAC",type=string,JSONPath=`.spec.macAddress`,priority=1
// +kubebuilder:printcolumn:name="Client ID",type=string,JSONPath=`.spec.clientID`,priority=1
// +kubebuilder:printcolumn:name="Circuit ID",type=string,JSONPath=`.spec.circuitID`,priority=1
// +kubebuilder:printcolumn:name="Claim",type=string,JSONPath=`.spec.claim`,priority=1
type Reservation struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the reservation.
	// +required
	Spec ReservationSpec `json:"spec"`

	// status is what the controller last observed.
	// +optional
	Status ReservationStatus `json:"status,omitempty"`
}

// ReservationList is a list of Reservations.
//
// +kubebuilder:object:root=true
type ReservationList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the Reservations.
	Items []Reservation `json:"items"`
}
