// Package app wires the kubedhcp manager: the controller-runtime manager,
// the lease store, the DHCP engine and transport, and the controllers that
// join them. cmd/kubedhcp parses flags into Options; tests call Run.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	ipamv1 "sigs.k8s.io/cluster-api/api/ipam/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	externaldnsv1alpha1 "sigs.k8s.io/external-dns/apis/v1alpha1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers"
	"github.com/kubedhcp/kubedhcp/controllers/decode"
	"github.com/kubedhcp/kubedhcp/controllers/dnsrecords"
	"github.com/kubedhcp/kubedhcp/controllers/elect"
	"github.com/kubedhcp/kubedhcp/controllers/ipam"
	"github.com/kubedhcp/kubedhcp/controllers/leasestore"
	"github.com/kubedhcp/kubedhcp/controllers/membership"
	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	dhcpmetrics "github.com/kubedhcp/kubedhcp/dhcpserver/metrics"
	"github.com/kubedhcp/kubedhcp/dhcpserver/probe"
	"github.com/kubedhcp/kubedhcp/dhcpserver/serve"
	"github.com/kubedhcp/kubedhcp/dhcpserver/transport"
)

// The stores --lease-store names.
const (
	storeKubernetes = "kubernetes"
	storeMemory     = "memory"
)

// Options configure the manager; see the flags in cmd/kubedhcp.
type Options struct {
	Namespace   string
	Interfaces  []string
	DHCPAddr    netip.AddrPort
	Workers     int
	MetricsAddr string
	// MetricsSecure serves metrics over HTTPS to clients the apiserver
	// authenticates and authorizes (TokenReview, SubjectAccessReview of
	// get on the non-resource URL /metrics).
	MetricsSecure bool
	ProbeAddr     string
	// PprofAddr serves net/http/pprof; empty or "0" turns it off.
	PprofAddr string
	// ReplicaName names this replica among the deployment's (the pod's
	// name); the replicas share the clients (see controllers/membership).
	ReplicaName string
	// ReplicaGroup names the deployment whose replicas share clients.
	ReplicaGroup string
	// LeaderElect runs the jobs that must run once (the Lease sweeper, the
	// status writer) on one elected replica; every replica answers DHCP
	// either way.
	LeaderElect      bool
	LeaderElectionID string
	// LeaseDuration, RenewDeadline and RetryPeriod tune that election;
	// zero: 15s, 10s, 2s.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	QPS                                       float32
	Burst                                     int
	// LeaseQPS and LeaseBurst limit the Lease store's own client: every
	// REQUEST that binds waits for its write, so a DHCP storm should be
	// limited by the apiserver (and its priority and fairness), not here.
	LeaseQPS       float32
	LeaseBurst     int
	LeaseStore     string
	Ping           bool
	Engine         engine.Settings
	StatusInterval time.Duration
	SweepInterval  time.Duration
	Retention      time.Duration
	// Spares is how many addresses of each pool this replica claims in
	// advance, to bind new clients while the apiserver is out of reach;
	// SpareTTL how long each is stored for between renewals.
	Spares   int
	SpareTTL time.Duration
	// ProbeInterval is how often each replica probes the interfaces its
	// Subnets are served on (0: never).
	ProbeInterval time.Duration
	// BindingLog logs every binding change as one line (logger
	// "history"): who had which address when.
	BindingLog bool
	// IPAM answers Cluster API IPAddressClaims that name a Pool (the
	// ipam.cluster.x-k8s.io CRDs must be installed).
	IPAM bool
	// ClaimWait is how long a claim outside this replica's share is left
	// to the replica whose share it is in.
	ClaimWait time.Duration
	// Test holds what only tests set.
	Test TestHooks
	// RESTConfig connects to the apiserver; nil: the usual kubeconfig
	// discovery (flag, KUBECONFIG, in-cluster).
	RESTConfig *rest.Config
	Log        logr.Logger
}

