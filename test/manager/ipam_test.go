package manager_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ipamv1 "sigs.k8s.io/cluster-api/api/ipam/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/cmd/kubedhcp/app"
	"github.com/kubedhcp/kubedhcp/controllers/ipam"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
)

func withIPAM(o *app.Options) { o.IPAM = true }

// applyBig creates subnet "big" (10.60.0.0/23, relayed through relayA)
// with router 10.60.0.1 and pool "big" of 300 addresses,
// 10.60.0.10-10.60.1.53.
func applyBig(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	sn := &dhcpv1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "big", Namespace: ns}, Spec: dhcpv1alpha1.SubnetSpec{
		CIDR: "10.60.0.0/23", ServerIdentifier: "10.60.0.2",
		RelayAddresses: []dhcpv1alpha1.IPv4Address{dhcpv1alpha1.IPv4Address(relayA.Addr().String())},
		LeaseTime:      &dhcpv1alpha1.LeaseTimes{Default: &metav1.Duration{Duration: time.Hour}},
		Options:        &dhcpv1alpha1.DHCPOptions{Routers: []dhcpv1alpha1.IPv4Address{"10.60.0.1"}},
	}}
	pool := &dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "big", Namespace: ns}, Spec: dhcpv1alpha1.PoolSpec{Subnet: "big",
		Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.60.0.10", End: "10.60.1.53"}}}}
	for _, o := range []client.Object{sn, pool} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

func newClaim(ns, name, pool string) *ipamv1.IPAddressClaim {
	return &ipamv1.IPAddressClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: ipamv1.IPAddressClaimSpec{PoolRef: ipamv1.IPPoolReference{APIGroup: "dhcp.kubedhcp.io", Kind: "Pool", Name: pool}}}
}

func getClaim(t *testing.T, ns, name string) *ipamv1.IPAddressClaim {
	t.Helper()
	c := &ipamv1.IPAddressClaim{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, c); err != nil {
		return nil
	}
	return c
}

func claimReady(c *ipamv1.IPAddressClaim) *metav1.Condition {
	if c == nil {
		return nil
	}
	return meta.FindStatusCondition(c.Status.Conditions, ipamv1.IPAddressClaimReadyCondition)
}

// 200 DHCP clients and 200 claims race for one 300-address pool through
// two replicas: no address has two holders, 300 are taken, the 100 left
// over are told so on both sides (claims: Ready False PoolExhausted; DHCP:
// a NoFreeAddress Event); a deleted claim's address goes back to the pool.
func TestClaimsAndDHCPShareOnePool(t *testing.T) {
	ns := newNamespace(t)
	applyBig(t, ns)
	startManager(t, ns, serverA, withIPAM)
	startManager(t, ns, serverB, withIPAM)
	r := relay(t, relayA, serverA, serverB)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	began := time.Now()
	var wg sync.WaitGroup
	clients := r.Clients(200, 0x71)
	wg.Go(func() { loadgen.RunAll(ctx, clients, 50, 2*time.Second) })
	wg.Go(func() {
		for i := range 200 {
			if err := env.Client.Create(ctx, newClaim(ns, fmt.Sprintf("m-%03d", i), "big")); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	// A client two replicas bound one after the other under this load
	// (its first ACK lost, its retry served by the other) holds a second
	// Lease until it renews the address it uses; renew them all now.
	stale := boundLeases(ctx, ns) - 200
	if n := loadgen.RenewAll(ctx, clients, 50, 2*time.Second); n != 200 {
		t.Errorf("%d of 200 clients renewed", n)
	}
	claims, addrs := settle(t, ns)
	took := time.Since(began)
	holders := dhcpHolders(clients)
	exhausted := countExhausted(t, claims)
	checkClaimedAddresses(t, ns, addrs.Items, holders)
	bound := boundLeases(ctx, ns)
	if len(holders) != 200 || bound != 200 || len(addrs.Items)+bound != 300 || exhausted != 200-len(addrs.Items) {
		t.Fatalf("%d claimed + %d Bound Leases (%d clients bound), %d claims refused; want every client bound, 300 taken, the rest refused",
			len(addrs.Items), bound, len(holders), exhausted)
	}
	t.Logf("200 claims + 200 DHCP clients, one 300-address pool, two replicas: %d claimed, 200 clients bound, 0 duplicates, "+
		"%d claims PoolExhausted, settled in %s; %d clients bound twice before their renewal released the stale Lease",
		len(addrs.Items), exhausted, took.Round(100*time.Millisecond), stale)
	// Both sides told of exhaustion: one more DHCP client, one more claim.
	short, cancelShort := context.WithTimeout(ctx, 3*time.Second)
	defer cancelShort()
	if err := r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x71, 0xff}).DORA(short, time.Second); err == nil {
		t.Fatal("a DHCP client was bound from a full pool")
	}
	if err := env.Client.Create(ctx, newClaim(ns, "one-more", "big")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the claim told PoolExhausted, a NoFreeAddress event", func() bool {
		c := claimReady(getClaim(t, ns, "one-more"))
		out, _ := env.Kubectl("get", "events", "-n", ns, "-o", "custom-columns=REASON:.reason", "--no-headers")
		return c != nil && c.Reason == ipamv1.IPAddressClaimReadyPoolExhaustedReason && strings.Contains(out, "NoFreeAddress")
	})
	checkPoolCounts(t, ns, len(addrs.Items), bound)
	releaseOneClaim(t, ns, r, claims.Items)
}

