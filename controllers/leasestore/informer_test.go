package leasestore

import (
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

func TestDecodeListCompactsEveryLease(t *testing.T) {
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
	got, err := decodeList(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if got.ResourceVersion != "4711" {
		t.Errorf("resourceVersion = %q, want 4711", got.ResourceVersion)
	}
	if len(got.Items) != len(in.Items) {
		t.Fatalf("%d items, want %d", len(got.Items), len(in.Items))
	}
	for i, l := range got.Items {
		want := in.Items[i]
		if l.Name != want.Name || l.Namespace != "dhcp" || l.ResourceVersion != "4700" || l.Spec != want.Spec {
			t.Errorf("item %d = %+v, want name, namespace, resourceVersion and spec of %+v", i, l, want)
		}
		if l.Labels != nil || l.ManagedFields != nil || l.UID != "" || l.Kind != "" {
			t.Errorf("item %d kept metadata a binding does not need: %+v", i, l.ObjectMeta)
		}
		if _, err := FromLease(l); err != nil {
			t.Errorf("item %d does not read as a binding: %v", i, err)
		}
	}
}

func TestDecodeListNamesTheFault(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`[]`, `want "{", got [`},
		{`{"items":{}}`, `field items: want "[", got {`},
		{`{"items":[{"spec":{"subnet":"lan"}},{"spec":{"subnet":7}}]}`, `field items: item 1:`},
		{`{"metadata":{"resourceVersion":3}}`, `field metadata:`},
		{`{"items":[{"spec":{}}`, `field items:`},
	} {
		_, err := decodeList(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("decodeList(%s) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestLeaseListDeepCopyIsIndependent(t *testing.T) {
	l := &leaseList{ListMeta: metav1.ListMeta{ResourceVersion: "1"},
		Items: []*dhcpv1alpha1.Lease{{Spec: dhcpv1alpha1.LeaseSpec{Subnet: "lan"}}}}
	c := l.DeepCopyObject().(*leaseList)
	c.Items[0].Spec.Subnet = "other"
	if l.Items[0].Spec.Subnet != "lan" || c.ResourceVersion != "1" {
		t.Errorf("copy shares items or lost its metadata: %+v", l.Items[0].Spec)
	}
}
