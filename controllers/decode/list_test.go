package decode_test

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/decode"
	"github.com/kubedhcp/kubedhcp/controllers/leasestore"
)

func TestReadListCompactsEveryLease(t *testing.T) {
	in := dhcpv1alpha1.LeaseList{
		TypeMeta: metav1.TypeMeta{APIVersion: "dhcp.kubedhcp.io/v1alpha1", Kind: "LeaseList"},
		ListMeta: metav1.ListMeta{ResourceVersion: "4711"},
	}
	for _, ip := range []string{"10.0.0.10", "10.0.0.11", "10.0.0.12"} {
		in.Items = append(in.Items, dhcpv1alpha1.Lease{
			TypeMeta: metav1.TypeMeta{APIVersion: "dhcp.kubedhcp.io/v1alpha1", Kind: "Lease"},
			ObjectMeta: metav1.ObjectMeta{Name: "lan-" + ip, Namespace: "dhcp", ResourceVersion: "4700", UID: "u",
				Labels:        map[string]string{"dhcp.kubedhcp.io/subnet": "lan"},
				ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubedhcp", Operation: metav1.ManagedFieldsOperationUpdate}}},
			Spec: dhcpv1alpha1.LeaseSpec{Subnet: "lan", IPAddress: dhcpv1alpha1.IPv4Address(ip), State: dhcpv1alpha1.LeaseBound,
				MACAddress: "02:00:00:00:00:01"},
		})
	}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := leasestore.Kind.ReadList(strings.NewReader(string(raw)), func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	if got.ResourceVersion != "4711" {
		t.Errorf("resourceVersion = %q, want 4711", got.ResourceVersion)
	}
	if len(got.Items) != len(in.Items) {
		t.Fatalf("%d items, want %d", len(got.Items), len(in.Items))
	}
	for i, o := range got.Items {
		l, want := o.(*dhcpv1alpha1.Lease), in.Items[i]
		if l.Name != want.Name || l.Namespace != "dhcp" || l.ResourceVersion != "4700" || l.Spec != want.Spec {
			t.Errorf("item %d = %+v, want name, namespace, resourceVersion and spec of %+v", i, l, want)
		}
		if l.Labels != nil || l.ManagedFields != nil || l.UID != "" || l.Kind != "" || l.Annotations != nil {
			t.Errorf("item %d kept metadata a binding does not need: %+v", i, l.ObjectMeta)
		}
		if _, err := leasestore.FromLease(l); err != nil {
			t.Errorf("item %d does not read as a binding: %v", i, err)
		}
	}
}

// Stored objects that do not decode become stand-ins that say why; one
// that names nothing is skipped and reported; the others arrive whole.
func TestReadListKeepsGoingPastBadItems(t *testing.T) {
	good := `{"metadata":{"name":"lan-10-0-0-10","resourceVersion":"5"},"spec":{"subnet":"lan","ipAddress":"10.0.0.10","state":"Bound"}}`
	items := []string{
		good,
		`{"metadata":{"name":"lan-10-0-0-11","resourceVersion":"6"},"spec":{"subnet":"lan","ipAddress":7,"state":"Bound"}}`,
		`{"metadata":{"name":"lan-10-0-0-12"},"spec":{"subnet":"lan","ipAddress":"10.0.0.12","expires":"not a time"}}`,
		`{"metadata":{"name":"lan-10-0-0-13"},"spec":"a string"}`,
		`{"metadata":"garbage","spec":{}}`,
		`{"metadata":{"name":"lan-10-0-0-14"},"spec":null}`,
	}
	var skipped []error
	got, err := leasestore.Kind.ReadList(strings.NewReader(`{"metadata":{"resourceVersion":"9"},"items":[`+strings.Join(items, ",")+`]}`),
		func(err error) { skipped = append(skipped, err) })
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0].Error(), "item 4") {
		t.Errorf("skipped %v, want item 4 (no name) only", skipped)
	}
	want := []struct{ name, why string }{
		{"lan-10-0-0-10", ""},
		{"lan-10-0-0-11", "cannot unmarshal number"},
		{"lan-10-0-0-12", "not a time"},
		{"lan-10-0-0-13", "cannot unmarshal string"},
		{"lan-10-0-0-14", ""}, // decodes; FromLease refuses it
	}
	if len(got.Items) != len(want) {
		t.Fatalf("%d items, want %d", len(got.Items), len(want))
	}
	for i, w := range want {
		l := got.Items[i].(*dhcpv1alpha1.Lease)
		why := decode.Unreadable(l)
		if l.Name != w.name || (w.why == "") != (why == "") || !strings.Contains(why, w.why) {
			t.Errorf("item %d: %s unreadable %q, want %s unreadable %q", i, l.Name, why, w.name, w.why)
		}
	}
	if l := got.Items[1].(*dhcpv1alpha1.Lease); l.ResourceVersion != "6" {
		t.Errorf("stand-in lost its resourceVersion: %+v", l.ObjectMeta)
	}
}

