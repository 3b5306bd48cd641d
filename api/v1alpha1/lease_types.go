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

// LeaseState is the state of a binding.
// +kubebuilder:validation:Enum=Bound;Released;Declined;Expired;Spare;Claimed
type LeaseState string

// Lease states.
const (
	// LeaseBound is an address a client holds until Expires.
	LeaseBound LeaseState = "Bound"
	// LeaseReleased is an address its client gave back (DHCPRELEASE).
	LeaseReleased LeaseState = "Released"
	// LeaseDeclined is an address a client found in use (DHCPDECLINE); it
	// is held out of service until Expires.
	LeaseDeclined LeaseState = "Declined"
	// LeaseExpired is an address whose client did not renew in time.
	LeaseExpired LeaseState = "Expired"
	// LeaseSpare is an address a replica claimed in advance, so that it
	// can bind a new client while the apiserver is out of reach; it is
	// that replica's (Replica) alone until Expires, and is handed out
	// last when the pool runs short.
	LeaseSpare LeaseState = "Spare"
	// LeaseClaimed is an address held for a Cluster API IPAddressClaim
	// (Claim) for as long as the claim exists; it never expires and is
	// never offered to a DHCP client.
	LeaseClaimed LeaseState = "Claimed"
)

// Annotations of a Lease.
const (
	// PinAnnotation on a Bound Lease asks kubedhcp to make the binding
	// permanent: a Reservation with the client's identity and address is
	// created, named by the annotation's value (the Lease's name when it
	// is "true" or empty), and the Lease moves under it.
	PinAnnotation = "dhcp.kubedhcp.io/pin"
	// PinnedAnnotation names the Reservation a Lease was pinned to.
	PinnedAnnotation = "dhcp.kubedhcp.io/pinned"
)

// LeaseSpec is one binding of an address to a client, as the server
// committed it. The server writes it before it acknowledges the client.
type LeaseSpec struct {
	// Subnet is the name of the Subnet the address belongs to.
	// +required
	Subnet ObjectName `json:"subnet"`

	// IPAddress is the bound address.
	// +required
	IPAddress IPv4Address `json:"ipAddress"`

	// MACAddress is the client's hardware address (chaddr).
	// +optional
	MACAddress MACAddress `json:"macAddress,omitempty"`

	// ClientID is the client identifier (option 61) the client sent, in hex
	// octets separated by colons.
	// +optional
	ClientID HexOctets `json:"clientID,omitempty"`

	// Hostname is the host name the client sent (option 12) or its
	// Reservation gave it.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Hostname string `json:"hostname,omitempty"`

	// State is Bound, Released, Declined, Expired, Spare or Claimed.
	// +required
	State LeaseState `json:"state"`

	// Start is when the client was first bound to the address.
	// +optional
	Start *metav1.Time `json:"start,omitempty"`

	// Renewed is when the binding was last written on a renewal.
	// +optional
	Renewed *metav1.Time `json:"renewed,omitempty"`

	// Expires is when the address stops being the client's unless the
	// binding is written again: the lease the client was told, plus the
	// headroom that lets renewals skip writes (up to one lease time more).
	// +optional
	Expires *metav1.Time `json:"expires,omitempty"`

	// LeaseTime is the lease time the client was granted when the Lease was
	// last written; the client renews at half of it.
	// +optional
	LeaseTime *metav1.Duration `json:"leaseTime,omitempty"`

	// Pool is the name of the Pool the address came from, if any.
	// +optional
	Pool string `json:"pool,omitempty"`

	// Reservation is the name of the Reservation that fixed the address,
	// if any.
	// +optional
	Reservation string `json:"reservation,omitempty"`

	// GatewayAddress is the relay agent address (giaddr) the client came
	// through, if relayed.
	// +optional
	GatewayAddress IPv4Address `json:"gatewayAddress,omitempty"`

	// CircuitID is the relay agent circuit ID (option 82 sub-option 1), in
	// hex octets separated by colons.
	// +optional
	CircuitID HexOctets `json:"circuitID,omitempty"`

	// RemoteID is the relay agent remote ID (option 82 sub-option 2), in
	// hex octets separated by colons.
	// +optional
	RemoteID HexOctets `json:"remoteID,omitempty"`

	// VendorClass is the vendor class identifier the client sent
	// (option 60).
	// +kubebuilder:validation:MaxLength=255
	// +optional
	VendorClass string `json:"vendorClass,omitempty"`

	// UserClass is the user class the client sent (option 77).
	// +kubebuilder:validation:MaxLength=255
	// +optional
	UserClass string `json:"userClass,omitempty"`

	// ClientArch is the client architecture the client sent (option 93).
	// +optional
	ClientArch *ClientArch `json:"clientArch,omitempty"`

	// Replica is the run of the kubedhcp replica that holds a Spare
	// address.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Replica string `json:"replica,omitempty"`

	// Claim is the name of the IPAddressClaim (ipam.cluster.x-k8s.io), in
	// this namespace, a Claimed address is held for.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Claim string `json:"claim,omitempty"`
}

// Lease records one address bound to one client. Only the server writes
// Leases; deleting one by hand revokes the binding. Its name derives from
// its Subnet and address, so creating it claims the address atomically.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=dhcpleases,singular=dhcplease,shortName=dlease,categories=dhcp
// +kubebuilder:printcolumn:name="IP",type=string,JSONPath=`.spec.ipAddress`
// +kubebuilder:printcolumn:name="MAC",type=string,JSONPath=`.spec.macAddress`
// +kubebuilder:printcolumn:name="Hostname",type=string,JSONPath=`.spec.hostname`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.spec.state`
// +kubebuilder:printcolumn:name="Lease",type=string,JSONPath=`.spec.leaseTime`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Stored Until",type=string,format=date-time,JSONPath=`.spec.expires`,priority=1
// +kubebuilder:printcolumn:name="Subnet",type=string,JSONPath=`.spec.subnet`,priority=1
// +kubebuilder:printcolumn:name="Pool",type=string,JSONPath=`.spec.pool`,priority=1
// +kubebuilder:printcolumn:name="Client ID",type=string,JSONPath=`.spec.clientID`,priority=1
// +kubebuilder:printcolumn:name="Replica",type=string,JSONPath=`.spec.replica`,priority=1
// +kubebuilder:printcolumn:name="Claim",type=string,JSONPath=`.spec.claim`,priority=1
type Lease struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the binding.
	// +required
	Spec LeaseSpec `json:"spec"`
}

// LeaseList is a list of Leases.
//
// +kubebuilder:object:root=true
type LeaseList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the Leases.
	Items []Lease `json:"items"`
}