// TestHooks are the options only tests set.
type TestHooks struct {
	// InNetns, when set, runs the DHCP listeners' and the pinger's socket
	// creation, and the look-up of interfaces, inside another network
	// namespace.
	InNetns func(func() error) error
	// KeepLeaseOnExit leaves this replica's membership Lease and its
	// election Lease behind on exit, as a crash does.
	KeepLeaseOnExit bool
}

// Defaults returns Options with every default filled in.
func Defaults() Options {
	return Options{
		DHCPAddr:         netip.AddrPortFrom(netip.IPv4Unspecified(), 67),
		MetricsAddr:      ":8443",
		MetricsSecure:    true,
		ProbeAddr:        "127.0.0.1:8081",
		ReplicaName:      DefaultReplicaName(),
		ReplicaGroup:     "kubedhcp",
		LeaderElect:      true,
		LeaderElectionID: "kubedhcp.dhcp.kubedhcp.io",
		QPS:              500,
		Burst:            1000,
		LeaseQPS:         5000,
		LeaseBurst:       10000,
		LeaseStore:       storeKubernetes,
		Ping:             true,
		StatusInterval:   2 * time.Second,
		SweepInterval:    30 * time.Second,
		Retention:        time.Hour,
		Spares:           32,
		SpareTTL:         time.Hour,
		ClaimWait:        3 * time.Second,
		BindingLog:       true,
		ProbeInterval:    30 * time.Second,
	}
}

// OwnNamespace returns the namespace the pod runs in: $POD_NAMESPACE, else
// the service account's, else "default".
func OwnNamespace() string {
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	if b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil {
		return strings.TrimSpace(string(b))
	}
	return "default"
}

// DefaultReplicaName is $POD_NAME, else the host's name with a random
// suffix, so that two runs on one host are two replicas.
func DefaultReplicaName() string {
	if n := os.Getenv("POD_NAME"); n != "" {
		return n
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "kubedhcp"
	}
	return strings.ToLower(host) + "-" + rand.Text()[:6]
}

// Scheme knows the built-in kinds and kubedhcp's.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = dhcpv1alpha1.AddToScheme(s)
	_ = ipamv1.AddToScheme(s)
	_ = externaldnsv1alpha1.AddToScheme(s)
	// ExternalDNS's scheme builder registers its kinds only, not the
	// options (GetOptions, ListOptions) a client sends for them.
	metav1.AddToGroupVersion(s, externaldnsv1alpha1.GroupVersion)
	return s
}

// allMetrics are the DHCP server's and the controllers' metrics.
type allMetrics struct {
	dhcp *dhcpmetrics.Metrics
	ctrl *controllers.Metrics
}

var (
	metricsOnce sync.Once
	metrics     allMetrics
)

// sharedMetrics registers kubedhcp's metrics once per process (tests run
// several managers in one), with controller-runtime's registry, whose
// endpoint serves them.
func sharedMetrics() allMetrics {
	metricsOnce.Do(func() {
		metrics = allMetrics{dhcp: dhcpmetrics.New(crmetrics.Registry), ctrl: controllers.NewMetrics(crmetrics.Registry)}
	})
	return metrics
}

