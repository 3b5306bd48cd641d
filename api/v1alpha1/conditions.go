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

// Condition types reported on Subnets, Pools and Reservations.
const (
	// ConditionReady is true when the object is valid and served.
	ConditionReady = "Ready"
	// ConditionExhausted is true when a Pool or Subnet has no free address.
	ConditionExhausted = "Exhausted"
	// ConditionDegraded is true when a Subnet serves, but some of its Pools
	// or Reservations are left out.
	ConditionDegraded = "Degraded"
	// ConditionConflict is true when a Reservation clashes with another
	// object or its address is held by another client.
	ConditionConflict = "Conflict"
	// ConditionUnusableLeases is true when Lease objects of a Subnet
	// cannot be used as bindings (they do not read as one, or are not
	// under their address's Lease name); their addresses are kept out of
	// service until they are deleted or fixed.
	ConditionUnusableLeases = "UnusableLeases"
	// ConditionRogueServer is true when another DHCP server answered the
	// self-probe on an interface the Subnet is served on.
	ConditionRogueServer = "RogueServer"
)

// Condition reasons.
const (
	// ReasonServing: the object is valid and in the served configuration.
	ReasonServing = "Serving"
	// ReasonInvalid: the object cannot be served as written; the message
	// says which field is at fault.
	ReasonInvalid = "Invalid"
	// ReasonSubnetNotFound: the Subnet the object names does not exist.
	ReasonSubnetNotFound = "SubnetNotFound"
	// ReasonSubnetNotReady: the Subnet the object names is not served.
	ReasonSubnetNotReady = "SubnetNotReady"
	// ReasonOutsideSubnet: an address or range lies outside the Subnet.
	ReasonOutsideSubnet = "OutsideSubnet"
	// ReasonInterfaceNotFound: the Subnet names an interface the server
	// does not serve on: the node has none of that name, or the server's
	// --interfaces leaves it out.
	ReasonInterfaceNotFound = "InterfaceNotFound"
	// ReasonOverlap: the object overlaps an older one of its kind.
	ReasonOverlap = "Overlap"
	// ReasonDuplicate: an older Reservation has the same address or
	// identity.
	ReasonDuplicate = "Duplicate"
	// ReasonAddressHeld: the reserved address is bound to another client.
	ReasonAddressHeld = "AddressHeld"
	// ReasonNoConflict: nothing clashes with the Reservation.
	ReasonNoConflict = "NoConflict"
	// ReasonPoolExhausted: no address is free.
	ReasonPoolExhausted = "PoolExhausted"
	// ReasonAddressesFree: addresses are free.
	ReasonAddressesFree = "AddressesFree"
	// ReasonObjectsLeftOut: some Pools or Reservations of the Subnet are
	// not served.
	ReasonObjectsLeftOut = "ObjectsLeftOut"
	// ReasonStoreUnavailable: Lease writes fail; new clients get no
	// address while renewals a stored Lease covers are acknowledged.
	ReasonStoreUnavailable = "StoreUnavailable"
	// ReasonAllServed: every Pool and Reservation of the Subnet is served.
	ReasonAllServed = "AllServed"
	// ReasonLeasesSkipped: some Lease objects were skipped.
	ReasonLeasesSkipped = "LeasesSkipped"
	// ReasonAllLeasesUsable: every Lease object reads as a binding.
	ReasonAllLeasesUsable = "AllLeasesUsable"
	// ReasonOtherServerAnswered: a DHCP server other than kubedhcp offered
	// an address to the self-probe.
	ReasonOtherServerAnswered = "OtherServerAnswered"
	// ReasonNoOtherServer: only kubedhcp answered the last self-probe (or
	// the Subnet is not probed: relayed only, or probes are off).
	ReasonNoOtherServer = "NoOtherServer"
)
