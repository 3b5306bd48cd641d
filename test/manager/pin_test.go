package manager_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// Annotating a dynamic Lease pins it: a clean Reservation with the
// client's identity and address appears, the Lease moves under it, and
// after a restart the client renews the same address, now reserved.
func TestPinnedLeaseSurvivesRestart(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.250")
	m := startManager(t, ns, serverA)
	r := relay(t, relayA, serverA)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x73, 0x01})
	if err := c.DORA(ctx, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	name := dhcpv1alpha1.LeaseName("lab", c.Addr())
	if out, err := env.Kubectl("annotate", "-n", ns, "dhcpleases", name, dhcpv1alpha1.PinAnnotation+"=node-7"); err != nil {
		t.Fatal(out, err)
	}
	l := &dhcpv1alpha1.Lease{}
	eventually(t, 10*time.Second, "the Lease moved under Reservation node-7", func() bool {
		_ = env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, l)
		return l.Spec.Reservation == "node-7" && l.Spec.Pool == "" && l.Annotations[dhcpv1alpha1.PinnedAnnotation] == "node-7"
	})
	res := &dhcpv1alpha1.Reservation{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "node-7"}, res); err != nil {
		t.Fatal(err)
	}
	if string(res.Spec.IPAddress) != c.Addr().String() || string(res.Spec.MACAddress) != c.HW().String() || res.Spec.Subnet != "lab" ||
		len(res.OwnerReferences)+len(res.Labels)+len(res.Annotations) != 0 {
		t.Fatalf("Reservation %+v, want a clean one for %s at %s", res, c.HW(), c.Addr())
	}
	spec, _ := env.Kubectl("get", "reservation", "-n", ns, "node-7", "-o", "jsonpath={.spec}")
	t.Logf("pinned %s (%s) as Reservation node-7: spec %s", c.Addr(), c.HW(), spec)
	eventually(t, 10*time.Second, "the Reservation Ready, holding its client's Lease", func() bool {
		_ = env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "node-7"}, res)
		return res.Status.Lease == name
	})
	m.stop()
	startManager(t, ns, serverA)
	before := c.Addr()
	if typ, err := c.Renew(ctx, 2*time.Second); err != nil || typ.String() != "ACK" || c.Addr() != before {
		t.Fatalf("renewal after the restart: %v %v, address %s; want an ACK for %s", typ, err, c.Addr(), before)
	}
	_ = env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, l)
	if l.Spec.Reservation != "node-7" || l.Spec.State != dhcpv1alpha1.LeaseBound {
		t.Fatalf("after the renewal the Lease is %+v, want Bound under node-7", l.Spec)
	}
	// A Lease that cannot be pinned says why.
	if out, err := env.Kubectl("annotate", "-n", ns, "dhcpleases", name, dhcpv1alpha1.PinAnnotation+"=Not_A_Name"); err != nil {
		t.Fatal(out, err)
	}
	eventually(t, 10*time.Second, "a PinRefused event", func() bool {
		out, _ := env.Kubectl("get", "events", "-n", ns, "-o", "custom-columns=REASON:.reason,NOTE:.note", "--no-headers")
		return strings.Contains(out, "PinRefused")
	})
}