// settle waits until every claim is answered and the pool is full, and
// returns the claims and IPAddresses then.
func settle(t *testing.T, ns string) (ipamv1.IPAddressClaimList, ipamv1.IPAddressList) {
	t.Helper()
	ctx := context.Background()
	var addrs ipamv1.IPAddressList
	var claims ipamv1.IPAddressClaimList
	settled := func() bool {
		_ = env.Client.List(ctx, &claims, client.InNamespace(ns))
		_ = env.Client.List(ctx, &addrs, client.InNamespace(ns))
		answered, ready := 0, 0
		for i := range claims.Items {
			if c := claimReady(&claims.Items[i]); c != nil && c.ObservedGeneration == claims.Items[i].Generation {
				answered++
				if c.Status == metav1.ConditionTrue {
					ready++
				}
			}
		}
		return answered == 200 && ready == len(addrs.Items) && boundLeases(ctx, ns) == 200 && len(addrs.Items) == 100
	}
	eventually(t, 90*time.Second, "every claim answered and the pool full", settled)
	return claims, addrs
}

// countExhausted counts the claims not Ready, each of which must be
// PoolExhausted without an address.
func countExhausted(t *testing.T, claims ipamv1.IPAddressClaimList) int {
	t.Helper()
	exhausted := 0
	for i := range claims.Items {
		c := &claims.Items[i]
		if cond := claimReady(c); cond.Status != metav1.ConditionTrue {
			if cond.Reason != ipamv1.IPAddressClaimReadyPoolExhaustedReason || c.Status.AddressRef.Name != "" {
				t.Errorf("claim %s: %s %s %q, want PoolExhausted and no address", c.Name, cond.Status, cond.Reason, cond.Message)
			}
			exhausted++
		}
	}
	return exhausted
}

// boundLeases counts the Bound Leases of ns.
func boundLeases(ctx context.Context, ns string) int {
	var ls dhcpv1alpha1.LeaseList
	_ = env.Client.List(ctx, &ls, client.InNamespace(ns))
	n := 0
	for _, l := range ls.Items {
		if l.Spec.State == dhcpv1alpha1.LeaseBound {
			n++
		}
	}
	return n
}

// dhcpHolders maps the address each client was last ACKed to the client.
func dhcpHolders(clients []*loadgen.Client) map[netip.Addr]string {
	out := map[netip.Addr]string{}
	for _, c := range clients {
		if a := c.Addr(); a.IsValid() {
			out[a] = c.HW().String()
		}
	}
	return out
}

