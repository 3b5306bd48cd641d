// Package membership keeps one coordination.k8s.io Lease per kubedhcp
// replica alive and tells the engine which replicas are alive, so that
// the replicas share the clients (balance.Share) and take over the share
// of one that stops. It never stops DHCP: while it cannot reach the
// apiserver it keeps the last view it had.
package membership

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
)

// GroupLabel marks the coordination Leases of one kubedhcp deployment's
// replicas; its value is the group name.
const GroupLabel = "dhcp.kubedhcp.io/replicas-of"

// Defaults of Members.
const (
	DefaultRenew    = 2 * time.Second
	DefaultDuration = 6 * time.Second
)

// Members is this replica's membership: it renews the replica's own Lease
// every Renew, reads the group's Leases every second, and calls OnChange
// with the new Share whenever the set of live replicas changes. A replica
// is alive while its Lease was renewed within its lease duration, as this
// replica observed it (by its own clock, so clock skew between nodes does
// not matter).
type Members struct {
	// Client writes this replica's Lease.
	Client client.Client
	// Reader lists the group's Leases from the apiserver, not a cache.
	Reader    client.Reader
	Namespace string
	// Group names the deployment; its replicas share clients.
	Group string
	// Self is this replica's name (the pod's), the name of its Lease.
	Self string
	// Identity is this run of the replica (the Lease's holder), which a
	// restart changes.
	Identity string
	Renew    time.Duration
	Duration time.Duration
	OnChange func(*balance.Share)
	// KeepOnExit leaves the Lease behind on exit, as a crash does (tests).
	KeepOnExit bool

	mu       sync.Mutex
	share    *balance.Share
	seen     map[string]observed
	lease    *coordinationv1.Lease
	renewed  time.Time
	listedOK bool
}

// observed is what this replica last saw of another's Lease.
type observed struct {
	renew    time.Time // the Lease's renewTime, by the other's clock
	holder   string
	at       time.Time // when this replica saw it change, by its own clock
	duration time.Duration
}

// NeedLeaderElection is false: every replica keeps its own membership.
func (m *Members) NeedLeaderElection() bool { return false }

// Share returns the current view; nil before the first.
func (m *Members) Share() *balance.Share {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.share
}

// Start renews and watches until ctx ends, then deletes this replica's
// Lease so the others take its share at once.
func (m *Members) Start(ctx context.Context) error {
	m.defaults()
	logger := log.FromContext(ctx).WithName("membership")
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		now := time.Now()
		if now.Sub(m.renewed) >= m.Renew {
			if err := m.renew(ctx, now); err != nil && ctx.Err() == nil {
				logger.V(1).Info("renewing this replica's Lease failed", "error", err.Error())
			}
		}
		m.refresh(ctx, logger)
		select {
		case <-ctx.Done():
			m.leave(logger)
			return nil
		case <-t.C:
		}
	}
}

func (m *Members) defaults() {
	if m.Renew == 0 {
		m.Renew = DefaultRenew
	}
	if m.Duration == 0 {
		m.Duration = DefaultDuration
	}
	if m.seen == nil {
		m.seen = map[string]observed{}
	}
}

// renew writes this replica's Lease with renewTime now, creating it when
// missing.
func (m *Members) renew(ctx context.Context, now time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, m.Renew)
	defer cancel()
	l := m.lease
	if l == nil {
		l = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: m.Self, Namespace: m.Namespace,
			Labels: map[string]string{GroupLabel: m.Group}}}
	}
	l = l.DeepCopy()
	secs := int32(m.Duration / time.Second)
	l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds = &m.Identity, &secs
	l.Spec.RenewTime = &metav1.MicroTime{Time: now}
	var err error
	if l.ResourceVersion == "" {
		l.Spec.AcquireTime = &metav1.MicroTime{Time: now}
		err = m.Client.Create(ctx, l)
		if apierrors.IsAlreadyExists(err) {
			err = m.adopt(ctx, l)
		}
	} else {
		err = m.Client.Update(ctx, l)
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			m.lease = nil // read it again, or create it, next time
		}
	}
	if err != nil {
		return err
	}
	m.lease, m.renewed = l, now
	return nil
}

// adopt takes over this replica's Lease left by an earlier run.
func (m *Members) adopt(ctx context.Context, l *coordinationv1.Lease) error {
	cur := &coordinationv1.Lease{}
	if err := m.Reader.Get(ctx, client.ObjectKeyFromObject(l), cur); err != nil {
		return err
	}
	cur.Labels = l.Labels
	cur.Spec = l.Spec
	if err := m.Client.Update(ctx, cur); err != nil {
		return err
	}
	*l = *cur
	return nil
}

// refresh lists the group's Leases and recomputes the share; when the
// list fails the last view stands.
func (m *Members) refresh(ctx context.Context, logger logr.Logger) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var list coordinationv1.LeaseList
	err := m.Reader.List(ctx, &list, client.InNamespace(m.Namespace), client.MatchingLabels{GroupLabel: m.Group})
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		if m.listedOK {
			logger.Info("cannot read the replicas' Leases: keeping the last view", "members", m.share.Members(), "error", err.Error())
		}
		m.listedOK = false
		return
	}
	if !m.listedOK && m.share != nil {
		// Back from an outage: what was seen before it is as old as the
		// outage; give every replica a lease duration to show up.
		for k, o := range m.seen {
			o.at = now
			m.seen[k] = o
		}
	}
	m.listedOK = true
	m.observe(list.Items, now)
	share := balance.New(m.Self, m.alive(now))
	if share.Equal(m.share) {
		return
	}
	logger.Info("replicas changed", "members", share.Members(), "buckets", share.Buckets()[m.Self])
	m.share = share
	if m.OnChange != nil {
		m.OnChange(share)
	}
}

// observe records each Lease's latest renewal, stamped with this
// replica's clock when it changed.
func (m *Members) observe(items []coordinationv1.Lease, now time.Time) {
	present := map[string]bool{}
	for i := range items {
		l := &items[i]
		if l.Spec.RenewTime == nil || l.Spec.LeaseDurationSeconds == nil || l.DeletionTimestamp != nil {
			continue
		}
		present[l.Name] = true
		o := observed{renew: l.Spec.RenewTime.Time, duration: time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second}
		if l.Spec.HolderIdentity != nil {
			o.holder = *l.Spec.HolderIdentity
		}
		prev, ok := m.seen[l.Name]
		switch {
		case !ok:
			// First sight: a Lease renewed long ago is as old as it says;
			// one stamped ahead of this clock is fresh.
			o.at = now
			if o.renew.Before(now) {
				o.at = o.renew
			}
		case prev.renew.Equal(o.renew) && prev.holder == o.holder:
			o.at = prev.at
		default:
			o.at = now
		}
		m.seen[l.Name] = o
	}
	for k := range m.seen {
		if !present[k] {
			delete(m.seen, k)
		}
	}
}

// alive returns the replicas whose Lease was renewed within its duration.
func (m *Members) alive(now time.Time) []string {
	var out []string
	for name, o := range m.seen {
		if now.Sub(o.at) < o.duration {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// leave deletes this replica's Lease, unless KeepOnExit.
func (m *Members) leave(logger logr.Logger) {
	if m.KeepOnExit || m.lease == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := m.Client.Delete(ctx, m.lease); err != nil && !apierrors.IsNotFound(err) {
		logger.Info("could not delete this replica's Lease; the others take its share when it lapses", "error", err.Error())
	}
}
