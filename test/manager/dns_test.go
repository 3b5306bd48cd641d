package manager_test

import (
	"context"
	"net"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	externaldnsv1alpha1 "sigs.k8s.io/external-dns/apis/v1alpha1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// A Subnet with spec.dns gets a DNSEndpoint holding an A and a PTR record
// for each bound client whose host name is a valid label; hostile names
// are never published; a record goes when its lease does.
func TestDNSRecordsFollowLeases(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.30")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sn := &dhcpv1alpha1.Subnet{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "lab"}, sn); err != nil {
		t.Fatal(err)
	}
	sn.Spec.DNS = &dhcpv1alpha1.LeaseDNS{Domain: "lab.example", Reverse: true}
	if err := env.Client.Update(ctx, sn); err != nil {
		t.Fatal(err)
	}
	startManager(t, ns, serverA)
	r := relay(t, relayA, serverA)
	names := []string{"pc-1", "Laptop-2.corp.example", "evil;rm -rf /", "x$(reboot)", strings.Repeat("a", 70), "pc-1"}
	good := make([]string, 0, len(names))
	for i, name := range names {
		c := r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x75, byte(i)})
		c.Hostname = name
		if err := c.DORA(ctx, 2*time.Second); err != nil {
			t.Fatal(err)
		}
		good = append(good, c.Addr().String())
	}
	want := []string{good[0] + " A pc-1.lab.example", good[1] + " A laptop-2.lab.example",
		reverse(good[0]) + " PTR pc-1.lab.example", reverse(good[1]) + " PTR laptop-2.lab.example"}
	var got []string
	defer func() {
		if t.Failed() {
			t.Logf("records:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(sorted(want), "\n"))
		}
	}()
	eventually(t, 15*time.Second, "the DNSEndpoint holds the two valid names", func() bool {
		got = records(ctx, ns)
		return strings.Join(got, "\n") == strings.Join(sorted(want), "\n")
	})
	if len(got) == 0 {
		t.Fatal("no records")
	}
	t.Logf("6 clients (2 valid names, 3 hostile, 1 taken): DNSEndpoint lab-leases holds\n%s", strings.Join(got, "\n"))
	// Revoke pc-1's lease: its records go, and the name passes to the
	// client that asked for it second.
	l, err := getLease(ns, netip.MustParseAddr(good[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Delete(ctx, l); err != nil {
		t.Fatal(err)
	}
	want = []string{good[5] + " A pc-1.lab.example", good[1] + " A laptop-2.lab.example",
		reverse(good[5]) + " PTR pc-1.lab.example", reverse(good[1]) + " PTR laptop-2.lab.example"}
	eventually(t, 15*time.Second, "pc-1's records moved with its lease", func() bool {
		got = records(ctx, ns)
		return strings.Join(got, "\n") == strings.Join(sorted(want), "\n")
	})
}

// records lists the DNSEndpoint's records as "target type name" lines
// (A: "ip A name"; PTR: "reverse PTR name").
func records(ctx context.Context, ns string) []string {
	de := &externaldnsv1alpha1.DNSEndpoint{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "lab-leases"}, de); err != nil {
		return nil
	}
	var out []string
	for _, e := range de.Spec.Endpoints {
		if e.RecordType == "A" {
			out = append(out, strings.Join(e.Targets, ",")+" A "+e.DNSName)
		} else {
			out = append(out, e.DNSName+" "+e.RecordType+" "+strings.Join(e.Targets, ","))
		}
	}
	return sorted(out)
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func reverse(ip string) string {
	p := strings.Split(ip, ".")
	return p[3] + "." + p[2] + "." + p[1] + "." + p[0] + ".in-addr.arpa"
}
