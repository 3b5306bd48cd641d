package translate

import (
	"fmt"
	"testing"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
)

// reservations returns n Reservations of distinct MACs and addresses in
// 10.0.0.0/16, and a Subnet and Pool for them.
func manyReservations(n int) ([]dhcpv1alpha1.Subnet, []dhcpv1alpha1.Pool, []dhcpv1alpha1.Reservation) {
	sn := subnetObj("office", "10.0.0.0/16", 10_000)
	pools := []dhcpv1alpha1.Pool{poolObj("dyn", "office", "10.0.0.10", "10.0.255.250", 9_999)}
	res := make([]dhcpv1alpha1.Reservation, n)
	for i := range res {
		a := 10 + i
		res[i] = resObj(fmt.Sprintf("host-%05d", i), fmt.Sprintf("02:00:00:00:%02x:%02x", i>>8&0xff, i&0xff),
			fmt.Sprintf("10.0.%d.%d", a>>8, a&0xff), n-i)
	}
	return []dhcpv1alpha1.Subnet{sn}, pools, res
}

// BenchmarkBuild5000Reservations measures what every edit of any object
// costs with 5,000 Reservations: the whole build, duplicate checks of
// addresses and identities included (indexed, not pairwise).
func BenchmarkBuild5000Reservations(b *testing.B) {
	subnets, pools, res := manyReservations(5000)
	b.ReportAllocs()
	for b.Loop() {
		got := Build(subnets, pools, res, config.Env{})
		if len(got.Problems) != 0 {
			b.Fatalf("problems %v", got.Problems)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/build")
}

// TestBuildFindsDuplicatesAmongThousands keeps the indexed checks honest:
// a duplicate address and a duplicate MAC among 5,000 are each found.
func TestBuildFindsDuplicatesAmongThousands(t *testing.T) {
	subnets, pools, res := manyReservations(5000)
	res = append(res, resObj("same-address", "02:00:00:99:99:99", "10.0.10.10", 0), resObj("same-mac", "02:00:00:00:13:87", "10.0.200.1", 0))
	got := Build(subnets, pools, res, config.Env{})
	if p := got.Problems[Ref{"Reservation", "same-address"}]; p.Reason != dhcpv1alpha1.ReasonDuplicate {
		t.Errorf("same-address: %+v", p)
	}
	if p := got.Problems[Ref{"Reservation", "same-mac"}]; p.Reason != dhcpv1alpha1.ReasonDuplicate {
		t.Errorf("same-mac: %+v", p)
	}
	if len(got.Problems) != 2 {
		t.Errorf("%d problems, want 2: %v", len(got.Problems), got.Problems)
	}
}
