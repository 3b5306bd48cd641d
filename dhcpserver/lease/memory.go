package lease

import (
	"context"
	"net/netip"
	"strconv"
	"sync"
)

// Memory is a Store held in memory: durable only as long as the process.
// For tests and benchmarks.
type Memory struct {
	mu      sync.Mutex
	next    uint64
	byKey   map[memKey]Binding
	commits uint64
}

type memKey struct {
	subnet string
	addr   netip.Addr
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory { return &Memory{byKey: map[memKey]Binding{}} }

// Commit implements Store.
func (m *Memory) Commit(_ context.Context, b Binding) (Binding, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey{b.Subnet, b.Addr}
	cur, ok := m.byKey[k]
	switch {
	case b.Version == "" && ok, b.Version != "" && ok && cur.Version != b.Version:
		return Binding{}, &ConflictError{Subnet: b.Subnet, Addr: b.Addr, Holder: &cur}
	case b.Version != "" && !ok:
		return Binding{}, ErrNotFound
	}
	m.next++
	m.commits++
	b.Version = strconv.FormatUint(m.next, 10)
	m.byKey[k] = b
	return b, nil
}

// Release implements Store.
func (m *Memory) Release(ctx context.Context, b Binding) (Binding, error) {
	b.State = Released
	return m.Commit(ctx, b)
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, b Binding) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey{b.Subnet, b.Addr}
	cur, ok := m.byKey[k]
	switch {
	case !ok:
		return ErrNotFound
	case b.Version != "" && cur.Version != b.Version:
		return &ConflictError{Subnet: b.Subnet, Addr: b.Addr, Holder: &cur}
	}
	delete(m.byKey, k)
	return nil
}

// List implements Store.
func (m *Memory) List(_ context.Context) ([]Binding, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Binding, 0, len(m.byKey))
	for _, b := range m.byKey {
		out = append(out, b)
	}
	return out, nil
}

// Get returns the stored binding of an address, for tests.
func (m *Memory) Get(subnet string, addr netip.Addr) (Binding, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.byKey[memKey{subnet, addr}]
	return b, ok
}

// Writes returns how many commits succeeded, for tests and benchmarks.
func (m *Memory) Writes() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.commits
}
