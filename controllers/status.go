package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/decode"
	"github.com/kubedhcp/kubedhcp/controllers/translate"
	"github.com/kubedhcp/kubedhcp/dhcpserver/alloc"
	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Usage is what the status reporter reads of the allocator.
type Usage interface {
	Usage(now time.Time) map[string]map[string]alloc.Counts
	Holder(addr netip.Addr, now time.Time) (lease.Binding, bool)
}

// StatusReporter writes the status of Subnets, Pools and Reservations:
// usage counts from the allocator and conditions from the last build. It
// is the only writer of their status, and patches an object only when its
// status changed, at most once per Interval: never once per message. It
// runs on one replica at a time (elect.Jobs).
type StatusReporter struct {
	Client    client.Client
	Namespace string
	Usage     Usage
	Recorder  events.EventRecorder
	Metrics   *Metrics
	Interval  time.Duration
	// Leases, when set, tells which Lease objects were skipped.
	Leases interface{ Unusable() []UnusableLease }
	// Store, when set, tells whether Lease writes fail.
	Store interface{ Degraded() (time.Time, error) }
	// Share, when set, tells which replicas answer which clients.
	Share func() *balance.Share
	// Rogues, when set, tells which other DHCP servers answered the
	// self-probe on a subnet's interfaces.
	Rogues func(subnet string) []Rogue

	mu    sync.Mutex
	built *translate.Built
	kick  chan struct{}
	seen  map[string]bool // Events recorded for objects whose status cannot be written
}

// evented reports whether key was evented already, and marks it.
func (s *StatusReporter) evented(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	seen := s.seen[key]
	s.seen[key] = true
	return seen
}

// SetBuilt records the latest build and asks for a report soon.
func (s *StatusReporter) SetBuilt(b translate.Built) {
	s.mu.Lock()
	s.built = &b
	s.mu.Unlock()
	select {
	case s.kicker() <- struct{}{}:
	default:
	}
}

func (s *StatusReporter) kicker() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kick == nil {
		s.kick = make(chan struct{}, 1)
	}
	return s.kick
}

// Start reports every Interval, or sooner after a new build.
func (s *StatusReporter) Start(ctx context.Context) error {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	kick := s.kicker()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-kick:
		}
		if err := s.Report(ctx); err != nil {
			s.Metrics.jobFailed("status")
			log.FromContext(ctx).Error(err, "reporting status")
		}
		// At most one pass per Interval, however often builds come.
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.Interval):
		}
	}
}

// Report writes every status that changed.
func (s *StatusReporter) Report(ctx context.Context) error {
	s.mu.Lock()
	built := s.built
	s.mu.Unlock()
	if built == nil {
		return nil
	}
	now := time.Now()
	usage := s.Usage.Usage(now)
	var subnets dhcpv1alpha1.SubnetList
	var pools dhcpv1alpha1.PoolList
	var reservations dhcpv1alpha1.ReservationList
	for _, l := range []client.ObjectList{&subnets, &pools, &reservations} {
		if err := s.Client.List(ctx, l, client.InNamespace(s.Namespace)); err != nil {
			return fmt.Errorf("listing: %w", err)
		}
	}
	r := &report{s: s, ctx: ctx, built: built, usage: usage, now: now}
	for i := range pools.Items {
		r.pool(&pools.Items[i])
	}
	for i := range reservations.Items {
		r.reservation(&reservations.Items[i])
	}
	for i := range subnets.Items {
		r.subnet(&subnets.Items[i], pools.Items, reservations.Items)
	}
	return r.err
}

type report struct {
	s     *StatusReporter
	ctx   context.Context
	built *translate.Built
	usage map[string]map[string]alloc.Counts
	now   time.Time
	err   error
}

// patch writes obj's status if it differs from orig's.
func (r *report) patch(obj, orig client.Object, newStatus, oldStatus any) {
	if reflect.DeepEqual(newStatus, oldStatus) {
		return
	}
	var err error
	if decode.Unreadable(obj) != "" {
		err = r.patchUnreadable(obj, newStatus)
	} else {
		err = r.patchCounts(obj, orig, newStatus)
	}
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("patching status of %s: %w", obj.GetName(), err)
	}
}

// counts are the status fields kubectl's columns show: a merge patch of
// the changes leaves out one that stayed zero, and a column of a field
// never stored is blank, not 0.
var counts = []string{"total", "used", "free", "reserved", "claimed"}

