// Package alloc tracks which address belongs to which client and chooses
// addresses for new clients. It holds every binding the engine knows, the
// short offer holds, and the addresses in probation, and it hands out
// addresses in constant amortised time whatever the pool size: a cursor
// walks each pool's never-used addresses once, and a FIFO queue holds the
// addresses freed behind it, so a returning client usually finds its old
// address still free.
//
// An Allocator is safe for concurrent use. It does no I/O and reads no
// clock: callers pass the time.
package alloc
