package translate

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/decode"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
)

func objMeta(name string, age int) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "ns", CreationTimestamp: metav1.NewTime(time.Unix(1_700_000_000-int64(age), 0))}
}

func subnetObj(name, cidr string, age int) dhcpv1alpha1.Subnet {
	return dhcpv1alpha1.Subnet{ObjectMeta: objMeta(name, age), Spec: dhcpv1alpha1.SubnetSpec{CIDR: dhcpv1alpha1.IPv4CIDR(cidr)}}
}

func poolObj(name, subnet, start, end string, age int) dhcpv1alpha1.Pool {
	return dhcpv1alpha1.Pool{ObjectMeta: objMeta(name, age), Spec: dhcpv1alpha1.PoolSpec{Subnet: dhcpv1alpha1.ObjectName(subnet),
		Ranges: []dhcpv1alpha1.AddressRange{{Start: dhcpv1alpha1.IPv4Address(start), End: dhcpv1alpha1.IPv4Address(end)}}}}
}

func resObj(name, mac, addr string, age int) dhcpv1alpha1.Reservation {
	subnet := "office"
	return dhcpv1alpha1.Reservation{ObjectMeta: objMeta(name, age), Spec: dhcpv1alpha1.ReservationSpec{Subnet: dhcpv1alpha1.ObjectName(subnet),
		MACAddress: dhcpv1alpha1.MACAddress(mac), IPAddress: dhcpv1alpha1.IPv4Address(addr)}}
}

func TestBuildCrossObjectRules(t *testing.T) {
	subnets := []dhcpv1alpha1.Subnet{
		subnetObj("office", "10.0.0.0/24", 100),
		subnetObj("overlapping", "10.0.0.0/16", 50),
		subnetObj("lab", "10.1.0.0/24", 40),
	}
	pools := []dhcpv1alpha1.Pool{
		poolObj("office-a", "office", "10.0.0.10", "10.0.0.99", 90),
		poolObj("office-b", "office", "10.0.0.90", "10.0.0.150", 80), // overlaps office-a
		poolObj("across", "office", "10.0.0.200", "10.0.1.10", 70),   // leaves the subnet
		poolObj("orphan", "nowhere", "10.9.0.1", "10.9.0.9", 60),
		poolObj("on-bad-subnet", "overlapping", "10.0.5.1", "10.0.5.9", 60),
		poolObj("lab-a", "lab", "10.1.0.10", "10.1.0.20", 30),
	}
	reservations := []dhcpv1alpha1.Reservation{
		resObj("printer", "00:00:00:00:00:01", "10.0.0.5", 90),
		resObj("same-address", "00:00:00:00:00:02", "10.0.0.5", 80),
		resObj("same-mac", "00:00:00:00:00:01", "10.0.0.6", 70),
		resObj("outside", "00:00:00:00:00:03", "10.1.0.5", 60),
		resObj("in-pool", "00:00:00:00:00:04", "10.0.0.20", 50),
	}
	got := Build(subnets, pools, reservations, config.Env{})
	want := map[Ref]string{
		{"Subnet", "overlapping"}:       "Overlap: spec.cidr: 10.0.0.0/16 overlaps subnet office (10.0.0.0/24)",
		{"Pool", "office-b"}:            "Overlap: spec.ranges[0]: 10.0.0.90-10.0.0.150 overlaps 10.0.0.10-10.0.0.99 of pool office-a",
		{"Pool", "across"}:              "OutsideSubnet: spec.ranges[0]: 10.0.0.200-10.0.1.10 is outside subnet office (10.0.0.0/24)",
		{"Pool", "orphan"}:              "SubnetNotFound: spec.subnet: subnet nowhere does not exist",
		{"Pool", "on-bad-subnet"}:       "SubnetNotReady: spec.subnet: subnet overlapping is not served",
		{"Reservation", "same-address"}: "Duplicate: spec.ipAddress: 10.0.0.5 is also reserved by printer",
		{"Reservation", "same-mac"}:     "Duplicate: spec.macAddress: 00:00:00:00:00:01 is also reserved by printer",
		{"Reservation", "outside"}:      "OutsideSubnet: spec.ipAddress: 10.1.0.5 is outside subnet office (10.0.0.0/24)",
	}
	for ref, w := range want {
		p, ok := got.Problems[ref]
		if !ok || p.Reason+": "+p.Message != w {
			t.Errorf("%v: got %q, want %q", ref, p.Reason+": "+p.Message, w)
		}
	}
	if len(got.Problems) != len(want) {
		t.Errorf("problems %v, want exactly %d", got.Problems, len(want))
	}
	// What is valid is served.
	s := got.Snapshot
	office := s.Subnet("office")
	if office == nil || s.Subnet("lab") == nil || s.Subnet("overlapping") != nil {
		t.Fatalf("served subnets %v", s.Subnets())
	}
	if len(office.Pools) != 1 || office.Pools[0].Name != "office-a" || len(office.Reservations) != 2 {
		t.Errorf("office pools %d reservations %d", len(office.Pools), len(office.Reservations))
	}
	// A reservation inside a dynamic range takes its address out of the pool.
	if office.Pools[0].Contains(netip.MustParseAddr("10.0.0.20")) {
		t.Error("reserved 10.0.0.20 still in the pool")
	}
}

