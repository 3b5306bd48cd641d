package elect_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/kubedhcp/kubedhcp/controllers/elect"
	"github.com/kubedhcp/kubedhcp/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	klog.SetLogger(logr.Discard())
	testenv.Main(m, &env, testenv.Restartable())
}

// job counts how many of it run at once, across replicas.
type job struct{ running *atomic.Int32 }

func (j job) Start(ctx context.Context) error {
	j.running.Add(1)
	defer j.running.Add(-1)
	<-ctx.Done()
	return nil
}

// One replica at a time runs the jobs. When the apiserver goes away the
// elected one stops them once it cannot renew, without returning (the
// process goes on); when it comes back one replica runs them again.
func TestJobsRunOnceAndSurviveALostElection(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "elect-"}}
	if err := env.Client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	var running atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan string, 2)
	replicas := make([]*elect.Jobs, 0, 2)
	for _, id := range []string{"a", "b"} {
		j := &elect.Jobs{Config: env.Config, Namespace: ns.Name, Name: "jobs", Identity: id,
			LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 500 * time.Millisecond,
			Runnables: []manager.Runnable{job{&running}}}
		replicas = append(replicas, j)
		go func() { _ = j.Start(ctx); exited <- id }()
	}
	waitFor(t, 10*time.Second, "one replica runs the jobs", func() bool { return running.Load() == 1 })
	check := func(when string) {
		if n := running.Load(); n > 1 {
			t.Fatalf("%s: the jobs run on %d replicas", when, n)
		}
	}
	for range 10 {
		check("elected")
		time.Sleep(200 * time.Millisecond)
	}

	if err := env.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the jobs stop once the election cannot be renewed", func() bool { return running.Load() == 0 })
	select {
	case id := <-exited:
		t.Fatalf("replica %s returned when it lost the election", id)
	case <-time.After(2 * time.Second):
	}
	if err := env.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "a replica runs the jobs again", func() bool { return running.Load() == 1 })
	for range 10 {
		check("re-elected")
		time.Sleep(200 * time.Millisecond)
	}
	if replicas[0].Leading() == replicas[1].Leading() {
		t.Error("Leading() should be true on exactly one replica")
	}
	cancel()
	for range 2 {
		<-exited
	}
	if running.Load() != 0 {
		t.Error("jobs still running after the replicas stopped")
	}
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
