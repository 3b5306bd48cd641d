package lease

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestMemoryContract(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	a := netip.MustParseAddr("10.0.0.10")
	b := Binding{Subnet: "s", Addr: a, HWAddr: []byte{1}, State: Bound, Expires: time.Now().Add(time.Hour)}
	got, err := m.Commit(ctx, b)
	if err != nil || got.Version == "" {
		t.Fatalf("claim: %v %q", err, got.Version)
	}
	// A second claim of the address fails with the holder.
	other := b
	other.HWAddr = []byte{2}
	_, err = m.Commit(ctx, other)
	var ce *ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) || ce.Holder == nil || ce.Holder.HWAddr[0] != 1 {
		t.Fatalf("second claim: %v, want a ConflictError naming the holder", err)
	}
	// An update with the current version succeeds; a stale one fails.
	upd, err := m.Commit(ctx, got)
	if err != nil || upd.Version == got.Version {
		t.Fatalf("update: %v", err)
	}
	if _, err := m.Commit(ctx, got); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	rel, err := m.Release(ctx, upd)
	if err != nil || rel.State != Released {
		t.Fatalf("release: %v %v", err, rel.State)
	}
	if list, _ := m.List(ctx); len(list) != 1 || list[0].State != Released {
		t.Fatalf("list: %+v", list)
	}
	if err := m.Delete(ctx, rel); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Commit(ctx, rel); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update after delete: %v, want ErrNotFound", err)
	}
	if err := m.Delete(ctx, rel); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
}

func TestParseState(t *testing.T) {
	for _, s := range []State{Bound, Released, Declined, Expired} {
		if got, ok := ParseState(s.String()); !ok || got != s {
			t.Errorf("ParseState(%q) = %v %v", s, got, ok)
		}
	}
	if _, ok := ParseState("Gone"); ok {
		t.Error("ParseState accepted Gone")
	}
}