// patchCounts writes the changes of obj's status from orig's, with every
// count of newStatus among them.
func (r *report) patchCounts(obj, orig client.Object, newStatus any) error {
	data, err := client.MergeFrom(orig).Data(obj)
	if err != nil {
		return err
	}
	var patch map[string]any
	var st map[string]json.RawMessage
	raw, err := json.Marshal(newStatus)
	if err == nil {
		err = json.Unmarshal(raw, &st)
	}
	if err == nil {
		err = json.Unmarshal(data, &patch)
	}
	if err != nil {
		return err
	}
	status, _ := patch["status"].(map[string]any)
	if status == nil {
		status = map[string]any{}
		patch["status"] = status
	}
	for _, k := range counts {
		if v, ok := st[k]; ok {
			status[k] = v
		}
	}
	if data, err = json.Marshal(patch); err != nil {
		return err
	}
	return r.s.Client.Status().Patch(r.ctx, obj, client.RawPatch(types.MergePatchType, data))
}

// patchUnreadable writes the status of an object that does not decode
// with a raw merge patch read back as unstructured. Where the apiserver
// refuses even that (a rule on the stored spec fails to evaluate), an
// Event on the object says what its status would, once per version.
func (r *report) patchUnreadable(obj client.Object, status any) error {
	data, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return err
	}
	gvk, err := apiutil.GVKForObject(obj, r.s.Client.Scheme())
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(obj.GetNamespace())
	u.SetName(obj.GetName())
	err = r.s.Client.Status().Patch(r.ctx, u, client.RawPatch(types.MergePatchType, data))
	if err == nil || r.s.Recorder == nil {
		return err
	}
	key := gvk.Kind + "/" + obj.GetName() + "/" + obj.GetResourceVersion()
	if r.s.evented(key) {
		return nil
	}
	r.s.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, EventUnreadable, "Load",
		"not served: %s (the status cannot be written: %v)", translate.Unreadable(obj), err)
	return nil
}

func readyCondition(gen int64, p *translate.Problem, warning string) metav1.Condition {
	if p != nil {
		return metav1.Condition{Type: dhcpv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: p.Reason, Message: p.Message, ObservedGeneration: gen}
	}
	msg := "served"
	if warning != "" {
		msg = "served, but " + warning
	}
	return metav1.Condition{Type: dhcpv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: dhcpv1alpha1.ReasonServing,
		Message: msg, ObservedGeneration: gen}
}

func (r *report) problem(kind, name string) *translate.Problem {
	if p, ok := r.built.Problems[translate.Ref{Kind: kind, Name: name}]; ok {
		return &p
	}
	return nil
}

// ready is the Ready condition of an object from the last build.
func (r *report) ready(kind, name string, gen int64) metav1.Condition {
	return readyCondition(gen, r.problem(kind, name), r.built.Warnings[translate.Ref{Kind: kind, Name: name}])
}

func exhaustedCondition(gen int64, c alloc.Counts) metav1.Condition {
	if c.Size > 0 && c.Free() == 0 {
		return metav1.Condition{Type: dhcpv1alpha1.ConditionExhausted, Status: metav1.ConditionTrue, Reason: dhcpv1alpha1.ReasonPoolExhausted,
			Message: fmt.Sprintf("all %d addresses are bound, offered or in probation", c.Size), ObservedGeneration: gen}
	}
	return metav1.Condition{Type: dhcpv1alpha1.ConditionExhausted, Status: metav1.ConditionFalse, Reason: dhcpv1alpha1.ReasonAddressesFree,
		Message: fmt.Sprintf("%d of %d addresses free", c.Free(), c.Size), ObservedGeneration: gen}
}

func (r *report) pool(p *dhcpv1alpha1.Pool) {
	orig := p.DeepCopy()
	c := r.usage[string(p.Spec.Subnet)][p.Name]
	st := &p.Status
	st.ObservedGeneration, st.Range = p.Generation, rangeSummary(p)
	st.Total, st.Used, st.Free, st.Claimed = c.Size, c.Bound+c.Claimed, c.Free(), c.Claimed
	prob := r.problem("Pool", p.Name)
	meta.SetStatusCondition(&st.Conditions, r.ready("Pool", p.Name, p.Generation))
	wasExhausted := meta.IsStatusConditionTrue(orig.Status.Conditions, dhcpv1alpha1.ConditionExhausted)
	if prob == nil {
		meta.SetStatusCondition(&st.Conditions, exhaustedCondition(p.Generation, c))
		if !wasExhausted && meta.IsStatusConditionTrue(st.Conditions, dhcpv1alpha1.ConditionExhausted) && r.s.Recorder != nil {
			r.s.Recorder.Eventf(p, nil, corev1.EventTypeWarning, EventPoolExhausted, "Allocate", "all %d addresses of the pool are in use", c.Size)
		}
		if r.s.Metrics != nil {
			r.gauges(string(p.Spec.Subnet), p.Name, c)
		}
	}
	r.patch(p, orig, p.Status, orig.Status)
}

