package crd_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// seed creates one object of each kind with the status the controllers
// would write, so every printer column has a value.
func seed(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	c := env.Client
	ready := metav1.Condition{Type: dhcpv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Serving", LastTransitionTime: metav1.Now()}

	subnet := &dhcpv1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "office", Namespace: ns},
		Spec: dhcpv1alpha1.SubnetSpec{CIDR: "10.0.0.0/24"}}
	pool := &dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "office-dynamic", Namespace: ns},
		Spec: dhcpv1alpha1.PoolSpec{Subnet: "office", Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.0.0.10", End: "10.0.0.254"}}}}
	res := &dhcpv1alpha1.Reservation{ObjectMeta: metav1.ObjectMeta{Name: "printer", Namespace: ns},
		Spec: dhcpv1alpha1.ReservationSpec{Subnet: "office", MACAddress: "00:1b:a9:12:34:56", IPAddress: "10.0.0.5", Hostname: "printer-2f"}}
	expires := metav1.NewTime(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	lease := &dhcpv1alpha1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "office-10-0-0-10", Namespace: ns},
		Spec: dhcpv1alpha1.LeaseSpec{Subnet: "office", IPAddress: "10.0.0.10", MACAddress: "00:16:41:e0:f9:1c",
			Hostname: "MyClientPC01", State: dhcpv1alpha1.LeaseBound, Expires: &expires, LeaseTime: &metav1.Duration{Duration: 10 * time.Minute}}}
	if err := c.Create(ctx, subnet); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, res); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, lease); err != nil {
		t.Fatal(err)
	}
	subnet.Status = dhcpv1alpha1.SubnetStatus{Total: 236, Used: 1, Free: 235, Reserved: 1}
	pool.Status = dhcpv1alpha1.PoolStatus{Range: "10.0.0.10-10.0.0.254", Total: 244, Used: 1, Free: 243, Conditions: []metav1.Condition{ready}}
	res.Status = dhcpv1alpha1.ReservationStatus{Identity: "mac 00:1b:a9:12:34:56", Conditions: []metav1.Condition{ready}}
	if err := c.Status().Update(ctx, subnet); err != nil {
		t.Fatal(err)
	}
	if err := c.Status().Update(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := c.Status().Update(ctx, res); err != nil {
		t.Fatal(err)
	}
}

