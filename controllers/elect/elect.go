// Package elect runs the jobs that must run on one replica at a time (the
// Lease sweeper, the status writer) on the replica that holds a
// coordination Lease. Losing the Lease stops the jobs and the replica
// stands for election again: it never ends the process, and DHCP, which
// every replica answers, never depends on it.
package elect

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Jobs runs Runnables while this replica is the elected one.
type Jobs struct {
	Config    *rest.Config
	Namespace string
	// Name is the coordination Lease's name.
	Name string
	// Identity is this replica's run; it must differ between replicas.
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod tune the election;
	// zero: 15s, 10s, 2s.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// KeepOnExit does not release the Lease on exit, as after a crash.
	KeepOnExit bool
	Runnables  []manager.Runnable

	mu      sync.Mutex
	leading bool
}

// NeedLeaderElection is false: every replica stands for election.
func (j *Jobs) NeedLeaderElection() bool { return false }

// Leading reports whether this replica runs the jobs now.
func (j *Jobs) Leading() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.leading
}

// Start stands for election until ctx ends; while elected it runs the
// jobs, and when it loses the Lease it stops them and stands again.
func (j *Jobs) Start(ctx context.Context) error {
	logger := logr.FromContextOrDiscard(ctx).WithName("elect")
	cs, err := kubernetes.NewForConfig(j.Config)
	if err != nil {
		return err
	}
	lock := &resourcelock.LeaseLock{Client: cs.CoordinationV1(), LockConfig: resourcelock.ResourceLockConfig{Identity: j.Identity}}
	lock.LeaseMeta.Name, lock.LeaseMeta.Namespace = j.Name, j.Namespace
	for ctx.Err() == nil {
		// started and finished bracket one term's jobs, so the next term
		// never overlaps this one's.
		started, finished := make(chan struct{}), make(chan struct{})
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock: lock, LeaseDuration: or(j.LeaseDuration, 15*time.Second), RenewDeadline: or(j.RenewDeadline, 10*time.Second),
			RetryPeriod: or(j.RetryPeriod, 2*time.Second), ReleaseOnCancel: !j.KeepOnExit, Name: j.Name,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(lctx context.Context) {
					close(started)
					defer close(finished)
					j.setLeading(true)
					logger.Info("elected: running the sweeper and the status writer")
					j.run(lctx, logger)
				},
				OnStoppedLeading: func() { j.setLeading(false) },
			},
		})
		if err != nil {
			return err
		}
		le.Run(ctx)
		select {
		case <-started:
			<-finished
		default:
		}
		if ctx.Err() == nil {
			logger.Info("lost the election: the jobs stopped, DHCP goes on; standing again")
		}
	}
	return nil
}

func (j *Jobs) setLeading(v bool) {
	j.mu.Lock()
	j.leading = v
	j.mu.Unlock()
}

// run runs every job until ctx ends.
func (j *Jobs) run(ctx context.Context, logger logr.Logger) {
	var wg sync.WaitGroup
	for _, r := range j.Runnables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Start(ctx); err != nil {
				logger.Error(err, "a job stopped")
			}
		}()
	}
	wg.Wait()
}

func or(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