// checkClaimedAddresses checks that every IPAddress is the claim's own,
// held by a Claimed Lease of that claim, with the subnet's prefix and
// gateway, and that no DHCP client was given it.
func checkClaimedAddresses(t *testing.T, ns string, addrs []ipamv1.IPAddress, holders map[netip.Addr]string) {
	t.Helper()
	seen := map[string]string{}
	for _, a := range addrs {
		if other, dup := seen[a.Spec.Address]; dup {
			t.Errorf("%s given to claims %s and %s", a.Spec.Address, other, a.Name)
		}
		seen[a.Spec.Address] = a.Name
		addr := netip.MustParseAddr(a.Spec.Address)
		if c, dup := holders[addr]; dup {
			t.Errorf("%s given to claim %s and DHCP client %s", addr, a.Name, c)
		}
		if *a.Spec.Prefix != 23 || a.Spec.Gateway != "10.60.0.1" || a.Spec.ClaimRef.Name != a.Name || a.Spec.PoolRef.Name != "big" {
			t.Errorf("IPAddress %s: %+v", a.Name, a.Spec)
		}
		l := &dhcpv1alpha1.Lease{}
		err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: dhcpv1alpha1.LeaseName("big", addr)}, l)
		if err != nil || l.Spec.State != dhcpv1alpha1.LeaseClaimed || l.Spec.Claim != a.Name {
			t.Errorf("Lease of %s: %+v (%v), want Claimed by %s", addr, l.Spec, err, a.Name)
		}
	}
}

func checkPoolCounts(t *testing.T, ns string, claimed, bound int) {
	t.Helper()
	eventually(t, 10*time.Second, "pool and subnet status count the claims", func() bool {
		p, sn := &dhcpv1alpha1.Pool{}, &dhcpv1alpha1.Subnet{}
		_ = env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "big"}, p)
		_ = env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "big"}, sn)
		return p.Status.Claimed == int64(claimed) && p.Status.Used == int64(claimed+bound) && p.Status.Free == 0 &&
			sn.Status.Claimed == int64(claimed)
	})
	out, err := env.Kubectl("get", "dhcp", "-n", ns)
	if err != nil || !strings.Contains(out, "CLAIMED") {
		t.Errorf("kubectl get dhcp shows no CLAIMED column: %v\n%s", err, out)
	}
}

// releaseOneClaim deletes the claims left waiting, then one that holds an
// address: its Lease and IPAddress go, and a new DHCP client gets the
// address.
func releaseOneClaim(t *testing.T, ns string, r *loadgen.Relay, claims []ipamv1.IPAddressClaim) {
	t.Helper()
	ctx := context.Background()
	var victim *ipamv1.IPAddressClaim
	for i := range claims {
		c := getClaim(t, ns, claims[i].Name)
		if c.Status.AddressRef.Name == "" {
			if err := env.Client.Delete(ctx, c); err != nil {
				t.Fatal(err)
			}
		} else if victim == nil {
			victim = c
		}
	}
	_ = env.Client.Delete(ctx, newClaim(ns, "one-more", "big"))
	a := &ipamv1.IPAddress{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(victim), a); err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr(a.Spec.Address)
	if err := env.Client.Delete(ctx, victim); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the claim, its IPAddress and its Lease gone", func() bool {
		l := &dhcpv1alpha1.Lease{}
		return getClaim(t, ns, victim.Name) == nil &&
			env.Client.Get(ctx, client.ObjectKeyFromObject(a), &ipamv1.IPAddress{}) != nil &&
			env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: dhcpv1alpha1.LeaseName("big", addr)}, l) != nil
	})
	c := r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x72, 0x01})
	if err := c.DORA(ctx, 2*time.Second); err != nil || c.Addr() != addr {
		t.Fatalf("a new DHCP client got %s (%v), want the freed %s", c.Addr(), err, addr)
	}
	t.Logf("claim %s deleted: %s back in the pool and bound by a new DHCP client", victim.Name, addr)
}