func (r *report) gauges(subnet, pool string, c alloc.Counts) {
	g := r.s.Metrics.Addresses
	g.WithLabelValues(subnet, pool, "total").Set(float64(c.Size))
	g.WithLabelValues(subnet, pool, "bound").Set(float64(c.Bound))
	g.WithLabelValues(subnet, pool, "declined").Set(float64(c.Declined))
	g.WithLabelValues(subnet, pool, "offered").Set(float64(c.Offered))
	g.WithLabelValues(subnet, pool, "spare").Set(float64(c.Spares))
	g.WithLabelValues(subnet, pool, "claimed").Set(float64(c.Claimed))
	g.WithLabelValues(subnet, pool, "free").Set(float64(c.Free()))
}

func rangeSummary(p *dhcpv1alpha1.Pool) string {
	if len(p.Spec.Ranges) == 0 {
		return ""
	}
	r := p.Spec.Ranges[0]
	s := string(r.CIDR)
	if s == "" {
		s = string(r.Start) + "-" + string(r.End)
	}
	if n := len(p.Spec.Ranges) - 1; n > 0 {
		s += fmt.Sprintf(" (+%d more)", n)
	}
	return s
}

func (r *report) reservation(res *dhcpv1alpha1.Reservation) {
	orig := res.DeepCopy()
	st := &res.Status
	st.ObservedGeneration, st.Identity = res.Generation, translate.Identity(res)
	st.IPAddress, st.Lease = "", ""
	prob := r.problem("Reservation", res.Name)
	meta.SetStatusCondition(&st.Conditions, r.ready("Reservation", res.Name, res.Generation))
	conflict := metav1.Condition{Type: dhcpv1alpha1.ConditionConflict, Status: metav1.ConditionFalse, Reason: dhcpv1alpha1.ReasonNoConflict,
		Message: "no conflict", ObservedGeneration: res.Generation}
	if prob != nil && (prob.Reason == dhcpv1alpha1.ReasonDuplicate) {
		conflict.Status, conflict.Reason, conflict.Message = metav1.ConditionTrue, prob.Reason, prob.Message
	}
	if addr, err := netip.ParseAddr(string(res.Spec.IPAddress)); err == nil && prob == nil {
		if b, held := r.s.Usage.Holder(addr, r.now); held {
			if b.Reservation == res.Name || b.Subnet == string(res.Spec.Subnet) && matchesReservation(&b, res) {
				st.IPAddress, st.Lease = addr.String(), dhcpv1alpha1.LeaseName(b.Subnet, addr)
			} else {
				conflict.Status, conflict.Reason = metav1.ConditionTrue, dhcpv1alpha1.ReasonAddressHeld
				conflict.Message = fmt.Sprintf("%s is bound to %s until %s; the reserved client gets another address meanwhile",
					addr, b.HWAddr, b.Expires.Format(time.RFC3339))
			}
		}
	}
	if conflict.Status == metav1.ConditionTrue && !meta.IsStatusConditionTrue(orig.Status.Conditions, dhcpv1alpha1.ConditionConflict) && r.s.Recorder != nil {
		r.s.Recorder.Eventf(res, nil, corev1.EventTypeWarning, EventReservationConflict, "Reserve", "%s", conflict.Message)
	}
	meta.SetStatusCondition(&st.Conditions, conflict)
	r.patch(res, orig, res.Status, orig.Status)
}

func matchesReservation(b *lease.Binding, res *dhcpv1alpha1.Reservation) bool {
	if res.Spec.Claim != "" {
		return b.State == lease.Claimed && b.Claim == res.Spec.Claim
	}
	return res.Spec.MACAddress != "" && len(b.HWAddr) == 6 && b.HWAddr.String() == normalizeMAC(string(res.Spec.MACAddress))
}

