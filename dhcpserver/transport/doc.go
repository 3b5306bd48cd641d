// Package transport carries DHCP messages between the network and the
// engine: one UDP port 67 listener per interface (bound to the device), a
// bounded queue and a fixed pool of workers with reused buffers, replies
// sent per RFC 2131 §4.1 (unicast to a client without an address through a
// packet socket, falling back to broadcast), and an ICMP echo prober for
// conflict detection. A panic while handling one message is recovered and
// counted; malformed messages are dropped and counted.
package transport
