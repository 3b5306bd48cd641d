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
)