func normalizeMAC(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'F' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// replicas are the replicas and their buckets, as this one sees them.
func (r *report) replicas() []dhcpv1alpha1.ReplicaShare {
	if r.s.Share == nil || r.s.Share() == nil {
		return nil
	}
	share := r.s.Share()
	counts := share.Buckets()
	out := make([]dhcpv1alpha1.ReplicaShare, 0, len(counts))
	for _, m := range share.Members() {
		out = append(out, dhcpv1alpha1.ReplicaShare{Name: m, Buckets: int32(counts[m])})
	}
	return out
}

func (r *report) subnet(sn *dhcpv1alpha1.Subnet, pools []dhcpv1alpha1.Pool, reservations []dhcpv1alpha1.Reservation) {
	orig := sn.DeepCopy()
	st := &sn.Status
	var total alloc.Counts
	for _, c := range r.usage[sn.Name] {
		total.Size += c.Size
		total.Bound += c.Bound
		total.Declined += c.Declined
		total.Offered += c.Offered
		total.Spares += c.Spares
		total.Claimed += c.Claimed
	}
	st.ObservedGeneration = sn.Generation
	st.Total, st.Used, st.Free, st.Reserved = total.Size, total.Bound+total.Claimed, total.Free(), 0
	st.Claimed = total.Claimed
	st.Replicas, st.Spares = r.replicas(), total.Spares
	var leftOut []string
	for _, p := range pools {
		if string(p.Spec.Subnet) == sn.Name && r.problem("Pool", p.Name) != nil {
			leftOut = append(leftOut, "pool "+p.Name)
		}
	}
	for _, res := range reservations {
		if string(res.Spec.Subnet) != sn.Name {
			continue
		}
		if r.problem("Reservation", res.Name) != nil {
			leftOut = append(leftOut, "reservation "+res.Name)
			continue
		}
		// A reserved address is in no pool: it counts here, once, and is
		// used while its client holds it.
		st.Reserved++
		st.Total++
		if addr, err := netip.ParseAddr(string(res.Spec.IPAddress)); err == nil {
			if b, held := r.s.Usage.Holder(addr, r.now); held && b.Subnet == sn.Name {
				st.Used++
				if b.State == lease.Claimed {
					st.Claimed++
				}
			}
		}
	}
	prob := r.problem("Subnet", sn.Name)
	meta.SetStatusCondition(&st.Conditions, r.ready("Subnet", sn.Name, sn.Generation))
	degraded := metav1.Condition{Type: dhcpv1alpha1.ConditionDegraded, Status: metav1.ConditionFalse, Reason: dhcpv1alpha1.ReasonAllServed,
		Message: "every pool and reservation is served", ObservedGeneration: sn.Generation}
	if len(leftOut) > 0 {
		degraded.Status, degraded.Reason = metav1.ConditionTrue, dhcpv1alpha1.ReasonObjectsLeftOut
		degraded.Message = fmt.Sprintf("not served: %v; see their conditions", leftOut)
	}
	if r.s.Store != nil {
		if since, err := r.s.Store.Degraded(); err != nil {
			degraded.Status, degraded.Reason = metav1.ConditionTrue, dhcpv1alpha1.ReasonStoreUnavailable
			degraded.Message = fmt.Sprintf("Lease writes fail since %s: new clients get no address, renewals a stored Lease "+
				"covers are ACKed (%v)", since.UTC().Format(time.RFC3339), err)
			if len(leftOut) > 0 {
				degraded.Message += fmt.Sprintf("; not served: %v", leftOut)
			}
		}
	}
	meta.SetStatusCondition(&st.Conditions, degraded)
	meta.SetStatusCondition(&st.Conditions, r.unusableCondition(sn))
	meta.SetStatusCondition(&st.Conditions, r.rogueCondition(sn))
	if prob == nil {
		meta.SetStatusCondition(&st.Conditions, exhaustedCondition(sn.Generation, total))
	}
	r.patch(sn, orig, sn.Status, orig.Status)
}

// rogueCondition says whether another DHCP server answered the last
// self-probe on the subnet's interfaces.
func (r *report) rogueCondition(sn *dhcpv1alpha1.Subnet) metav1.Condition {
	c := metav1.Condition{Type: dhcpv1alpha1.ConditionRogueServer, Status: metav1.ConditionFalse,
		Reason: dhcpv1alpha1.ReasonNoOtherServer, Message: "no other DHCP server answered the self-probe", ObservedGeneration: sn.Generation}
	if r.s.Rogues == nil {
		return c
	}
	if rs := r.s.Rogues(sn.Name); len(rs) > 0 {
		msgs := make([]string, 0, len(rs))
		for _, x := range rs {
			msgs = append(msgs, x.String())
		}
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, dhcpv1alpha1.ReasonOtherServerAnswered, strings.Join(msgs, "; ")
	}
	return c
}

// unusableCondition says which Lease objects of the subnet were skipped.
func (r *report) unusableCondition(sn *dhcpv1alpha1.Subnet) metav1.Condition {
	c := metav1.Condition{Type: dhcpv1alpha1.ConditionUnusableLeases, Status: metav1.ConditionFalse,
		Reason: dhcpv1alpha1.ReasonAllLeasesUsable, Message: "every Lease reads as a binding", ObservedGeneration: sn.Generation}
	if r.s.Leases == nil {
		return c
	}
	var names []string
	for _, u := range r.s.Leases.Unusable() {
		if u.Subnet == sn.Name {
			names = append(names, fmt.Sprintf("%s (%s)", u.Name, u.Why))
		}
	}
	if len(names) == 0 {
		return c
	}
	c.Status, c.Reason = metav1.ConditionTrue, dhcpv1alpha1.ReasonLeasesSkipped
	shown := names
	if len(shown) > 5 {
		shown = shown[:5]
	}
	c.Message = fmt.Sprintf("%d Leases cannot be used as bindings and their addresses are kept out of service until they "+
		"are deleted or fixed: %s", len(names), strings.Join(shown, "; "))
	return c
}
