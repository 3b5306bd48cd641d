package lease

import (
	"context"
	"net/netip"
	"strconv"
	"sync"
)

// Memory is a Store held in memory: durable only as long as the process.
// For tests and benchmarks. It keeps each binding as a record (see
// AppendRecord), so a million of them add little to garbage collection.
type Memory struct {
	mu      sync.Mutex
	next    uint64
	byKey   map[memKey]memRecord
	commits uint64
}

// memKey is a binding's subnet and address (IPv4, or IPv6 as 16 octets).
type memKey struct {
	subnet string
	addr   [16]byte
}

// memRecord is a stored binding: its version and its record.
type memRecord struct {
	version uint64
	data    []byte
}

func keyOf(subnet string, addr netip.Addr) memKey { return memKey{subnet, addr.As16()} }

// binding decodes r; Memory wrote every record itself, so it cannot fail
// short of a bug, which it reports as a conflict-free empty binding.
func (r memRecord) binding() Binding {
	b, err := ReadRecord(r.data)
	if err != nil {
		return Binding{}
	}
	b.Version = strconv.FormatUint(r.version, 10)
	return b
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory { return &Memory{byKey: map[memKey]memRecord{}} }

// Commit implements Store.
func (m *Memory) Commit(_ context.Context, b Binding) (Binding, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := keyOf(b.Subnet, b.Addr)
	cur, ok := m.byKey[k]
	switch {
	case b.Version == "" && ok, b.Version != "" && ok && !cur.is(b.Version):
		return Binding{}, m.conflict(&b, cur)
	case b.Version != "" && !ok:
		return Binding{}, ErrNotFound
	}
	m.next++
	m.commits++
	m.byKey[k] = memRecord{version: m.next, data: AppendRecord(nil, &b)}
	b.Version = strconv.FormatUint(m.next, 10)
	return b, nil
}

// is reports whether r is at version v.
func (r memRecord) is(v string) bool {
	n, err := strconv.ParseUint(v, 10, 64)
	return err == nil && n == r.version
}

func (m *Memory) conflict(b *Binding, cur memRecord) error {
	h := cur.binding()
	return &ConflictError{Subnet: b.Subnet, Addr: b.Addr, Holder: &h}
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
	k := keyOf(b.Subnet, b.Addr)
	cur, ok := m.byKey[k]
	switch {
	case !ok:
		return ErrNotFound
	case b.Version != "" && !cur.is(b.Version):
		return m.conflict(&b, cur)
	}
	delete(m.byKey, k)
	return nil
}

// List implements Store.
func (m *Memory) List(_ context.Context) ([]Binding, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Binding, 0, len(m.byKey))
	for _, r := range m.byKey {
		out = append(out, r.binding())
	}
	return out, nil
}

// Lookup implements Store.
func (m *Memory) Lookup(_ context.Context, subnet string, addr netip.Addr) (Binding, error) {
	if b, ok := m.Get(subnet, addr); ok {
		return b, nil
	}
	return Binding{}, ErrNotFound
}

// Get returns the stored binding of an address, for tests.
func (m *Memory) Get(subnet string, addr netip.Addr) (Binding, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.byKey[keyOf(subnet, addr)]
	if !ok {
		return Binding{}, false
	}
	return r.binding(), true
}

// Writes returns how many commits succeeded, for tests and benchmarks.
func (m *Memory) Writes() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.commits
}
