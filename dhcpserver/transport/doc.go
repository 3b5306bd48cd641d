// Package transport carries DHCP messages between the network and the
// engine: one UDP port 67 listener per interface (bound to the device)
// with a 4 MiB receive buffer as its queue, a fixed pool of workers per
// listener that each read batches of messages (recvmmsg) into reused
// buffers and answer them, replies
// sent per RFC 2131 §4.1 (unicast to a client without an address through a
// packet socket, falling back to broadcast), and an ICMP echo prober for
// conflict detection. A panic while handling one message is recovered and
// counted; malformed messages are dropped and counted.
package transport
