// Package options encodes DHCPv4 options (RFC 2132 and later) from typed
// values into their wire form: address lists, RFC 1035 names with
// compression (option 119, RFC 3397), classless static routes (option 121,
// RFC 3442), the NetBIOS node type (46) and custom options of the classic
// ISC dhcpd types. Encoding happens once, when a config snapshot is built,
// so the packet path only copies bytes.
package options