// Run runs the manager until ctx ends.
func Run(ctx context.Context, o Options) error {
	ctx = logr.NewContext(ctx, o.Log)
	cfg := o.RESTConfig
	if cfg == nil {
		var err error
		if cfg, err = ctrl.GetConfig(); err != nil {
			return fmt.Errorf("finding the apiserver: %w", err)
		}
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = o.QPS, o.Burst
	metrics := sharedMetrics()
	skipped := func(resource string, err error) {
		metrics.ctrl.Skipped.WithLabelValues(resource).Inc()
		o.Log.Error(err, "skipping a stored object that names nothing", "resource", resource)
	}
	leaseLists := &controllers.ListFailures{}
	newInformer, err := decode.NewInformerFunc(cfg, dhcpv1alpha1.GroupVersion, o.Namespace,
		append([]decode.Kind{leasestore.Kind}, controllers.ConfigKinds...), skipped, leaseLists.Failed)
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: Scheme(),
		Logger: o.Log,
		// Nothing reads managedFields. Leases have a cache of their own
		// (leaseCache): a Lease list that cannot finish must not hold up
		// the configuration, and the manager's cache waits for all it
		// holds.
		Cache: cache.Options{DefaultNamespaces: map[string]cache.Config{o.Namespace: {}},
			DefaultTransform: cache.TransformStripManagedFields(), NewInformer: newInformer},
		Client:                 client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&dhcpv1alpha1.Lease{}}}},
		Metrics:                metricsOptions(o),
		HealthProbeBindAddress: o.ProbeAddr,
		PprofBindAddress:       o.PprofAddr,
		// No manager-wide election: every replica answers DHCP, and
		// losing an election must never end the process (elect.Jobs).
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	leases, err := leaseCache(mgr, o, newInformer)
	if err != nil {
		return err
	}
	w, err := wire(mgr, cfg, o, leases, leaseLists)
	if err != nil {
		return err
	}
	if err := addProbes(mgr, w); err != nil {
		return err
	}
	o.Log.Info("starting", "namespace", o.Namespace, "replica", o.ReplicaName, "interfaces", o.Interfaces, "leaseStore", o.LeaseStore)
	return mgr.Start(ctx)
}

// leaseCache returns a cache of the namespace's Leases, each kept as a
// binding needs it (100,000 of them are the bulk of the heap), and adds
// it to the manager.
func leaseCache(mgr manager.Manager, o Options, newInformer decode.InformerFunc) (cache.Cache, error) {
	c, err := cache.New(mgr.GetConfig(), cache.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(),
		DefaultNamespaces: map[string]cache.Config{o.Namespace: {}},
		ByObject:          map[client.Object]cache.ByObject{&dhcpv1alpha1.Lease{}: {Transform: leasestore.Compact}},
		NewInformer:       newInformer})
	if err != nil {
		return nil, fmt.Errorf("creating the lease cache: %w", err)
	}
	if err := mgr.Add(everyReplica{c}); err != nil {
		return nil, fmt.Errorf("adding the lease cache: %w", err)
	}
	return c, nil
}

// everyReplica runs a cache on every replica, leader or not (a cache with
// per-object settings does not say so itself, and would run on the
// leader only).
type everyReplica struct{ cache.Cache }

// NeedLeaderElection implements manager.LeaderElectionRunnable.
func (everyReplica) NeedLeaderElection() bool { return false }

