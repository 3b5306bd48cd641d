package membership_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubedhcp/kubedhcp/controllers/membership"
	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
	"github.com/kubedhcp/kubedhcp/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	klog.SetLogger(logr.Discard())
	testenv.Main(m, &env, testenv.Restartable())
}

// replica is one running Members and the shares it reported.
type replica struct {
	m      *membership.Members
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	shares []*balance.Share
}

func start(t *testing.T, ns, name string, keep bool) *replica {
	t.Helper()
	c, err := client.New(env.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{done: make(chan struct{})}
	r.m = &membership.Members{Client: c, Reader: c, Namespace: ns, Group: "g", Self: name, Identity: name + "_1",
		KeepOnExit: keep, OnChange: func(s *balance.Share) { r.mu.Lock(); r.shares = append(r.shares, s); r.mu.Unlock() }}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { defer close(r.done); _ = r.m.Start(ctx) }()
	t.Cleanup(r.stop)
	return r
}

func (r *replica) stop() {
	r.cancel()
	<-r.done
}

func (r *replica) changes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.shares)
}

func members(r *replica) []string { return r.m.Share().Members() }

func namespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "members-"}}
	if err := env.Client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// until polls cond every 100 ms for at most within and returns how long
// it took.
func until(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	began := time.Now()
	for !cond() {
		if time.Since(began) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(began)
}

func sees(r *replica, want ...string) func() bool {
	return func() bool {
		got := members(r)
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
}

// Replicas see each other within a renewal; one that dies without a word
// is dropped once its Lease lapses, one that leaves cleanly at once, and
// one that comes back is taken in again.
func TestJoinLapseLeaveReturn(t *testing.T) {
	ns := namespace(t)
	a := start(t, ns, "a", false)
	b := start(t, ns, "b", true)
	until(t, 5*time.Second, "a sees a and b", sees(a, "a", "b"))
	until(t, 5*time.Second, "b sees a and b", sees(b, "a", "b"))
	if a.m.Share().Buckets()["a"]+a.m.Share().Buckets()["b"] != 256 {
		t.Fatal("the buckets do not add up")
	}

	b.stop() // as kill -9: its Lease stays
	l := &coordinationLease{}
	lapse := l.lapse(t, ns, "b")
	took := until(t, 12*time.Second, "a drops b", sees(a, "a"))
	t.Logf("b stopped; a took its share %s later, %s after b's Lease lapsed",
		took.Round(100*time.Millisecond), time.Since(lapse).Round(100*time.Millisecond))
	if time.Since(lapse) > 5*time.Second {
		t.Errorf("a took b's share %s after b's Lease lapsed, want within 5s", time.Since(lapse))
	}
	if a.m.Share().Buckets()["a"] != 256 {
		t.Errorf("a alone serves %d buckets", a.m.Share().Buckets()["a"])
	}

	b2 := start(t, ns, "b", false)
	t.Logf("b back: a shares again after %s", until(t, 5*time.Second, "a takes b in again", sees(a, "a", "b")).Round(100*time.Millisecond))
	until(t, 5*time.Second, "b sees a", sees(b2, "a", "b"))

	a.stop() // cleanly: its Lease is deleted
	t.Logf("a left cleanly: b alone after %s", until(t, 3*time.Second, "b drops a at once", sees(b2, "b")).Round(100*time.Millisecond))
}

// While the apiserver is away no replica changes its view: each keeps
// answering its own share, and none takes another's.
func TestOutageKeepsTheView(t *testing.T) {
	ns := namespace(t)
	a := start(t, ns, "a", false)
	b := start(t, ns, "b", false)
	until(t, 5*time.Second, "a sees a and b", sees(a, "a", "b"))
	until(t, 5*time.Second, "b sees a and b", sees(b, "a", "b"))
	before := a.changes() + b.changes()
	if err := env.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	for time.Since(down) < 15*time.Second {
		if !sees(a, "a", "b")() || !sees(b, "a", "b")() {
			t.Fatalf("the view changed %s into the outage: a %v, b %v", time.Since(down), members(a), members(b))
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err := env.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	for time.Since(back) < 10*time.Second {
		if !sees(a, "a", "b")() || !sees(b, "a", "b")() {
			t.Fatalf("the view changed %s after the return: a %v, b %v", time.Since(back), members(a), members(b))
		}
		time.Sleep(500 * time.Millisecond)
	}
	if after := a.changes() + b.changes(); after != before {
		t.Errorf("%d changes of view across the outage, want none", after-before)
	}
}

type coordinationLease struct{}

// lapse returns when a replica's membership Lease lapses.
func (coordinationLease) lapse(t *testing.T, ns, name string) time.Time {
	t.Helper()
	l := &coordinationv1.Lease{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, l); err != nil {
		t.Fatal(err)
	}
	return l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second)
}
