package lease

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
)

// Each binding change through the store is one log line naming the
// event, the client, the address and the relay; spares are not logged.
func TestHistoryLogsEveryChange(t *testing.T) {
	var lines []string
	log := funcr.New(func(_, args string) { lines = append(lines, args) }, funcr.Options{})
	s := WithHistory(NewMemory(), log)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	b := Binding{Subnet: "lan", Addr: netip.MustParseAddr("10.0.0.57"), HWAddr: net.HardwareAddr{0, 0x16, 0x41, 0xe0, 0xf9, 0x1c},
		ClientID: []byte{1, 0, 0x16}, Hostname: "pc-57", State: Bound, Start: t0, Renewed: t0, Expires: t0.Add(time.Hour),
		Relay: netip.MustParseAddr("172.16.0.1"), CircuitID: []byte("p7")}
	nb, err := s.Commit(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	nb.Renewed, nb.Expires = t0.Add(30*time.Minute), t0.Add(90*time.Minute)
	if nb, err = s.Commit(ctx, nb); err != nil {
		t.Fatal(err)
	}
	nb.State = Declined
	if nb, err = s.Commit(ctx, nb); err != nil {
		t.Fatal(err)
	}
	nb.State = Bound
	nb.Start, nb.Renewed = t0.Add(2*time.Hour), t0.Add(2*time.Hour)
	if nb, err = s.Commit(ctx, nb); err != nil {
		t.Fatal(err)
	}
	if nb, err = s.Release(ctx, nb); err != nil {
		t.Fatal(err)
	}
	nb.State = Expired
	if _, err = s.Commit(ctx, nb); err != nil {
		t.Fatal(err)
	}
	spare := Binding{Subnet: "lan", Addr: netip.MustParseAddr("10.0.0.58"), State: Spare, Expires: t0.Add(time.Hour), Replica: "r"}
	if _, err := s.Commit(ctx, spare); err != nil {
		t.Fatal(err)
	}
	claim := Binding{Subnet: "lan", Addr: netip.MustParseAddr("10.0.0.59"), State: Claimed, Claim: "worker-0"}
	cb, err := s.Commit(ctx, claim)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, cb); err != nil {
		t.Fatal(err)
	}
	want := []string{"bound", "renewed", "declined", "bound", "released", "expired", "claimed", "unclaimed"}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if !strings.Contains(lines[i], `"event"="`+w+`"`) {
			t.Errorf("line %d: %s, want event %s", i, lines[i], w)
		}
	}
	for _, kv := range []string{`"ip"="10.0.0.57"`, `"mac"="00:16:41:e0:f9:1c"`, `"clientID"="01:00:16"`, `"relay"="172.16.0.1"`,
		`"circuitID"="70:37"`, `"hostname"="pc-57"`, `"subnet"="lan"`} {
		if !strings.Contains(lines[0], kv) {
			t.Errorf("first line %s, want %s", lines[0], kv)
		}
	}
	if !strings.Contains(lines[6], `"claim"="worker-0"`) {
		t.Errorf("claim line %s", lines[6])
	}
}
