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

// KnownClients says whether a Pool serves clients that have a Reservation
// in its Subnet.
// +kubebuilder:validation:Enum=Any;Only;Deny
type KnownClients string

// KnownClients values.
const (
	// KnownClientsAny serves clients with or without a Reservation.
	KnownClientsAny KnownClients = "Any"
	// KnownClientsOnly serves only clients that have a Reservation.
	KnownClientsOnly KnownClients = "Only"
	// KnownClientsDeny serves only clients that have no Reservation.
	KnownClientsDeny KnownClients = "Deny"
)

// ClientClasses selects the clients a Pool serves. Every criterion set
// must fit the client. Clients that fit are served from this Pool before
// any Pool without criteria.
// +kubebuilder:validation:XValidation:rule="!has(self.vendorClass) || !has(self.vendorClassPrefix)",message="set vendorClass or vendorClassPrefix, not both"
type ClientClasses struct {
	// VendorClass fits a client whose vendor class identifier (option 60)
	// is exactly this value, such as "MSFT 5.0".
	// +kubebuilder:validation:MaxLength=255
	// +optional
	VendorClass string `json:"vendorClass,omitempty"`

	// VendorClassPrefix fits a client whose vendor class identifier
	// (option 60) starts with this value, such as PXEClient.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	VendorClassPrefix string `json:"vendorClassPrefix,omitempty"`

	// UserClass fits a client whose user class (option 77) is this value,
	// such as iPXE.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	UserClass string `json:"userClass,omitempty"`

	// ClientArch fits a client whose architecture (option 93) is any of
	// these.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	ClientArch []ClientArch `json:"clientArch,omitempty"`

	// CircuitID fits a client relayed with this agent circuit ID (option 82
	// sub-option 1). Written as octets in hex separated by colons
	// (00:04:00:64) or, when it is not, as text (ge-0/0/1.100).
	// +kubebuilder:validation:MaxLength=767
	// +optional
	CircuitID string `json:"circuitID,omitempty"`

	// RemoteID fits a client relayed with this agent remote ID (option 82
	// sub-option 2), written as CircuitID is.
	// +kubebuilder:validation:MaxLength=767
	// +optional
	RemoteID string `json:"remoteID,omitempty"`

	// KnownClients says whether the Pool serves clients that have a
	// Reservation in the Subnet: Any (the default), Only, or Deny.
	// +kubebuilder:default=Any
	// +optional
	KnownClients KnownClients `json:"knownClients,omitempty"`
}
