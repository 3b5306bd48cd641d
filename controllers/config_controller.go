// Package controllers joins the API to the DHCP engine: the config
// reconciler turns Subnets, Pools and Reservations into the engine's
// config snapshot; the lease watcher keeps the engine's bindings in step
// with Lease objects; the status reporter writes usage and conditions; the
// sweeper expires and cleans up Leases.
package controllers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/translate"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
)

// SnapshotSink takes each new config snapshot; *engine.Engine is one.
type SnapshotSink interface {
	SetSnapshot(*config.Snapshot)
}

// ConfigReconciler builds the config snapshot of one namespace whenever a
// Subnet, Pool or Reservation changes, and hands it to the engine when it
// differs from the last one. It runs on every replica, so a standby has
// the configuration ready when it takes over.
type ConfigReconciler struct {
	client     client.Client
	namespace  string
	sink       SnapshotSink
	built      func(translate.Built)
	interfaces *HostInterfaces

	mu          sync.Mutex
	fingerprint string
	ready       bool
}

// NewConfigReconciler returns a reconciler that reads the objects of
// namespace through c and hands each new snapshot to sink and each build
// to built (the status reporter; may be nil). interfaces, when set, says
// which interfaces the server answers on: a Subnet naming another is not
// served; without it every name is.
func NewConfigReconciler(c client.Client, namespace string, interfaces *HostInterfaces, sink SnapshotSink,
	built func(translate.Built)) *ConfigReconciler {
	return &ConfigReconciler{client: c, namespace: namespace, interfaces: interfaces, sink: sink, built: built}
}

// +kubebuilder:rbac:groups=dhcp.kubedhcp.io,resources=subnets;pools,verbs=get;list;watch
// +kubebuilder:rbac:groups=dhcp.kubedhcp.io,resources=reservations,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=dhcp.kubedhcp.io,resources=subnets/status;pools/status;reservations/status,verbs=get;update;patch

// Reconcile lists the namespace's objects, builds the snapshot and swaps
// it in when anything that shapes it changed.
func (r *ConfigReconciler) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	logger := log.FromContext(ctx)
	var subnets dhcpv1alpha1.SubnetList
	var pools dhcpv1alpha1.PoolList
	var reservations dhcpv1alpha1.ReservationList
	for _, l := range []client.ObjectList{&subnets, &pools, &reservations} {
		if err := r.client.List(ctx, l, client.InNamespace(r.namespace)); err != nil {
			return reconcile.Result{}, fmt.Errorf("listing: %w", err)
		}
	}
	env := r.env()
	fp := fingerprint(&subnets, &pools, &reservations) + "|" + r.interfacesSeen(&subnets, env)
	r.mu.Lock()
	same := r.ready && fp == r.fingerprint
	r.mu.Unlock()
	if same {
		return reconcile.Result{}, nil
	}
	built := translate.Build(subnets.Items, pools.Items, reservations.Items, env)
	r.sink.SetSnapshot(built.Snapshot)
	r.mu.Lock()
	r.fingerprint, r.ready = fp, true
	r.mu.Unlock()
	logger.Info("serving a new configuration", "subnets", len(built.Snapshot.Subnets()), "pools", len(pools.Items),
		"reservations", len(reservations.Items), "leftOut", len(built.Problems))
	if r.built != nil {
		r.built(built)
	}
	return reconcile.Result{}, nil
}

func (r *ConfigReconciler) env() config.Env {
	if r.interfaces == nil {
		return config.Env{}
	}
	return config.Env{Interface: r.interfaces.Has}
}

// interfacesSeen lists which of the interfaces the Subnets name are
// served, so a build reruns when one comes or goes.
func (r *ConfigReconciler) interfacesSeen(s *dhcpv1alpha1.SubnetList, env config.Env) string {
	if env.Interface == nil {
		return ""
	}
	var b strings.Builder
	for _, sn := range s.Items {
		for _, i := range sn.Spec.Interfaces {
			fmt.Fprintf(&b, "%s=%t,", i, env.Interface(string(i)))
		}
	}
	return b.String()
}

// Ready reports whether a first snapshot was handed to the engine.
func (r *ConfigReconciler) Ready() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ready
}

// fingerprint identifies the specs a build depends on: a spec change
// bumps the generation; a status change does not.
func fingerprint(s *dhcpv1alpha1.SubnetList, p *dhcpv1alpha1.PoolList, r *dhcpv1alpha1.ReservationList) string {
	parts := make([]string, 0, len(s.Items)+len(p.Items)+len(r.Items))
	for _, o := range s.Items {
		parts = append(parts, fmt.Sprintf("s/%s/%s/%d", o.Name, o.UID, o.Generation))
	}
	for _, o := range p.Items {
		parts = append(parts, fmt.Sprintf("p/%s/%s/%d", o.Name, o.UID, o.Generation))
	}
	for _, o := range r.Items {
		parts = append(parts, fmt.Sprintf("r/%s/%s/%d", o.Name, o.UID, o.Generation))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// SetupWithManager watches the three kinds in the namespace; every event
// maps to one request, so builds never run in parallel.
func (r *ConfigReconciler) SetupWithManager(mgr ctrl.Manager) error {
	one := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: r.namespace, Name: "config"}}}
	})
	// One build at start, so an empty namespace is served (with nothing)
	// and the manager becomes ready.
	kick := make(chan event.GenericEvent, 1)
	kick <- event.GenericEvent{Object: &dhcpv1alpha1.Subnet{}}
	need := false
	b := ctrl.NewControllerManagedBy(mgr).
		Named("config").
		WithOptions(ctrlOptions(&need)).
		Watches(&dhcpv1alpha1.Subnet{}, one).
		Watches(&dhcpv1alpha1.Pool{}, one).
		Watches(&dhcpv1alpha1.Reservation{}, one).
		WatchesRawSource(source.Channel(kick, one))
	if r.interfaces != nil {
		b = b.WatchesRawSource(source.Channel(r.interfaces.Changed(), one))
	}
	return b.Complete(r)
}