// metricsOptions serves metrics as the options say: over HTTPS with a
// self-signed certificate, to clients the apiserver authenticates and
// authorizes, unless MetricsSecure is off. Anything on the host network
// is reachable by the DHCP clients.
func metricsOptions(o Options) metricsserver.Options {
	m := metricsserver.Options{BindAddress: o.MetricsAddr, SecureServing: o.MetricsSecure}
	if o.MetricsSecure {
		m.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	return m
}

// wired are the parts Run's probes look at.
type wired struct {
	engine *engine.Engine
	server *serve.Server
	mgr    manager.Manager
	health *controllers.StoreHealth
	probe  *controllers.SelfProbe
}

// wire builds every part in the order they depend on one another, each
// with what it needs, and adds the runnables to the manager.
func wire(mgr manager.Manager, cfg *rest.Config, o Options, leaseCache cache.Cache, leaseLists *controllers.ListFailures) (*wired, error) {
	metrics := sharedMetrics()
	store, err := newStore(mgr, cfg, o, leaseCache)
	if err != nil {
		return nil, err
	}
	history := logr.Discard()
	if o.BindingLog {
		history = o.Log.WithName("history")
		store = lease.WithHistory(store, history)
	}
	health := &controllers.StoreHealth{Reader: mgr.GetAPIReader(), Namespace: o.Namespace, Interval: 5 * time.Second, Metrics: metrics.ctrl}
	recorder := mgr.GetEventRecorder("kubedhcp")
	obs := &controllers.EventObserver{Reader: mgr.GetClient(), Recorder: recorder, Namespace: o.Namespace, Interval: 10 * time.Second,
		Metrics: metrics.ctrl}
	run := o.ReplicaName + "_" + rand.Text()[:8]
	eng := engine.New(metrics.dhcp.InstrumentStore(store, health.Observe), append(engineOptions(o, obs), engine.WithIdentity(run))...)
	health.OnChange = eng.SetStoreDown
	bindings := bindingsLoader(o, leaseCache, eng, store, recorder, metrics.ctrl, leaseLists, history)
	status := &controllers.StatusReporter{Client: mgr.GetClient(), Namespace: o.Namespace, Usage: eng.Allocator(),
		Recorder: recorder, Metrics: metrics.ctrl, Interval: o.StatusInterval, Leases: bindings.unusable, Store: health}
	ifaces := controllers.NewHostInterfaces(o.Interfaces, o.Test.InNetns, 10*time.Second)
	cr := controllers.NewConfigReconciler(mgr.GetClient(), o.Namespace, ifaces, eng, status.SetBuilt)
	if err := cr.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the config controller: %w", err)
	}
	srv := serve.New(eng, transport.Config{Interfaces: o.Interfaces, Addr: o.DHCPAddr, Workers: workers(o), Handler: eng,
		Observer: metrics.dhcp, Log: o.Log.WithName("dhcp")}, o.Test.InNetns)
	sweeper := &controllers.Sweeper{Bindings: eng.Allocator(), Store: store, Interval: o.SweepInterval, Retention: o.Retention,
		Now: time.Now, Metrics: metrics.ctrl}
	members := newMembers(mgr, o, run, eng, metrics.ctrl)
	status.Share = members.Share
	spares := &controllers.SpareKeeper{Engine: eng, PerPool: spareCount(o), TTL: o.SpareTTL, Interval: 2 * time.Second,
		Replicas: func() int { return len(members.Share().Members()) }, Metrics: metrics.ctrl}
	pinner := &controllers.Pinner{Client: mgr.GetClient(), Namespace: o.Namespace, Recorder: recorder}
	if err := pinner.SetupWithManager(mgr, leaseCache); err != nil {
		return nil, fmt.Errorf("setting up the pin controller: %w", err)
	}
	var sp *controllers.SelfProbe
	if o.ProbeInterval > 0 {
		sp = newSelfProbe(mgr, o, eng, recorder, metrics.ctrl)
		status.Rogues = sp.Rogues
		if err := mgr.Add(sp); err != nil {
			return nil, err
		}
	}
	if o.IPAM {
		if err := addIPAM(mgr, o, eng, members, recorder); err != nil {
			return nil, err
		}
	}
	dns := &dnsrecords.Publisher{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Namespace: o.Namespace, Bindings: eng.Allocator(), Interval: 5 * time.Second,
		Now: time.Now, Log: o.Log.WithName("dns"), Refused: func(subnet string, n int) { metrics.ctrl.DNSRefused.WithLabelValues(subnet).Set(float64(n)) }}
	for _, r := range append([]manager.Runnable{obs, ifaces, health, bindings.runnable, members, spares, srv}, once(mgr, o, run, status, sweeper, dns)...) {
		if err := mgr.Add(r); err != nil {
			return nil, fmt.Errorf("adding a runnable: %w", err)
		}
	}
	return &wired{engine: eng, server: srv, mgr: mgr, health: health, probe: sp}, nil
}

// newSelfProbe probes the served interfaces for this server's own answer
// and for other DHCP servers.
func newSelfProbe(mgr manager.Manager, o Options, eng *engine.Engine, recorder events.EventRecorder, m *controllers.Metrics) *controllers.SelfProbe {
	window := min(2*time.Second, o.ProbeInterval/2)
	return &controllers.SelfProbe{Config: eng.Snapshot, Replica: o.ReplicaName, Interval: o.ProbeInterval, Window: window,
		Client: mgr.GetClient(), Namespace: o.Namespace, Recorder: recorder, Answered: m.ProbeAnswered, Log: o.Log.WithName("probe"),
		Probe: func(ctx context.Context, iface string, hw net.HardwareAddr, window time.Duration) (probe.Result, error) {
			return probe.Probe(ctx, iface, hw, window, o.Test.InNetns)
		},
		Answers: func(iface string, hw net.HardwareAddr) bool { return answersProbe(eng, iface, hw) }}
}

