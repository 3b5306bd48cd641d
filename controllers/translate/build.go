// Package translate is the pure translation of the API's Subnets, Pools
// and Reservations into the DHCP engine's configuration snapshot: objects
// in, a snapshot and the problem of each object left out. It reads
// nothing but its arguments and changes none of them; the reconcilers do
// the I/O, as MetalLB keeps config.For apart from its controllers. Every
// rule is checked once, by the snapshot's constructor (config.Assemble);
// Build translates and maps its faults to the objects' conditions.
package translate

import (
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/decode"
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
// served, a Problem for each object that cannot, and a warning for each
// served object some clients do not get whole.
type Built struct {
	Snapshot *config.Snapshot
	Problems map[Ref]Problem
	Warnings map[Ref]string
}

// Build translates Subnets, Pools and Reservations into a config snapshot.
// It reads nothing but its arguments and changes none of them. An object
// that breaks a rule is left out with a Problem naming the reason and the
// field; the rest is served. Where two objects clash, the older one (by
// creation time, then name) wins. env says which interfaces the server
// serves on.
func Build(subnets []dhcpv1alpha1.Subnet, pools []dhcpv1alpha1.Pool, reservations []dhcpv1alpha1.Reservation, env config.Env) Built {
	b := &builder{problems: map[Ref]Problem{}, warnings: map[Ref]string{}, byName: map[string]*config.Subnet{}}
	for _, s := range byAge(subnets, func(s *dhcpv1alpha1.Subnet) *metav1.ObjectMeta { return &s.ObjectMeta }) {
		b.addSubnet(s)
	}
	for _, p := range byAge(pools, func(p *dhcpv1alpha1.Pool) *metav1.ObjectMeta { return &p.ObjectMeta }) {
		b.addPool(p)
	}
	for _, r := range byAge(reservations, func(r *dhcpv1alpha1.Reservation) *metav1.ObjectMeta { return &r.ObjectMeta }) {
		b.addReservation(r)
	}
	snap, faults := config.Assemble(env, b.subnets...)
	for _, f := range faults {
		b.fault(f)
	}
	return Built{Snapshot: snap, Problems: b.problems, Warnings: b.warnings}
}

// byAge returns pointers to items, oldest first (by creation time, then
// name), leaving items as they are.
func byAge[T any](items []T, meta func(*T) *metav1.ObjectMeta) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := meta(out[i]), meta(out[j])
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Name < b.Name
	})
	return out
}

type builder struct {
	subnets  []*config.Subnet
	byName   map[string]*config.Subnet
	problems map[Ref]Problem
	warnings map[Ref]string
}

func (b *builder) fail(kind, name, reason, format string, args ...any) {
	b.problems[Ref{kind, name}] = Problem{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// faultReasons maps the snapshot's fault classes to condition reasons.
var faultReasons = map[config.FaultClass]string{
	config.Invalid:       dhcpv1alpha1.ReasonInvalid,
	config.Outside:       dhcpv1alpha1.ReasonOutsideSubnet,
	config.Overlap:       dhcpv1alpha1.ReasonOverlap,
	config.Duplicate:     dhcpv1alpha1.ReasonDuplicate,
	config.NoInterface:   dhcpv1alpha1.ReasonInterfaceNotFound,
	config.SubnetLeftOut: dhcpv1alpha1.ReasonSubnetNotReady,
}

func (b *builder) fault(f config.Fault) {
	ref := Ref{f.Kind, f.Name}
	if !f.LeftOut() {
		b.warnings[ref] = f.Err.Error()
		return
	}
	if _, seen := b.problems[ref]; !seen {
		b.problems[ref] = Problem{Reason: faultReasons[f.Class], Message: f.Err.Error()}
	}
}

func (b *builder) addSubnet(s *dhcpv1alpha1.Subnet) {
	if why := Unreadable(s); why != "" {
		b.fail("Subnet", s.Name, dhcpv1alpha1.ReasonInvalid, "%s", why)
		return
	}
	sn, err := translateSubnet(s)
	if err != nil {
		b.fail("Subnet", s.Name, dhcpv1alpha1.ReasonInvalid, "%v", err)
		return
	}
	b.subnets = append(b.subnets, sn)
	b.byName[s.Name] = sn
}

// subnetFor returns the subnet an object names, or records why not.
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
	addMember(b, "Pool", p, string(p.Spec.Subnet), translatePool,
		func(sn *config.Subnet, cp *config.Pool) { sn.Pools = append(sn.Pools, cp) })
}

func (b *builder) addReservation(r *dhcpv1alpha1.Reservation) {
	addMember(b, "Reservation", r, string(r.Spec.Subnet), translateReservation,
		func(sn *config.Subnet, cr *config.Reservation) { sn.Reservations = append(sn.Reservations, cr) })
}

// addMember translates one Pool or Reservation and adds it to its Subnet
// with add, or records why it is left out: it did not decode, its Subnet
// is not served, or translate refused it.
func addMember[O interface {
	decode.Annotated
	GetName() string
}, T any](b *builder, kind string, o O, subnet string, translate func(O) (T, error), add func(*config.Subnet, T)) {
	if why := Unreadable(o); why != "" {
		b.fail(kind, o.GetName(), dhcpv1alpha1.ReasonInvalid, "%s", why)
		return
	}
	sn := b.subnetFor(kind, o.GetName(), subnet)
	if sn == nil {
		return
	}
	v, err := translate(o)
	if err != nil {
		b.fail(kind, o.GetName(), dhcpv1alpha1.ReasonInvalid, "%v", err)
		return
	}
	add(sn, v)
}

// Unreadable says why a cached object did not decode, as the field at
// fault, or "" when it did.
func Unreadable(o decode.Annotated) string {
	if why := decode.Unreadable(o); why != "" {
		return "spec: the stored object cannot be read: " + why
	}
	return ""
}