// The claim contract: claims of every version Cluster API serves are
// answered; a Reservation fixes a claim's address; a paused claim waits;
// a missing Pool, or one of another namespace, is a clear condition.
func TestClaimContract(t *testing.T) {
	ns := newNamespace(t)
	applyBig(t, ns)
	other := newNamespace(t)
	ctx := context.Background()
	if err := env.Client.Create(ctx, &dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "elsewhere", Namespace: other},
		Spec: dhcpv1alpha1.PoolSpec{Subnet: "big", Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.60.0.10", End: "10.60.0.20"}}}}); err != nil {
		t.Fatal(err)
	}
	res := &dhcpv1alpha1.Reservation{ObjectMeta: metav1.ObjectMeta{Name: "api-vip", Namespace: ns},
		Spec: dhcpv1alpha1.ReservationSpec{Subnet: "big", Claim: "vip", IPAddress: "10.60.1.200"}}
	if err := env.Client.Create(ctx, res); err != nil {
		t.Fatal(err)
	}
	startManager(t, ns, serverA, withIPAM)
	manifest := ""
	for _, v := range []string{"v1alpha1", "v1beta1", "v1beta2"} {
		manifest += fmt.Sprintf("---\napiVersion: ipam.cluster.x-k8s.io/%s\nkind: IPAddressClaim\nmetadata: {name: claim-%s, namespace: %s}\n"+
			"spec:\n  poolRef: {apiGroup: dhcp.kubedhcp.io, kind: Pool, name: big}\n", v, v, ns)
	}
	manifest += fmt.Sprintf("---\napiVersion: ipam.cluster.x-k8s.io/v1beta2\nkind: IPAddressClaim\nmetadata: {name: vip, namespace: %s}\n"+
		"spec:\n  poolRef: {apiGroup: dhcp.kubedhcp.io, kind: Pool, name: big}\n", ns)
	if out, err := env.KubectlStdin(manifest, "apply", "-f", "-"); err != nil {
		t.Fatal(out, err)
	}
	for _, name := range []string{"claim-v1alpha1", "claim-v1beta1", "claim-v1beta2", "vip"} {
		eventually(t, 15*time.Second, name+" answered", func() bool {
			c := claimReady(getClaim(t, ns, name))
			return c != nil && c.Status == metav1.ConditionTrue
		})
		checkContract(t, ns, name)
	}
	a := &ipamv1.IPAddress{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "vip"}, a); err != nil || a.Spec.Address != "10.60.1.200" {
		t.Errorf("claim vip got %q (%v), want 10.60.1.200 from Reservation api-vip", a.Spec.Address, err)
	}
	// Read back through the older versions too.
	if out, err := env.Kubectl("get", "ipaddressclaims.v1beta1.ipam.cluster.x-k8s.io", "-n", ns, "claim-v1alpha1", "-o", "jsonpath={.status.addressRef.name}"); err != nil || !strings.HasSuffix(out, "\nclaim-v1alpha1") {
		t.Errorf("v1beta1 read of claim-v1alpha1: addressRef %q (%v)", out, err)
	}
	checkBadPoolRefs(t, ns)
	checkPaused(t, ns)
}