func TestReadListNamesTheFault(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`[]`, `want "{", got [`},
		{`{"items":{}}`, `field items: want "[", got {`},
		{`{"metadata":{"resourceVersion":3}}`, `field metadata:`},
		{`{"items":[{"spec":{}}`, `field items:`},
	} {
		_, err := leasestore.Kind.ReadList(strings.NewReader(tc.in), func(error) {})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadList(%s) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestListDeepCopyIsIndependent(t *testing.T) {
	l := &decode.List{ListMeta: metav1.ListMeta{ResourceVersion: "1"}, Items: []runtime.Object{&dhcpv1alpha1.Lease{Spec: dhcpv1alpha1.LeaseSpec{Subnet: "lan"}}}}
	c := l.DeepCopyObject().(*decode.List)
	c.Items[0].(*dhcpv1alpha1.Lease).Spec.Subnet = "other"
	if l.Items[0].(*dhcpv1alpha1.Lease).Spec.Subnet != "lan" || c.ResourceVersion != "1" {
		t.Errorf("copy shares items or lost its metadata")
	}
}

// A watch stream with an object that does not decode goes on: the bad
// one arrives as a stand-in, an error event as a Status.
func TestWatchKeepsGoingPastBadObjects(t *testing.T) {
	stream := `{"type":"ADDED","object":{"metadata":{"name":"lan-10-0-0-10","resourceVersion":"5"},"spec":{"subnet":"lan","ipAddress":"10.0.0.10","state":"Bound"}}}
{"type":"MODIFIED","object":{"metadata":{"name":"lan-10-0-0-11","resourceVersion":"6"},"spec":{"ipAddress":[1,2]}}}
{"type":"ADDED","object":{"metadata":7}}
{"type":"DELETED","object":{"metadata":{"name":"lan-10-0-0-10","resourceVersion":"7"},"spec":{"subnet":"lan","ipAddress":"10.0.0.10","state":"Bound"}}}
{"type":"ERROR","object":{"kind":"Status","status":"Failure","reason":"Expired","code":410,"message":"too old"}}
`
	var skipped []error
	w := decode.NewWatchForTest(leasestore.Kind, io.NopCloser(strings.NewReader(stream)), func(err error) { skipped = append(skipped, err) })
	defer w.Stop()
	want := []struct {
		typ  watch.EventType
		name string
		bad  bool
	}{{watch.Added, "lan-10-0-0-10", false}, {watch.Modified, "lan-10-0-0-11", true}, {watch.Deleted, "lan-10-0-0-10", false}}
	for i, ww := range want {
		ev := <-w.ResultChan()
		l, ok := ev.Object.(*dhcpv1alpha1.Lease)
		if ev.Type != ww.typ || !ok || l.Name != ww.name || (decode.Unreadable(l) != "") != ww.bad {
			t.Fatalf("event %d = %s %+v, want %s %s (unreadable %t)", i, ev.Type, ev.Object, ww.typ, ww.name, ww.bad)
		}
	}
	ev := <-w.ResultChan()
	if st, ok := ev.Object.(*metav1.Status); ev.Type != watch.Error || !ok || st.Code != 410 {
		t.Errorf("error event %+v", ev)
	}
	if len(skipped) != 1 {
		t.Errorf("skipped %v, want the object without a name", skipped)
	}
}