// table splits kubectl's table output into rows of fields.
func table(out string) [][]string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	rows := make([][]string, 0, len(lines))
	for _, line := range lines {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

func TestPrinterColumns(t *testing.T) {
	ns := newNamespace(t)
	seed(t, ns)
	tests := []struct {
		resource string
		header   []string
		row      []string
	}{
		{"subnets", []string{"NAME", "CIDR", "USED", "FREE", "CLAIMED", "AGE"}, []string{"office", "10.0.0.0/24", "1", "235", "0"}},
		{"pools", []string{"NAME", "SUBNET", "RANGE", "USED", "FREE", "CLAIMED", "READY"}, []string{"office-dynamic", "office", "10.0.0.10-10.0.0.254", "1", "243", "0", "True"}},
		{"reservations", []string{"NAME", "IDENTITY", "IP", "HOSTNAME", "READY"}, []string{"printer", "mac", "00:1b:a9:12:34:56", "10.0.0.5", "printer-2f", "True"}},
		// What the client holds (a 10 minute lease), not the stored
		// horizon, which -o wide shows.
		{"dhcpleases", []string{"NAME", "IP", "MAC", "HOSTNAME", "STATE", "LEASE", "AGE"}, []string{"office-10-0-0-10", "10.0.0.10", "00:16:41:e0:f9:1c", "MyClientPC01", "Bound", "10m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.resource, func(t *testing.T) {
			out, err := env.Kubectl("get", tt.resource, "-n", ns)
			if err != nil {
				t.Fatal(err)
			}
			rows := table(out)
			if len(rows) != 2 {
				t.Fatalf("kubectl get %s printed\n%s\nwant a header and one row", tt.resource, out)
			}
			if !slices.Equal(rows[0], tt.header) {
				t.Errorf("header %q, want %q", rows[0], tt.header)
			}
			if !slices.Equal(rows[1][:len(tt.row)], tt.row) {
				t.Errorf("row %q, want it to start with %q", rows[1], tt.row)
			}
		})
	}
}

func TestLeaseWideShowsStoredHorizon(t *testing.T) {
	ns := newNamespace(t)
	seed(t, ns)
	out, err := env.Kubectl("get", "dhcpleases", "-n", ns, "-o", "wide")
	if err != nil {
		t.Fatal(err)
	}
	rows := table(out)
	if len(rows) != 2 || !slices.Contains(rows[0], "UNTIL") || !slices.Contains(rows[1], "2026-11-24T12:00:00Z") {
		t.Errorf("kubectl get dhcpleases -o wide printed\n%s\nwant the stored horizon in a STORED UNTIL column", out)
	}
}

func TestCategoryAndShortNames(t *testing.T) {
	ns := newNamespace(t)
	seed(t, ns)
	out, err := env.Kubectl("get", "dhcp", "-n", ns, "-o", "name")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(out)
	slices.Sort(got)
	want := []string{"lease.dhcp.kubedhcp.io/office-10-0-0-10", "pool.dhcp.kubedhcp.io/office-dynamic",
		"reservation.dhcp.kubedhcp.io/printer", "subnet.dhcp.kubedhcp.io/office"}
	if !slices.Equal(got, want) {
		t.Errorf("kubectl get dhcp = %q, want %q", got, want)
	}
	for short, name := range map[string]string{"dsub": "subnet.dhcp.kubedhcp.io/office", "dpool": "pool.dhcp.kubedhcp.io/office-dynamic",
		"dres": "reservation.dhcp.kubedhcp.io/printer", "dlease": "lease.dhcp.kubedhcp.io/office-10-0-0-10"} {
		out, err := env.Kubectl("get", short, "-n", ns, "-o", "name")
		if err != nil || strings.TrimSpace(out) != name {
			t.Errorf("kubectl get %s = %q (%v), want %q", short, out, err, name)
		}
	}
}

func TestDiscovery(t *testing.T) {
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	list, err := dc.ServerResourcesForGroupVersion(dhcpv1alpha1.GroupVersion.String())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		kind, singular, short string
	}{
		"subnets":      {"Subnet", "subnet", "dsub"},
		"pools":        {"Pool", "pool", "dpool"},
		"reservations": {"Reservation", "reservation", "dres"},
		"dhcpleases":   {"Lease", "dhcplease", "dlease"},
	}
	ours := map[string]bool{}
	for _, r := range list.APIResources {
		if strings.Contains(r.Name, "/") {
			continue // subresources
		}
		w, ok := want[r.Name]
		if !ok {
			t.Errorf("unexpected resource %q", r.Name)
			continue
		}
		ours[r.Name] = true
		if r.Kind != w.kind || r.SingularName != w.singular || !r.Namespaced {
			t.Errorf("%s: kind %q singular %q namespaced %v, want %q %q true", r.Name, r.Kind, r.SingularName, r.Namespaced, w.kind, w.singular)
		}
		if !slices.Equal(r.ShortNames, []string{w.short}) || !slices.Equal(r.Categories, []string{"dhcp"}) {
			t.Errorf("%s: short names %q categories %q, want [%s] [dhcp]", r.Name, r.ShortNames, r.Categories, w.short)
		}
	}
	if len(ours) != len(want) {
		t.Errorf("found resources %v, want %d", ours, len(want))
	}
	assertNoCollision(t, dc)
}

// assertNoCollision checks that no built-in resource answers to the names
// or short names of ours, so kubectl never resolves one for the other.
func assertNoCollision(t *testing.T, dc discovery.DiscoveryInterface) {
	t.Helper()
	_, lists, err := dc.ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	ours := []string{"subnet", "subnets", "pool", "pools", "reservation", "reservations", "dhcplease", "dhcpleases",
		"dsub", "dpool", "dres", "dlease"}
	for _, l := range lists {
		if l.GroupVersion == dhcpv1alpha1.GroupVersion.String() {
			continue
		}
		for _, r := range l.APIResources {
			names := append([]string{r.Name, r.SingularName}, r.ShortNames...)
			for _, n := range names {
				if slices.Contains(ours, n) {
					t.Errorf("%s %s answers to %q, one of kubedhcp's names", l.GroupVersion, r.Name, n)
				}
			}
		}
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{"subnets", []string{"KIND:       Subnet", "GROUP:      dhcp.kubedhcp.io", "IPv4 network the server hands addresses out on"}},
		{"subnets.spec.cidr", []string{"CIDR is the IPv4 network, such as 10.0.0.0/24", "prefix length is"}},
		{"subnets.spec.authoritative", []string{"DHCPNAK", "ISC dhcpd"}},
		{"subnets.spec.options.domainSearch", []string{"RFC 3397", "option 119"}},
		{"pools", []string{"KIND:       Pool", "handed out to clients"}},
		{"pools.spec.clientClasses.knownClients", []string{"Any (the default), Only, or Deny"}},
		{"reservations", []string{"KIND:       Reservation", "fixed address"}},
		{"reservations.spec.clientID", []string{"client identifier (option 61)"}},
		{"dhcpleases", []string{"KIND:       Lease", "Only the server writes"}},
		{"dhcpleases.spec.state", []string{"Bound, Released, Declined, Expired, Spare or Claimed"}},
		{"reservations.spec.claim", []string{"Cluster API IPAddressClaim"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			out, err := env.Kubectl("explain", tt.path)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(w), " ")) {
					t.Errorf("kubectl explain %s printed\n%s\nwant %q", tt.path, out, w)
				}
			}
		})
	}
}