// checkContract checks a claim answered as the Cluster API contract says.
func checkContract(t *testing.T, ns, name string) {
	t.Helper()
	c := getClaim(t, ns, name)
	a := &ipamv1.IPAddress{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, a); err != nil {
		t.Fatalf("IPAddress of %s: %v", name, err)
	}
	owners := map[string]bool{}
	for _, o := range a.OwnerReferences {
		owners[o.Kind+"/"+o.Name] = o.Controller != nil && *o.Controller
	}
	switch {
	case c.Status.AddressRef.Name != name:
		t.Errorf("%s: addressRef %q", name, c.Status.AddressRef.Name)
	case !has(c.Finalizers, ipam.ReleaseAddressFinalizer) || !has(a.Finalizers, ipam.ProtectAddressFinalizer):
		t.Errorf("%s: finalizers claim %v address %v", name, c.Finalizers, a.Finalizers)
	case !owners["IPAddressClaim/"+name] || owners["Pool/big"]:
		t.Errorf("%s: owners %v, want the claim as controller and the Pool beside it", name, a.OwnerReferences)
	case *a.Spec.Prefix != 23 || a.Spec.Gateway != "10.60.0.1":
		t.Errorf("%s: %+v", name, a.Spec)
	}
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkBadPoolRefs: a missing Pool and a Pool of another namespace are
// named in the claim's condition; the claim gets its address once a Pool
// of that name appears in its namespace.
func checkBadPoolRefs(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	for _, pool := range []string{"missing", "elsewhere"} {
		if err := env.Client.Create(ctx, newClaim(ns, "bad-"+pool, pool)); err != nil {
			t.Fatal(err)
		}
		eventually(t, 15*time.Second, "bad-"+pool+" told PoolNotFound", func() bool {
			c := claimReady(getClaim(t, ns, "bad-"+pool))
			return c != nil && c.Status == metav1.ConditionFalse && c.Reason == ipam.ReasonPoolNotFound &&
				strings.Contains(c.Message, `no Pool "`+pool+`" in namespace "`+ns+`"`)
		})
	}
	c := claimReady(getClaim(t, ns, "bad-elsewhere"))
	t.Logf("claim naming a Pool of another namespace: %s %s: %s", c.Status, c.Reason, c.Message)
	if err := env.Client.Create(ctx, &dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "missing", Namespace: ns},
		Spec: dhcpv1alpha1.PoolSpec{Subnet: "big", Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.60.1.100", End: "10.60.1.110"}}}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "bad-missing answered once its Pool exists", func() bool {
		c := claimReady(getClaim(t, ns, "bad-missing"))
		return c != nil && c.Status == metav1.ConditionTrue
	})
}

// checkPaused: a claim with Cluster API's paused annotation, or of a
// paused Cluster, waits; unpaused, it is answered.
func checkPaused(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	cluster := fmt.Sprintf("apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nmetadata: {name: c1, namespace: %s}\nspec: {paused: true}\n", ns)
	if out, err := env.KubectlStdin(cluster, "apply", "-f", "-"); err != nil {
		t.Fatal(out, err)
	}
	byAnnotation := newClaim(ns, "paused-claim", "big")
	byAnnotation.Annotations = map[string]string{"cluster.x-k8s.io/paused": ""}
	byCluster := newClaim(ns, "paused-cluster", "big")
	byCluster.Spec.ClusterName = "c1"
	for _, c := range []*ipamv1.IPAddressClaim{byAnnotation, byCluster} {
		if err := env.Client.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * time.Second)
	for _, name := range []string{"paused-claim", "paused-cluster"} {
		if c := getClaim(t, ns, name); c.Status.AddressRef.Name != "" || claimReady(c) != nil {
			t.Fatalf("paused %s was answered: %+v", name, c.Status)
		}
	}
	if out, err := env.Kubectl("annotate", "-n", ns, "ipaddressclaim.v1beta2.ipam.cluster.x-k8s.io", "paused-claim", "cluster.x-k8s.io/paused-"); err != nil {
		t.Fatal(out, err)
	}
	if out, err := env.Kubectl("patch", "-n", ns, "cluster.v1beta2.cluster.x-k8s.io", "c1", "--type=merge", "-p", `{"spec":{"paused":false}}`); err != nil {
		t.Fatal(out, err)
	}
	for _, name := range []string{"paused-claim", "paused-cluster"} {
		eventually(t, 20*time.Second, name+" answered once unpaused", func() bool {
			c := claimReady(getClaim(t, ns, name))
			return c != nil && c.Status == metav1.ConditionTrue
		})
	}
}
