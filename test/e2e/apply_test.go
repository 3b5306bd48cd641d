package e2e_test

import (
	"net"
	"testing"
	"time"

	"github.com/kubedhcp/kubedhcp/test/clients"
	"github.com/kubedhcp/kubedhcp/test/netns"
)

// TestReservationAppliedWhileServing: dhclient is bound from the pool; a
// Reservation for its MAC is applied with kubectl; the client's next
// DISCOVER, within a second of the apply, gets the reserved address. The
// address it released is free again: another client asking for it gets it.
func TestReservationAppliedWhileServing(t *testing.T) {
	netns.RequireRoot(t)
	ns := setup(t, "e2e-apply-", objects)
	n := newNetwork(t)
	startManager(t, n, ns)
	mac, _ := net.ParseMAC("02:e2:e0:00:02:01")
	cns := n.client(t, "A", "eth0", mac)
	first := clients.Dhclient(t, cns, "eth0", "")
	old := first.Wait(t, 20*time.Second, first.Bound)["ip"]
	first.Release(t)

	res := `apiVersion: dhcp.kubedhcp.io/v1alpha1
kind: Reservation
metadata: {name: late, namespace: ` + ns + `}
spec: {subnet: office, macAddress: "02:e2:e0:00:02:01", ipAddress: 10.0.0.77, hostname: late}
`
	if out, err := env.KubectlStdin(res, "apply", "-f", "-"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	applied := time.Now()
	again := clients.Dhclient(t, cns, "eth0", "")
	st := again.Wait(t, 5*time.Second, again.Bound)
	took := time.Since(applied)
	if st["ip"] != "10.0.0.77" || st["hostname"] != "late" {
		t.Fatalf("after the Reservation: %s %q, want 10.0.0.77 \"late\"", st["ip"], st["hostname"])
	}
	if took > time.Second {
		t.Errorf("bound to the reserved address %s after kubectl apply, want within 1s", took)
	}
	t.Logf("bound to the reserved address %s after kubectl apply returned", took.Round(time.Millisecond))

	// The released address is free: another client asking for it gets it.
	other, _ := net.ParseMAC("02:e2:e0:00:02:02")
	c := clients.Dhclient(t, n.client(t, "A", "eth0", other), "eth0", "send dhcp-requested-address "+old+";\n")
	if got := c.Wait(t, 20*time.Second, c.Bound)["ip"]; got != old {
		t.Errorf("another client asking for the released %s got %s", old, got)
	}
}
