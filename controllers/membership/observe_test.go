package membership

import (
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func lease(name string, renew time.Time) coordinationv1.Lease {
	holder, secs := name+"_run", int32(6)
	return coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, RenewTime: &metav1.MicroTime{Time: renew}}}
}

// A replica is alive while its Lease changed within its duration, as
// this replica's clock saw the change: another node's clock may be off.
func TestAliveByOwnClock(t *testing.T) {
	m := &Members{Self: "a"}
	m.defaults()
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	m.observe([]coordinationv1.Lease{
		lease("fresh", now.Add(-time.Second)),
		lease("stale", now.Add(-time.Minute)),    // left behind by a crash long ago
		lease("ahead", now.Add(time.Hour)),       // its node's clock is an hour fast
		lease("behind", now.Add(-5*time.Second)), // renewed, by a slow clock
	}, now)
	if got := m.alive(now); !equal(got, "ahead", "behind", "fresh") {
		t.Fatalf("alive at first sight: %v", got)
	}
	// 6 s later: only Leases that changed meanwhile are alive.
	later := now.Add(6 * time.Second)
	m.observe([]coordinationv1.Lease{
		lease("fresh", now.Add(time.Second)),
		lease("stale", now.Add(-time.Minute)),
		lease("ahead", now.Add(time.Hour)), // not renewed since
		lease("behind", now.Add(-5*time.Second)),
	}, later)
	if got := m.alive(later); !equal(got, "fresh") {
		t.Fatalf("alive 6s on: %v", got)
	}
	// A Lease deleted (a replica that left cleanly) is gone at once.
	m.observe(nil, later)
	if got := m.alive(later); len(got) != 0 {
		t.Fatalf("alive after every Lease was deleted: %v", got)
	}
}

func equal(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
