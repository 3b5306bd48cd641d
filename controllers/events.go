package controllers

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// Event reasons.
const (
	EventAddressDeclined     = "AddressDeclined"
	EventAddressConflict     = "AddressConflict"
	EventNoFreeAddress       = "NoFreeAddress"
	EventUnknownClient       = "UnknownClientRefused"
	EventPoolExhausted       = "PoolExhausted"
	EventReservationConflict = "ReservationConflict"
	EventRateLimited         = "RateLimited"
	EventLeasesPerMAC        = "LeasesPerMACExceeded"
	// EventUnreadable is on a stored Subnet, Pool or Reservation that does
	// not decode and whose status cannot be written either.
	EventUnreadable = "Unreadable"
)

// EventObserver turns the engine's observations into Events on the Subnet
// concerned. The engine calls it on the packet path, so it only queues;
// a goroutine records, at most one Event per subnet and reason each
// Interval (Kubernetes aggregates repeats as well).
type EventObserver struct {
	Reader    client.Reader
	Recorder  events.EventRecorder
	Namespace string
	Interval  time.Duration
	// Metrics, when set, counts what could not be recorded (job events)
	// and stored bindings that could not be read back (job records).
	Metrics *Metrics

	once   sync.Once
	queue  chan pending
	last   map[[2]string]time.Time
	logger atomic.Pointer[logr.Logger]
}

type pending struct {
	subnet, reason, note string
}

func (o *EventObserver) init() {
	o.once.Do(func() { o.queue = make(chan pending, 256); o.last = map[[2]string]time.Time{} })
}

func (o *EventObserver) push(subnet, reason, note string) {
	o.init()
	select {
	case o.queue <- pending{subnet, reason, note}:
	default: // full: an event storm; the metrics still count what happened
		o.Metrics.jobFailed("events")
	}
}

// Start records queued events until ctx ends; it is a manager Runnable.
func (o *EventObserver) Start(ctx context.Context) error {
	o.init()
	l := log.FromContext(ctx).WithName("engine")
	o.logger.Store(&l)
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-o.queue:
			o.record(ctx, p)
		}
	}
}

// record records p as an Event on its Subnet, at most once per subnet and
// reason each Interval; a failed read of the Subnet is counted and logged
// and does not use up the interval.
func (o *EventObserver) record(ctx context.Context, p pending) {
	o.init()
	k := [2]string{p.subnet, p.reason}
	if time.Since(o.last[k]) < o.Interval {
		return
	}
	sn := &dhcpv1alpha1.Subnet{}
	if err := o.Reader.Get(ctx, client.ObjectKey{Namespace: o.Namespace, Name: p.subnet}, sn); err != nil {
		o.Metrics.jobFailed("events")
		log.FromContext(ctx).WithName("events").Error(err, "reading the Subnet to record an Event on", "subnet", p.subnet, "event", p.reason)
		return
	}
	o.last[k] = time.Now()
	o.Recorder.Eventf(sn, nil, corev1.EventTypeWarning, p.reason, "Serve", "%s", p.note)
}

// Declined implements engine.Observer.
func (o *EventObserver) Declined(subnet string, addr netip.Addr, hw net.HardwareAddr) {
	o.push(subnet, EventAddressDeclined, "client "+hw.String()+" declined "+addr.String()+": in use on the network; held out for the probation period")
}

// Conflict implements engine.Observer.
func (o *EventObserver) Conflict(subnet string, addr netip.Addr) {
	o.push(subnet, EventAddressConflict, addr.String()+" answered a ping before it was offered; held out for the probation period")
}

// Exhausted implements engine.Observer.
func (o *EventObserver) Exhausted(subnet string, hw net.HardwareAddr) {
	o.push(subnet, EventNoFreeAddress, "no free address for client "+hw.String())
}

// UnknownRefused implements engine.Observer.
func (o *EventObserver) UnknownRefused(subnet string, hw net.HardwareAddr) {
	o.push(subnet, EventUnknownClient, "client "+hw.String()+" has no Reservation and the subnet serves reservations only")
}

// RateLimited implements engine.Observer. A limit that bit before the
// subnet was known is not recorded as an Event (the metric counts it).
func (o *EventObserver) RateLimited(subnet, reason, who string) {
	if subnet != "" {
		o.push(subnet, EventRateLimited, who+" is sending faster than the "+reason+" limit allows; messages over it get no answer")
	}
}

// LeaseLimit implements engine.Observer.
func (o *EventObserver) LeaseLimit(subnet string, hw net.HardwareAddr, n int) {
	o.push(subnet, EventLeasesPerMAC, fmt.Sprintf("clients with hardware address %s hold %d addresses, the subnet's maxLeasesPerMAC; "+
		"another client identifier with it gets no answer", hw, n))
}

// RecordUnreadable implements engine.Observer: a stored binding the
// allocator kept could not be read back (it keeps the address's state,
// expiry and version).
func (o *EventObserver) RecordUnreadable(addr netip.Addr, err error) {
	o.Metrics.jobFailed("records")
	if l := o.logger.Load(); l != nil {
		l.Error(err, "a stored binding could not be read back; its address keeps its state and expiry", "ip", addr.String())
	}
}
