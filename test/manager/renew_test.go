package manager_test

import (
	"context"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
)

// versions returns each Lease's resourceVersion.
func versions(t *testing.T, ns string) map[string]string {
	var list dhcpv1alpha1.LeaseList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range list.Items {
		out[l.Name] = l.ResourceVersion
	}
	return out
}

func TestRenewalWritesAmortised(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	ctx := context.Background()
	sn := &dhcpv1alpha1.Subnet{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "lab"}, sn); err != nil {
		t.Fatal(err)
	}
	// 4 s leases, so clients reach T1 (2 s) many times in a short test.
	sn.Spec.LeaseTime = &dhcpv1alpha1.LeaseTimes{Default: &metav1.Duration{Duration: 4 * time.Second}, Min: &metav1.Duration{Duration: 4 * time.Second}}
	if err := env.Client.Update(ctx, sn); err != nil {
		t.Fatal(err)
	}
	startManager(t, ns, serverA)
	r := relay(t, relayA, serverA)
	clients := r.Clients(20, 0x64)
	if ok := loadgen.RunAll(ctx, clients, 20, time.Second); ok != 20 {
		t.Fatalf("%d of 20 bound", ok)
	}
	const rounds = 12
	writes, renewals := 0, 0
	prev := versions(t, ns)
	for i := 0; i < rounds; i++ {
		time.Sleep(2 * time.Second) // T1
		for _, c := range clients {
			got, err := c.Renew(ctx, time.Second)
			if err != nil || got != dhcpv4.MessageTypeAck {
				t.Fatalf("round %d: renewal of %s: %v %v", i, c.HW(), got, err)
			}
			if l := c.ACK().IPAddressLeaseTime(0); l != 4*time.Second {
				t.Fatalf("renewal granted %s, want the full 4s", l)
			}
			renewals++
		}
		cur := versions(t, ns)
		for name, v := range cur {
			if prev[name] != v {
				writes++
			}
		}
		prev = cur
	}
	per := float64(writes) / float64(renewals)
	t.Logf("%d renewals at T1 wrote %d times: %.2f API writes per renewal", renewals, writes, per)
	if per >= 0.5 {
		t.Errorf("%.2f writes per renewal, want fewer than 0.5", per)
	}
}
