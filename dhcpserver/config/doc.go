// Package config holds the immutable configuration snapshot the DHCP engine
// serves from: subnets, their pools and reservations, options already
// encoded, client classes, boot rules and lease times, with the indexes the
// packet path needs (subnet by interface, relay or address; reservation by
// identity; pool by address). A Snapshot is built once by New and never
// changed; a new one replaces it atomically.
package config
