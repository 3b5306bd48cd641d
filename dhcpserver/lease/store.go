package lease

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
)

// Store persists bindings. Implementations must be safe for concurrent use;
// the engine calls them from many goroutines and keeps many commits in
// flight.
//
// Commit makes a binding durable. It returns only when the binding is
// durable (it survives a crash of this process and of the Store's own
// servers), and returns the binding with its new Version. A binding with
// an empty Version claims its address: the claim succeeds only if no
// binding for the same Subnet and Addr is stored. A binding with a Version
// replaces the stored one only if that is still the version stored.
//
// Errors:
//   - a *ConflictError (errors.Is(err, ErrConflict)) when another writer
//     holds the address or changed it since Version: nothing was written.
//     The caller must not hand the address out on the strength of this
//     binding; it may look at the Holder and try another address.
//   - ErrNotFound when the binding of Version is gone: it was deleted (a
//     revocation). Nothing was written.
//   - any other error: the Store could not confirm durability. The write
//     may or may not have happened. The caller must not acknowledge the
//     client, must treat the address as possibly held, and may retry.
//
// Release marks a stored binding Released, with the same version rule and
// errors as Commit. Delete removes a stored binding of that Version; it
// returns ErrNotFound when it is already gone. List returns every stored
// binding, for rebuilding state at start; it fails rather than return a
// partial list.
//
// Lookup reads the binding stored for one address from the Store itself,
// for an engine that serves before it could list every binding. It
// returns ErrNotFound when none is stored; any other error means the
// address may be held and must not be handed out on the strength of it.
type Store interface {
	Commit(ctx context.Context, b Binding) (Binding, error)
	Release(ctx context.Context, b Binding) (Binding, error)
	Delete(ctx context.Context, b Binding) error
	List(ctx context.Context) ([]Binding, error)
	Lookup(ctx context.Context, subnet string, addr netip.Addr) (Binding, error)
}

// ErrConflict is matched by every *ConflictError: another writer holds the
// address, or changed its binding since the version the caller had.
var ErrConflict = errors.New("address held by another writer")

// ErrNotFound means the binding the caller had is no longer stored.
var ErrNotFound = errors.New("binding not found")

// ConflictError says who holds an address a Commit could not claim.
type ConflictError struct {
	Subnet string
	Addr   netip.Addr
	// Holder is the binding stored now, when the Store could read it.
	Holder *Binding
}

func (e *ConflictError) Error() string {
	if e.Holder != nil {
		return fmt.Sprintf("%s in subnet %s is held by %s (%s)", e.Addr, e.Subnet, e.Holder.HWAddr, e.Holder.State)
	}
	return fmt.Sprintf("%s in subnet %s is held by another writer", e.Addr, e.Subnet)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