// answersProbe asks the engine for its answer to the probe's DISCOVER on
// iface (an OFFER to the probe holds no address).
func answersProbe(eng *engine.Engine, iface string, hw net.HardwareAddr) bool {
	m, err := probe.Discover(hw)
	if err != nil {
		return false
	}
	reply, res := eng.Handle(context.Background(), m, engine.Meta{Interface: iface, Broadcast: true})
	return reply != nil && res.Outcome == engine.OutcomeOffer
}

// addIPAM answers Cluster API IPAddressClaims from the engine's pools on
// every replica, and gives back the addresses of claims that are gone.
func addIPAM(mgr manager.Manager, o Options, eng *engine.Engine, members *membership.Members, recorder events.EventRecorder) error {
	r := &ipam.ClaimReconciler{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Namespace: o.Namespace, Engine: eng,
		Share: members.Share, Wait: o.ClaimWait, Recorder: recorder}
	if err := r.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the IPAddressClaim controller: %w", err)
	}
	return mgr.Add(&ipam.Orphans{Reader: mgr.GetAPIReader(), Namespace: o.Namespace, Engine: eng, Interval: 30 * time.Second, Grace: time.Minute})
}

// newMembers returns this replica's membership among the deployment's
// replicas; each change of who is alive reaches the engine's share.
func newMembers(mgr manager.Manager, o Options, run string, eng *engine.Engine, m *controllers.Metrics) *membership.Members {
	return &membership.Members{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Namespace: o.Namespace, Group: o.ReplicaGroup,
		Self: o.ReplicaName, Identity: run, KeepOnExit: o.Test.KeepLeaseOnExit,
		OnChange: func(s *balance.Share) {
			eng.SetShare(s)
			m.SetShare(s)
		}}
}

// once returns the jobs that must run on one replica at a time, run by
// an elected replica when LeaderElect is set.
func once(mgr manager.Manager, o Options, run string, jobs ...manager.Runnable) []manager.Runnable {
	if !o.LeaderElect {
		return jobs
	}
	return []manager.Runnable{&elect.Jobs{Config: mgr.GetConfig(), Namespace: o.Namespace, Name: o.LeaderElectionID,
		Identity: run, LeaseDuration: o.LeaseDuration, RenewDeadline: o.RenewDeadline,
		RetryPeriod: o.RetryPeriod, KeepOnExit: o.Test.KeepLeaseOnExit, Runnables: jobs}}
}

// engineOptions are the engine's observer, settings and, when ping checks
// are on and the socket opens, its prober.
func engineOptions(o Options, obs engine.Observer) []engine.Option {
	opts := make([]engine.Option, 0, 3)
	opts = append(opts, engine.WithObserver(obs), engine.WithSettings(o.Engine))
	if !o.Ping {
		return opts
	}
	var p *transport.Pinger
	open := func() (err error) { p, err = transport.NewPinger(); return err }
	var err error
	if o.Test.InNetns != nil {
		err = o.Test.InNetns(open)
	} else {
		err = open()
	}
	if err != nil {
		o.Log.Info("ping checks disabled", "reason", err.Error())
		return opts
	}
	return append(opts, engine.WithProber(p))
}

// loader is what loads the engine's bindings: the lease watcher for the
// Lease store, which also knows the Leases it skipped; a restore of the
// memory store otherwise.
type loader struct {
	runnable manager.Runnable
	unusable interface {
		Unusable() []controllers.UnusableLease
	}
}

