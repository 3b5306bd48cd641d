package controllers

import (
	"context"
	"net"
	"slices"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// HostInterfaces knows the interfaces the DHCP server can answer directly
// attached clients on: those of its node (or network namespace) that
// --interfaces lets it listen on. A Subnet that names another is not
// served. It looks again every Interval and tells the config reconciler
// when the set changed, so a VLAN created later is served without a
// restart.
type HostInterfaces struct {
	// Listen is --interfaces: empty means every interface.
	Listen []string
	// InNetns, when set, looks inside another network namespace (tests).
	InNetns func(func() error) error
	// Interval is how often to look again.
	Interval time.Duration

	mu      sync.Mutex
	names   map[string]bool
	changed chan event.GenericEvent
}

// NewHostInterfaces returns a HostInterfaces that has looked once.
func NewHostInterfaces(listen []string, inNetns func(func() error) error, interval time.Duration) *HostInterfaces {
	h := &HostInterfaces{Listen: listen, InNetns: inNetns, Interval: interval, changed: make(chan event.GenericEvent, 1)}
	_, _ = h.refresh()
	return h
}

// Has reports whether the server answers directly attached clients on the
// named interface.
func (h *HostInterfaces) Has(name string) bool {
	if len(h.Listen) > 0 && !slices.Contains(h.Listen, name) {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.names[name]
}

// Changed delivers an event each time the set of interfaces changed.
func (h *HostInterfaces) Changed() <-chan event.GenericEvent { return h.changed }

// refresh reads the interfaces and reports whether the set changed.
func (h *HostInterfaces) refresh() (bool, error) {
	var ifs []net.Interface
	read := func() (err error) { ifs, err = net.Interfaces(); return err }
	var err error
	if h.InNetns != nil {
		err = h.InNetns(read)
	} else {
		err = read()
	}
	if err != nil {
		return false, err
	}
	names := make(map[string]bool, len(ifs))
	for _, i := range ifs {
		names[i.Name] = true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	same := len(names) == len(h.names)
	for n := range names {
		same = same && h.names[n]
	}
	h.names = names
	return !same, nil
}

// Start looks again every Interval until ctx ends; it is a manager
// Runnable.
func (h *HostInterfaces) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("interfaces")
	t := time.NewTicker(h.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		changed, err := h.refresh()
		if err != nil {
			logger.Error(err, "listing the host's interfaces")
			continue
		}
		if changed {
			select {
			case h.changed <- event.GenericEvent{Object: &dhcpv1alpha1.Subnet{}}:
			default:
			}
		}
	}
}

// NeedLeaderElection is false: every replica serves on its own node.
func (h *HostInterfaces) NeedLeaderElection() bool { return false }
