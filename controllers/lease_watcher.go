package controllers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/leasestore"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Bindings is the part of the engine's allocator the lease watcher feeds.
type Bindings interface {
	Observe(lease.Binding)
	Deleted(lease.Binding)
	// HoldOut keeps an address out of service while key says so.
	HoldOut(addr netip.Addr, key string)
	// EndHoldOut ends a HoldOut.
	EndHoldOut(key string)
}

// Loader is the engine, told when it has every stored binding.
type Loader interface {
	// SetLoaded marks the engine loaded: every stored binding has
	// reached its allocator.
	SetLoaded()
	// SetPartial lets the engine serve before that, looking up each
	// address it knows nothing of.
	SetPartial()
}

// EventUnusableLease is the reason of the Event on a Lease object that
// cannot be used as a binding.
const EventUnusableLease = "UnusableLease"

// LeaseWatcher keeps the engine's bindings in step with Lease objects. The
// informer's initial list loads the engine: each Lease reaches the
// allocator through the handler, with no list copied out of the cache, and
// the engine is marked loaded once the handler has seen them all. Later
// events bring Leases written by another replica or the sweeper, and a
// Lease deleted by hand revokes its binding. It runs on every replica.
//
// Stored state is input, not trust: a Lease object that does not read as a
// binding, or that is not under its address's Lease name, is skipped and
// reported (a log line, an Event on it, the kubedhcp_unusable_leases
// gauge and the UnusableLeases condition of its Subnet), and the address
// it names is kept out of service while it stays. It never stops a start.
type LeaseWatcher struct {
	Cache    cache.Cache
	Bindings Bindings
	Engine   Loader
	// Recorder, when set, records an Event on each unusable Lease.
	Recorder events.EventRecorder
	// Partial, when set, tells whether the engine serves partially.
	Partial func() bool
	// Metrics, when set, gets the number of unusable Leases.
	Metrics *Metrics
	// ListFailures, when set, tells of the informer's failed lists: when
	// kube-apiserver cannot decode a stored Lease it lists none (nor
	// watches any) until that one is deleted, and the engine then serves
	// partially (engine.SetPartial), each address looked up on its own.
	ListFailures *ListFailures
	// History, when set, hears of each active binding whose Lease was
	// deleted (revoked), logged by the replica Owns says holds its address
	// in its share, so that one line tells of it.
	History logr.Logger
	Owns    func(netip.Addr) bool

	logger   logr.Logger
	mu       sync.Mutex
	unusable map[string]UnusableLease // by Lease name
}

// UnusableLease is a Lease object the watcher skipped.
type UnusableLease struct {
	// Unlisted says kube-apiserver cannot decode it, so it fails every
	// list instead of reaching the watcher.
	Unlisted bool
	// Name is the Lease object's name.
	Name string
	// Subnet and Addr are what it names, as far as it can be read.
	Subnet string
	Addr   netip.Addr
	// Why it cannot be used.
	Why string
}

// +kubebuilder:rbac:groups=dhcp.kubedhcp.io,resources=dhcpleases,verbs=get;list;watch;create;update;patch;delete

// Start registers the informer handlers, waits until they have seen every
// Lease, and marks the engine loaded; it is a manager Runnable.
func (w *LeaseWatcher) Start(ctx context.Context) error {
	w.logger = log.FromContext(ctx).WithName("leases")
	start := time.Now()
	if w.ListFailures != nil {
		w.ListFailures.Listen(w.listFailed)
	}
	// Not blocking until synced: a list that keeps failing must reach
	// listFailed while this waits.
	inf, err := w.Cache.GetInformer(ctx, &dhcpv1alpha1.Lease{}, cache.BlockUntilSynced(false))
	if err != nil {
		return fmt.Errorf("watching leases: %w", err)
	}
	reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { w.observe(obj) },
		UpdateFunc: func(_, obj any) { w.observe(obj) },
		DeleteFunc: w.deleted,
	})
	if err != nil {
		return fmt.Errorf("watching leases: %w", err)
	}
	if !toolscache.WaitForCacheSync(ctx.Done(), reg.HasSynced) {
		return fmt.Errorf("lease cache did not sync")
	}
	w.forgiveUnlisted()
	w.Engine.SetLoaded()
	w.logger.Info("loaded every lease", "took", time.Since(start).String(), "unusable", len(w.Unusable()))
	<-ctx.Done()
	return nil
}

func (w *LeaseWatcher) observe(obj any) {
	l, ok := obj.(*dhcpv1alpha1.Lease)
	if !ok {
		return
	}
	b, err := leasestore.Usable(l)
	if err != nil {
		w.skip(l, err)
		return
	}
	w.forgive(l.Name)
	w.Bindings.Observe(b)
}

