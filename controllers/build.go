package controllers

import (
	"errors"
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
)

// Problem is why an object was left out of the snapshot.
type Problem struct {
	Reason  string
	Message string
}

// Ref names an object of one of the three kinds.
type Ref struct {
	Kind, Name string
}

// Built is what Build returns: the snapshot of every object that can be
// served, and a Problem for each object that cannot.
type Built struct {
	Snapshot *config.Snapshot
	Problems map[Ref]Problem
}

// Build translates Subnets, Pools and Reservations into a config snapshot
// and checks the rules that span objects. It has no side effects. An
// object that breaks a rule is left out with a Problem naming the reason;
// the rest is served. Where two objects clash, the older one (by creation
// time, then name) wins.
func Build(subnets []dhcpv1alpha1.Subnet, pools []dhcpv1alpha1.Pool, reservations []dhcpv1alpha1.Reservation) Built {
	b := &builder{problems: map[Ref]Problem{}, byName: map[string]*config.Subnet{}}
	sortByAge(subnets, func(s *dhcpv1alpha1.Subnet) *metav1.ObjectMeta { return &s.ObjectMeta })
	sortByAge(pools, func(p *dhcpv1alpha1.Pool) *metav1.ObjectMeta { return &p.ObjectMeta })
	sortByAge(reservations, func(r *dhcpv1alpha1.Reservation) *metav1.ObjectMeta { return &r.ObjectMeta })
	for i := range subnets {
		b.addSubnet(&subnets[i])
	}
	for i := range pools {
		b.addPool(&pools[i])
	}
	for i := range reservations {
		b.addReservation(&reservations[i])
	}
	return Built{Snapshot: b.snapshot(), Problems: b.problems}
}

func sortByAge[T any](items []T, meta func(*T) *metav1.ObjectMeta) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := meta(&items[i]), meta(&items[j])
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Name < b.Name
	})
}

type builder struct {
	subnets  []*config.Subnet
	byName   map[string]*config.Subnet
	problems map[Ref]Problem
}

