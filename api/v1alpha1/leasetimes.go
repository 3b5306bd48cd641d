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

// LeaseTimes bounds how long a client may hold an address and when it
// should renew. Each is a duration such as 90s, 10m or 12h. A client's
// requested lease time (option 51) is honoured when it lies within min and
// max; otherwise the nearest bound applies, and without a request default
// applies. Renew (T1, option 58) and rebind (T2, option 59) default to half
// and seven eighths of the lease granted.
//
// A lease lasts from 4s to 87600h (10 years); the server never grants an
// infinite lease (RFC 2131's 0xffffffff). For an address that is a
// client's for good, give it a Reservation.
// +kubebuilder:validation:XValidation:rule="!(has(self.min) && self.min.matches('^([0-9]+(ns|us|ms|s|m|h))+$')) || !(has(self.default) && self.default.matches('^([0-9]+(ns|us|ms|s|m|h))+$')) || duration(self.min) <= duration(self.default)",message="default must not be shorter than min",fieldPath=".default"
// +kubebuilder:validation:XValidation:rule="!(has(self.default) && self.default.matches('^([0-9]+(ns|us|ms|s|m|h))+$')) || !(has(self.max) && self.max.matches('^([0-9]+(ns|us|ms|s|m|h))+$')) || duration(self.default) <= duration(self.max)",message="default must not be longer than max",fieldPath=".max"
// +kubebuilder:validation:XValidation:rule="!(has(self.min) && self.min.matches('^([0-9]+(ns|us|ms|s|m|h))+$')) || !(has(self.max) && self.max.matches('^([0-9]+(ns|us|ms|s|m|h))+$')) || duration(self.min) <= duration(self.max)",message="max must not be shorter than min",fieldPath=".max"
// +kubebuilder:validation:XValidation:rule="!(has(self.renew) && self.renew.matches('^([0-9]+(ns|us|ms|s|m|h))+$')) || !(has(self.rebind) && self.rebind.matches('^([0-9]+(ns|us|ms|s|m|h))+$')) || duration(self.renew) < duration(self.rebind)",message="renew must come before rebind",fieldPath=".rebind"
// +kubebuilder:validation:XValidation:rule="!(has(self.rebind) && self.rebind.matches('^([0-9]+(ns|us|ms|s|m|h))+$')) || !(has(self.default) && self.default.matches('^([0-9]+(ns|us|ms|s|m|h))+$')) || duration(self.rebind) < duration(self.default)",message="rebind must come before the end of the default lease",fieldPath=".rebind"
// +kubebuilder:validation:XValidation:rule="!(has(self.renew) && self.renew.matches('^([0-9]+(ns|us|ms|s|m|h))+$')) || !(has(self.default) && self.default.matches('^([0-9]+(ns|us|ms|s|m|h))+$')) || duration(self.renew) < duration(self.default)",message="renew must come before the end of the default lease",fieldPath=".renew"
type LeaseTimes struct {
	// Default is the lease time given to a client that asks for none.
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ns|us|ms|s|m|h))+$')",message="must be a duration such as 90s, 10m or 12h"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ns|us|ms|s|m|h))+$') || (duration(self) >= duration('4s') && duration(self) <= duration('87600h'))",message="must be from 4s to 87600h (10 years)"
	// +optional
	Default *metav1.Duration `json:"default,omitempty"`

	// Min is the shortest lease granted, whatever the client asks for.
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ns|us|ms|s|m|h))+$')",message="must be a duration such as 90s, 10m or 12h"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ns|us|ms|s|m|h))+$') || (duration(self) >= duration('4s') && duration(self) <= duration('87600h'))",message="must be from 4s to 87600h (10 years)"
	// +optional
	Min *metav1.Duration `json:"min,omitempty"`

	// Max is the longest lease granted, whatever the client asks for.
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ns|us|ms|s|m|h))+$')",message="must be a duration such as 90s, 10m or 12h"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ns|us|ms|s|m|h))+$') || (duration(self) >= duration('4s') && duration(self) <= duration('87600h'))",message="must be from 4s to 87600h (10 years)"
	// +optional
	Max *metav1.Duration `json:"max,omitempty"`

	// Renew is the renewal time T1 (option 58), after which the client
	// renews with the server that granted its lease.
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ns|us|ms|s|m|h))+$')",message="must be a duration such as 90s, 10m or 12h"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ns|us|ms|s|m|h))+$') || (duration(self) >= duration('1s') && duration(self) <= duration('87600h'))",message="must be from 1s to 87600h (10 years)"
	// +optional
	Renew *metav1.Duration `json:"renew,omitempty"`

	// Rebind is the rebinding time T2 (option 59), after which the client
	// broadcasts its renewal to any server.
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ns|us|ms|s|m|h))+$')",message="must be a duration such as 90s, 10m or 12h"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ns|us|ms|s|m|h))+$') || (duration(self) >= duration('1s') && duration(self) <= duration('87600h'))",message="must be from 1s to 87600h (10 years)"
	// +optional
	Rebind *metav1.Duration `json:"rebind,omitempty"`
}

// PingCheck makes the server probe an address with an ICMP echo before it
// offers it; an address that answers is held out as conflicting and
// another is offered.
type PingCheck struct {
	// Enabled turns the probe on.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// Timeout is how long to wait for an echo reply, 500ms when unset.
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ns|us|ms|s|m|h))+$')",message="must be a duration such as 500ms or 1s"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ns|us|ms|s|m|h))+$') || (duration(self) > duration('0s') && duration(self) <= duration('10s'))",message="must be longer than zero and at most 10s"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`
}