// skip reports an unusable Lease and holds its address out.
func (w *LeaseWatcher) skip(l *dhcpv1alpha1.Lease, why error) {
	subnet, addr := leasestore.Names(l)
	if !w.record(UnusableLease{Name: l.Name, Subnet: subnet, Addr: addr, Why: why.Error()}) {
		return
	}
	w.logger.Error(why, "skipping a Lease that cannot be used as a binding; its address is kept out of service while it stays",
		"lease", l.Name, "subnet", subnet, "ip", addr.String())
	if w.Recorder != nil {
		w.Recorder.Eventf(l, nil, corev1.EventTypeWarning, EventUnusableLease, "Load",
			"%s; %s is kept out of service until this Lease is deleted or fixed", why, addrOrNone(addr))
	}
}

// record remembers an unusable Lease and holds out the address it names;
// it reports whether that is news.
func (w *LeaseWatcher) record(u UnusableLease) bool {
	w.mu.Lock()
	if w.unusable == nil {
		w.unusable = map[string]UnusableLease{}
	}
	prev, seen := w.unusable[u.Name]
	w.unusable[u.Name] = u
	n := len(w.unusable)
	w.mu.Unlock()
	if u.Addr.IsValid() {
		w.Bindings.HoldOut(u.Addr, u.Name)
	} else {
		w.Bindings.EndHoldOut(u.Name)
	}
	w.gauge(n)
	return !seen || prev != u
}

func addrOrNone(a netip.Addr) string {
	if a.IsValid() {
		return a.String()
	}
	return "no address"
}

// forgive ends the skip of a Lease that is usable now, or gone.
func (w *LeaseWatcher) forgive(name string) {
	w.mu.Lock()
	_, was := w.unusable[name]
	delete(w.unusable, name)
	n := len(w.unusable)
	w.mu.Unlock()
	if was {
		w.Bindings.EndHoldOut(name)
		w.gauge(n)
	}
}

func (w *LeaseWatcher) gauge(n int) {
	if w.Metrics != nil {
		w.Metrics.UnusableLeases.Set(float64(n))
	}
}

func (w *LeaseWatcher) deleted(obj any) {
	if t, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	l, ok := obj.(*dhcpv1alpha1.Lease)
	if !ok {
		return
	}
	w.forgive(l.Name)
	if b, err := leasestore.Usable(l); err == nil {
		w.Bindings.Deleted(b)
		if b.State == lease.Bound && b.Active(time.Now()) && w.History.GetSink() != nil && (w.Owns == nil || w.Owns(b.Addr)) {
			lease.LogChange(w.History, lease.EventRevoked, &b)
		}
	}
}

// listFailed hears of a failed list of Leases. kube-apiserver names each
// stored Lease it cannot decode (reason StorageReadError, a cause per
// key): each is skipped, its address held out, and the engine serves
// partially until a list succeeds.
func (w *LeaseWatcher) listFailed(err error) {
	keys := corruptKeys(err)
	if len(keys) == 0 {
		return
	}
	for _, key := range keys {
		name := key[strings.LastIndex(key, "/")+1:]
		subnet, addr := leasestore.Names(&dhcpv1alpha1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name}})
		w.skipUnlisted(UnusableLease{Unlisted: true, Name: name, Subnet: subnet, Addr: addr,
			Why: "kube-apiserver cannot decode the stored object, and until it is deleted lists and watches of Leases fail: " +
				"delete it with DeleteOptions ignoreStoreReadErrorWithClusterBreakingPotential (the apiserver's feature " +
				"AllowUnsafeMalformedObjectDeletion)"})
	}
	if w.Partial != nil && !w.Partial() {
		w.logger.Error(err, "serving partially: kube-apiserver lists no Leases, each address is looked up when a client asks for it", "unreadable", keys)
	}
	w.Engine.SetPartial()
}

// corruptKeys returns the etcd keys of the objects a StorageReadError
// names.
func corruptKeys(err error) []string {
	var st apierrors.APIStatus
	if !apierrors.IsStoreReadError(err) || !errors.As(err, &st) || st.Status().Details == nil {
		return nil
	}
	var keys []string
	for _, c := range st.Status().Details.Causes {
		if strings.HasPrefix(c.Field, "/") {
			keys = append(keys, c.Field)
		}
	}
	return keys
}

func (w *LeaseWatcher) skipUnlisted(u UnusableLease) {
	if w.record(u) {
		w.logger.Error(errors.New(u.Why), "skipping a Lease kube-apiserver cannot read; its address is kept out of service",
			"lease", u.Name, "subnet", u.Subnet, "ip", u.Addr.String())
	}
}

// forgiveUnlisted ends the skips of Leases that failed lists: a list
// succeeded, so they are gone.
func (w *LeaseWatcher) forgiveUnlisted() {
	for _, u := range w.Unusable() {
		if u.Unlisted {
			w.forgive(u.Name)
		}
	}
}

// Unusable returns the Leases skipped now, by name.
func (w *LeaseWatcher) Unusable() []UnusableLease {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]UnusableLease, 0, len(w.unusable))
	for _, u := range w.unusable {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NeedLeaderElection is false: standbys keep their bindings warm too.
func (w *LeaseWatcher) NeedLeaderElection() bool { return false }