func (b *builder) fail(kind, name, reason, format string, args ...any) {
	b.problems[Ref{kind, name}] = Problem{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

func (b *builder) addSubnet(s *dhcpv1alpha1.Subnet) {
	sn, err := translateSubnet(s)
	if err != nil {
		b.fail("Subnet", s.Name, dhcpv1alpha1.ReasonInvalid, "%v", err)
		return
	}
	for _, o := range b.subnets {
		if o.Prefix.Overlaps(sn.Prefix) {
			b.fail("Subnet", s.Name, dhcpv1alpha1.ReasonOverlap, "spec.cidr: %s overlaps subnet %s (%s)", sn.Prefix, o.Name, o.Prefix)
			return
		}
		for _, r := range sn.Relays {
			for _, or := range o.Relays {
				if r == or {
					b.fail("Subnet", s.Name, dhcpv1alpha1.ReasonOverlap, "spec.relayAddresses: %s is also listed by subnet %s", r, o.Name)
					return
				}
			}
		}
	}
	if _, err := config.New(sn); err != nil {
		b.fail("Subnet", s.Name, dhcpv1alpha1.ReasonInvalid, "%v", err)
		return
	}
	sn.Pools, sn.Reservations = nil, nil // config.New computed state on a copy we discard next
	clean, _ := translateSubnet(s)
	b.subnets = append(b.subnets, clean)
	b.byName[s.Name] = clean
}

// subnetFor returns the served subnet an object names, or records why not.
func (b *builder) subnetFor(kind, name, subnet string) *config.Subnet {
	if sn, ok := b.byName[subnet]; ok {
		return sn
	}
	if _, bad := b.problems[Ref{"Subnet", subnet}]; bad {
		b.fail(kind, name, dhcpv1alpha1.ReasonSubnetNotReady, "spec.subnet: subnet %s is not served", subnet)
	} else {
		b.fail(kind, name, dhcpv1alpha1.ReasonSubnetNotFound, "spec.subnet: subnet %s does not exist", subnet)
	}
	return nil
}

func (b *builder) addPool(p *dhcpv1alpha1.Pool) {
	sn := b.subnetFor("Pool", p.Name, string(p.Spec.Subnet))
	if sn == nil {
		return
	}
	cp, err := translatePool(p, sn)
	var oe *outsideError
	switch {
	case errors.As(err, &oe):
		b.fail("Pool", p.Name, dhcpv1alpha1.ReasonOutsideSubnet, "%v", err)
		return
	case err != nil:
		b.fail("Pool", p.Name, dhcpv1alpha1.ReasonInvalid, "%v", err)
		return
	}
	for _, o := range sn.Pools {
		if r, or, ok := overlap(cp.Ranges, o.Ranges); ok {
			b.fail("Pool", p.Name, dhcpv1alpha1.ReasonOverlap, "spec.ranges: %s overlaps %s of pool %s", r, or, o.Name)
			return
		}
	}
	sn.Pools = append(sn.Pools, cp)
}

func overlap(a, b []config.Range) (config.Range, config.Range, bool) {
	for _, x := range a {
		for _, y := range b {
			if !x.End.Less(y.Start) && !y.End.Less(x.Start) {
				return x, y, true
			}
		}
	}
	return config.Range{}, config.Range{}, false
}

func (b *builder) addReservation(r *dhcpv1alpha1.Reservation) {
	sn := b.subnetFor("Reservation", r.Name, string(r.Spec.Subnet))
	if sn == nil {
		return
	}
	cr, err := translateReservation(r, sn)
	var oe *outsideError
	switch {
	case errors.As(err, &oe):
		b.fail("Reservation", r.Name, dhcpv1alpha1.ReasonOutsideSubnet, "%v", err)
		return
	case err != nil:
		b.fail("Reservation", r.Name, dhcpv1alpha1.ReasonInvalid, "%v", err)
		return
	}
	for _, o := range sn.Reservations {
		switch {
		case o.Addr == cr.Addr:
			b.fail("Reservation", r.Name, dhcpv1alpha1.ReasonDuplicate, "spec.ipAddress: %s is also reserved by %s", cr.Addr, o.Name)
			return
		case sameIdentity(o, cr):
			b.fail("Reservation", r.Name, dhcpv1alpha1.ReasonDuplicate, "%s is also reserved by %s", identity(r), o.Name)
			return
		}
	}
	sn.Reservations = append(sn.Reservations, cr)
}

func sameIdentity(a, b *config.Reservation) bool {
	return (len(a.MAC) > 0 && a.MAC.String() == b.MAC.String()) ||
		(len(a.ClientID) > 0 && string(a.ClientID) == string(b.ClientID)) ||
		(len(a.CircuitID) > 0 && string(a.CircuitID) == string(b.CircuitID))
}

// snapshot builds the snapshot of what was accepted. A subnet whose
// pools and reservations together fail a rule Build did not foresee is
// left out whole, with the error.
func (b *builder) snapshot() *config.Snapshot {
	s, err := config.New(b.subnets...)
	if err == nil {
		return s
	}
	var ok []*config.Subnet
	for _, sn := range b.subnets {
		if _, err := config.New(cloneSubnet(sn)); err != nil {
			b.fail("Subnet", sn.Name, dhcpv1alpha1.ReasonInvalid, "%v", err)
			continue
		}
		ok = append(ok, sn)
	}
	s, _ = config.New(ok...)
	return s
}

// cloneSubnet copies a subnet and its pools and reservations, so a trial
// build leaves the original untouched.
func cloneSubnet(sn *config.Subnet) *config.Subnet {
	c := *sn
	c.Pools = nil
	for _, p := range sn.Pools {
		cp := *p
		c.Pools = append(c.Pools, &cp)
	}
	c.Reservations = nil
	for _, r := range sn.Reservations {
		cr := *r
		c.Reservations = append(c.Reservations, &cr)
	}
	return &c
}
