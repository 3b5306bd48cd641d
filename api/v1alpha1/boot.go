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

// ClientArch is a client system architecture type from option 93
// (RFC 4578, IANA "Processor Architecture Types"): 0 x86 BIOS, 6 x86 UEFI,
// 7 x64 UEFI, 9 EBC (x64 UEFI in practice), 10 ARM32 UEFI, 11 ARM64 UEFI,
// 16 x64 UEFI HTTP boot, 19 ARM64 UEFI HTTP boot.
// +kubebuilder:validation:Minimum=0
// +kubebuilder:validation:Maximum=65535
type ClientArch int32

// Boot tells network-booting clients where their boot file is: the next
// server (siaddr), its name (sname), and the boot file chosen by the first
// rule that matches the client.
type Boot struct {
	// NextServer is the address of the server the client loads its boot
	// file from, sent in siaddr.
	// +optional
	NextServer IPv4Address `json:"nextServer,omitempty"`

	// ServerName is the boot server's host name, sent in sname.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	ServerName string `json:"serverName,omitempty"`

	// Rules choose the boot file. They are tried in order and the first
	// whose match fits the client gives its boot file; a rule with an empty
	// match fits every client, so put it last.
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	Rules []BootRule `json:"rules,omitempty"`
}

// BootRule gives a boot file to the clients its match fits.
type BootRule struct {
	// Match says which clients the rule is for. Every criterion set must
	// fit; an empty match fits every client.
	// +optional
	Match BootMatch `json:"match,omitempty"`

	// BootFileName is the file the client loads: a TFTP path such as
	// pxelinux.0 or ipxe.efi, or for iPXE and UEFI HTTP boot an HTTP URL
	// such as http://boot.example/boot.ipxe. Sent in the file field, or as
	// option 67 where it does not fit there or the client asked for it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	BootFileName string `json:"bootFileName"`
}

// BootMatch selects clients by what they send when they boot.
type BootMatch struct {
	// ClientArch fits a client whose architecture (option 93) is any of
	// these, such as [0] for BIOS or [6, 7, 9] for UEFI.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	ClientArch []ClientArch `json:"clientArch,omitempty"`

	// UserClass fits a client whose user class (option 77) is this value,
	// such as iPXE.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	UserClass string `json:"userClass,omitempty"`

	// VendorClassPrefix fits a client whose vendor class (option 60)
	// starts with this value, such as PXEClient or HTTPClient.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	VendorClassPrefix string `json:"vendorClassPrefix,omitempty"`
}
