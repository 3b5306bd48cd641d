package e2e_test

import (
	"net"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/test/clients"
	"github.com/kubedhcp/kubedhcp/test/netns"
)

// pxeObjects adds boot rules and two reservations to the office subnet.
func pxeObjects(ns string) []client.Object {
	objs := objects(ns)
	office := objs[0].(*dhcpv1alpha1.Subnet)
	office.Spec.Boot = &dhcpv1alpha1.Boot{NextServer: "10.0.0.4", ServerName: "boot.corp.example", Rules: []dhcpv1alpha1.BootRule{
		{Match: dhcpv1alpha1.BootMatch{UserClass: "iPXE"}, BootFileName: "http://10.0.0.4/boot.ipxe"},
		{Match: dhcpv1alpha1.BootMatch{ClientArch: []dhcpv1alpha1.ClientArch{0}}, BootFileName: "undionly.kpxe"},
		{Match: dhcpv1alpha1.BootMatch{ClientArch: []dhcpv1alpha1.ClientArch{6, 7, 9}}, BootFileName: "ipxe.efi"},
	}}
	return append(objs,
		&dhcpv1alpha1.Reservation{ObjectMeta: metav1.ObjectMeta{Name: "by-mac", Namespace: ns}, Spec: dhcpv1alpha1.ReservationSpec{
			Subnet: "office", MACAddress: "02:e2:e0:00:01:01", IPAddress: "10.0.0.51", Hostname: "res-mac"}},
		&dhcpv1alpha1.Reservation{ObjectMeta: metav1.ObjectMeta{Name: "by-client-id", Namespace: ns}, Spec: dhcpv1alpha1.ReservationSpec{
			Subnet: "office", ClientID: "01:02:e2:e0:00:01:02", IPAddress: "10.0.0.52", Hostname: "res-cid"}})
}

const pxeArch = "option pxe-arch code 93 = unsigned integer 16;\n"

func TestReservationsAndPXE(t *testing.T) {
	netns.RequireRoot(t)
	ns := setup(t, "e2e-pxe-", pxeObjects)
	n := newNetwork(t)
	startManager(t, n, ns)
	tests := []struct {
		name                    string
		mac                     string
		conf                    string
		ip, hostname, file, srv string
	}{
		{"mac-reservation", "02:e2:e0:00:01:01", "", "10.0.0.51", "res-mac", "", ""},
		{"client-id-reservation", "02:e2:e0:00:01:09", "send dhcp-client-identifier 1:2:e2:e0:0:1:2;\n", "10.0.0.52", "res-cid", "", ""},
		{"pxe-bios-arch-0", "02:e2:e0:00:01:03", pxeArch + "send vendor-class-identifier \"PXEClient:Arch:00000:UNDI:002001\";\nsend pxe-arch 0;\n",
			"", "", "undionly.kpxe", "10.0.0.4"},
		{"pxe-uefi-arch-7", "02:e2:e0:00:01:04", pxeArch + "send vendor-class-identifier \"PXEClient:Arch:00007:UNDI:003016\";\nsend pxe-arch 7;\n",
			"", "", "ipxe.efi", "10.0.0.4"},
		{"ipxe-user-class", "02:e2:e0:00:01:05", pxeArch + "send user-class \"iPXE\";\nsend pxe-arch 0;\n",
			"", "", "http://10.0.0.4/boot.ipxe", "10.0.0.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mac, _ := net.ParseMAC(tt.mac)
			c := clients.Dhclient(t, n.client(t, "A", "eth0", mac), "eth0", tt.conf)
			st := c.Wait(t, 20*time.Second, c.Bound)
			if tt.ip != "" && (st["ip"] != tt.ip || st["hostname"] != tt.hostname) {
				t.Errorf("got %s %q, want %s %q", st["ip"], st["hostname"], tt.ip, tt.hostname)
			}
			if st["filename"] != tt.file || (tt.srv != "" && st["next_server"] != tt.srv) {
				t.Errorf("boot file %q next server %q, want %q %q", st["filename"], st["next_server"], tt.file, tt.srv)
			}
			l := leaseOf(t, ns, st["ip"])
			if tt.hostname != "" && (l.Spec.Hostname != tt.hostname || l.Spec.Reservation == "") {
				t.Errorf("lease %+v, want hostname %s from a reservation", l.Spec, tt.hostname)
			}
		})
	}
}
