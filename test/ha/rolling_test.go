package ha_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A rolling restart of three replicas, as a Deployment does it (one at a
// time: SIGTERM, then a new pod of a new name on the same node), under
// 100 clients renewing 20 s leases. No client gets a NAK, and none goes
// without a lease longer than its own retry (1 s).
func TestRollingRestart(t *testing.T) {
	c := newCluster(t, 3, 20*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lives := c.living(ctx, 100, 0x77)
	waitBound(t, lives, 100, 60*time.Second)
	began := time.Now()
	took := make([]string, 0, len(c.replicas))
	for _, r := range c.replicas {
		at := time.Now()
		r.stop()
		r.start(r.name + "-2")
		took = append(took, fmt.Sprintf("%s %s", r.name, time.Since(at).Round(100*time.Millisecond)))
		time.Sleep(5 * time.Second)
	}
	time.Sleep(20 * time.Second) // a whole lease on the new replicas
	end := time.Now()

	n, longest := gapsAfter(lives, began, end)
	if nak := naks(lives); nak > 0 {
		t.Errorf("%d NAKs during the rolling restart", nak)
	}
	if longest > time.Second {
		t.Errorf("%d clients went without a lease, the longest %s", n, longest)
	}
	if d := duplicates(lives); len(d) > 0 {
		t.Errorf("%d addresses held by two clients at once: %v", len(d), d)
	}
	if m := missingLeases(t, c.kns, end, 5*time.Second, lives); len(m) > 0 {
		t.Errorf("%d leases without their Lease object: %v", len(m), m)
	}
	t.Logf("rolling restart of 3 replicas (replaced and ready: %v) under 100 clients renewing 20s leases: %d NAKs; "+
		"%d clients without a lease at any moment (longest %s); %d addresses held twice", took, naks(lives), n, longest,
		len(duplicates(lives)))
}