func bindingsLoader(o Options, leaseCache cache.Cache, eng *engine.Engine, store lease.Store, recorder events.EventRecorder,
	metrics *controllers.Metrics, lists *controllers.ListFailures, history logr.Logger) loader {
	if o.LeaseStore == storeMemory {
		return loader{runnable: manager.RunnableFunc(func(ctx context.Context) error {
			return engine.Restore(ctx, eng, store)
		}), unusable: noneUnusable{}}
	}
	w := &controllers.LeaseWatcher{Cache: leaseCache, Bindings: eng.Allocator(), Engine: eng, Recorder: recorder,
		Metrics: metrics, ListFailures: lists, Partial: eng.Partial, History: history,
		Owns: func(a netip.Addr) bool { s := eng.Share(); return s == nil || s.OwnsAddr(a) }}
	return loader{runnable: w, unusable: w}
}

// noneUnusable reports no unusable Leases: the memory store has none.
type noneUnusable struct{}

func (noneUnusable) Unusable() []controllers.UnusableLease { return nil }

// spareCount is how many spares per pool this replica keeps: none with the
// memory store, which is never out of reach.
func spareCount(o Options) int {
	if o.LeaseStore == storeMemory {
		return 0
	}
	return o.Spares
}

// leaseWriteTimeout bounds each Lease write: a client waits a few seconds
// for its reply, and a write to an apiserver that went out of reach must
// fail in time for the replica to answer from what it has.
const leaseWriteTimeout = 3 * time.Second

// storeWorkers is the default number of DHCP workers with the Lease
// store: each REQUEST waits for its Lease to be written (a few
// milliseconds), so this many commits can be in flight.
const storeWorkers = 256

// workers is the number of DHCP workers: as asked, else the transport's
// default for the memory store and storeWorkers for the Lease store.
func workers(o Options) int {
	if o.Workers == 0 && o.LeaseStore == storeKubernetes {
		return storeWorkers
	}
	return o.Workers
}

// newStore returns the lease store the options name.
func newStore(mgr manager.Manager, cfg *rest.Config, o Options, leaseCache cache.Cache) (lease.Store, error) {
	switch o.LeaseStore {
	case storeMemory:
		return lease.NewMemory(), nil
	case storeKubernetes:
		cfg = rest.CopyConfig(cfg)
		cfg.QPS, cfg.Burst, cfg.Timeout = o.LeaseQPS, o.LeaseBurst, leaseWriteTimeout
		direct, err := client.New(cfg, client.Options{Scheme: mgr.GetScheme()})
		if err != nil {
			return nil, fmt.Errorf("creating the lease client: %w", err)
		}
		return &leasestore.Store{Client: direct, Lister: leaseCache, Namespace: o.Namespace,
			SubnetUID: leasestore.SubnetUIDs(mgr.GetCache(), o.Namespace)}, nil
	}
	return nil, fmt.Errorf("--lease-store %q: want kubernetes or memory", o.LeaseStore)
}

// addProbes adds liveness and readiness. The check "dhcp" (the kubelet's
// readiness probe, /readyz/dhcp) passes once every Lease is loaded and a
// configuration is served, and, on the leader, the listeners are open.
// The checks "store" (Lease writes fail) and "leases" (the Leases cannot be
// listed, so the engine serves partially) show degraded service to an
// operator at /readyz, while the kubelet keeps routing to a replica that
// still ACKs renewals.
func addProbes(mgr manager.Manager, w *wired) error {
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("store", func(*http.Request) error { return w.health.Check() }); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("leases", func(*http.Request) error {
		if w.engine.Partial() {
			return errors.New("serving partially: kube-apiserver cannot list the Leases (see the log and the Subnets' " +
				"UnusableLeases condition); each address is looked up on its own")
		}
		return nil
	}); err != nil {
		return err
	}
	if w.probe != nil {
		if err := mgr.AddReadyzCheck("probe", w.probe.Check); err != nil {
			return err
		}
	}
	return mgr.AddReadyzCheck("dhcp", func(*http.Request) error {
		if !w.engine.Ready() {
			return errors.New("loading leases and configuration")
		}
		if !w.server.Listening() {
			return errors.New("opening DHCP listeners")
		}
		return nil
	})
}