func TestBuildTranslatesSamples(t *testing.T) {
	sn := subnetObj("branch", "10.20.0.0/24", 10)
	sn.Spec.RelayAddresses = []dhcpv1alpha1.IPv4Address{"172.16.0.1"}
	sn.Spec.ExcludedAddresses = []dhcpv1alpha1.AddressOrRange{"10.20.0.1", "10.20.0.2-10.20.0.9"}
	sn.Spec.LeaseTime = &dhcpv1alpha1.LeaseTimes{Default: &metav1.Duration{Duration: 4 * time.Hour}}
	sn.Spec.Options = &dhcpv1alpha1.DHCPOptions{Routers: []dhcpv1alpha1.IPv4Address{"10.20.0.1"}, NetBIOSNodeType: "H",
		ClasslessStaticRoutes: []dhcpv1alpha1.ClasslessRoute{{Destination: "0.0.0.0/0", Gateway: "10.20.0.1"}}}
	sn.Spec.CustomOptions = []dhcpv1alpha1.CustomOption{{Code: 250, Type: "ip", Value: "10.20.0.5"}}
	p := poolObj("win", "branch", "10.20.0.200", "10.20.0.249", 5)
	p.Spec.ClientClasses = &dhcpv1alpha1.ClientClasses{VendorClass: "MSFT 5.0", CircuitID: "ge-0/0/1", KnownClients: dhcpv1alpha1.KnownClientsDeny}
	got := Build([]dhcpv1alpha1.Subnet{sn}, []dhcpv1alpha1.Pool{p}, nil, config.Env{})
	if len(got.Problems) > 0 {
		t.Fatalf("problems %v", got.Problems)
	}
	b := got.Snapshot.Subnet("branch")
	if got.Snapshot.SubnetForRelay(netip.MustParseAddr("172.16.0.1")) != b {
		t.Error("relay address does not select the subnet")
	}
	if !b.Excludes(netip.MustParseAddr("10.20.0.5")) || b.Lease().Default != 4*time.Hour {
		t.Error("exclusions or lease time not translated")
	}
	if v, ok := b.Opts().Get(250); !ok || string(v) != string([]byte{10, 20, 0, 5}) {
		t.Errorf("custom option 250 = %v", v)
	}
	cl := b.Pools[0].Classes
	if cl == nil || cl.VendorClass != "MSFT 5.0" || string(cl.CircuitID) != "ge-0/0/1" {
		t.Errorf("classes %+v", cl)
	}
}

func TestBuildInvalidSubnetNamesField(t *testing.T) {
	sn := subnetObj("bad", "10.0.0.0/24", 1)
	sn.Spec.Options = &dhcpv1alpha1.DHCPOptions{DomainSearch: []dhcpv1alpha1.DomainName{"a..b"}}
	got := Build([]dhcpv1alpha1.Subnet{sn}, nil, nil, config.Env{})
	if p := got.Problems[Ref{"Subnet", "bad"}]; p.Reason != dhcpv1alpha1.ReasonInvalid || !strings.Contains(p.Message, "domainSearch") {
		t.Errorf("problem %+v", p)
	}
}

// Stored objects the CRDs would refuse now, or that do not decode, are
// reported and left out; the rest is served.
func TestBuildRefusesWhatIsStoredButUnservable(t *testing.T) {
	long := subnetObj("a-subnet-name-of-sixty-four-characters-which-would-label-leases0", "10.9.0.0/24", 3)
	unread := subnetObj("unread", "10.8.0.0/24", 2)
	unread.Annotations = map[string]string{decode.UnreadableAnnotation: `time: invalid duration "3000000h"`}
	pool := poolObj("garbled", "office", "10.0.0.10", "10.0.0.20", 1)
	pool.Annotations = map[string]string{decode.UnreadableAnnotation: "json: cannot unmarshal string into []AddressRange"}
	got := Build([]dhcpv1alpha1.Subnet{subnetObj("office", "10.0.0.0/24", 4), long, unread},
		[]dhcpv1alpha1.Pool{pool, poolObj("fine", "office", "10.0.0.30", "10.0.0.40", 1)}, nil, config.Env{})
	want := map[Ref]string{
		{"Subnet", long.Name}: "metadata.name: 64 characters, more than 63",
		{"Subnet", "unread"}:  `spec: the stored object cannot be read: time: invalid duration "3000000h"`,
		{"Pool", "garbled"}:   "spec: the stored object cannot be read: json: cannot unmarshal string",
	}
	for ref, w := range want {
		if p, ok := got.Problems[ref]; !ok || p.Reason != dhcpv1alpha1.ReasonInvalid || !strings.Contains(p.Message, w) {
			t.Errorf("%v: %+v, want Invalid: %s", ref, p, w)
		}
	}
	if sn := got.Snapshot.Subnet("office"); sn == nil || len(sn.Pools) != 1 || sn.Pools[0].Name != "fine" {
		t.Errorf("office not served with pool fine: %+v", sn)
	}
}
