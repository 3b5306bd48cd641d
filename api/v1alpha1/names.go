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

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
)

// LeaseName returns the name of the Lease of an address in a subnet:
// "<subnet>-<a>-<b>-<c>-<d>", such as office-10-0-0-10. Creating the Lease
// claims the address, so two servers can never both bind it. A name that
// would pass 253 characters keeps a prefix of the subnet name and a hash
// of the whole.
func LeaseName(subnet string, addr netip.Addr) string {
	name := subnet + "-" + strings.ReplaceAll(addr.String(), ".", "-")
	if len(name) <= 253 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := "-" + hex.EncodeToString(sum[:6]) + "-" + strings.ReplaceAll(addr.String(), ".", "-")
	return strings.TrimRight(subnet[:253-len(suffix)], "-.") + suffix
}
