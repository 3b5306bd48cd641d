package manager_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/cmd/kubedhcp/app"
	"github.com/kubedhcp/kubedhcp/dhcpserver/limit"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
)

func readyCondition(ctx context.Context, obj client.Object, conds func() []metav1.Condition) *metav1.Condition {
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		return nil
	}
	return meta.FindStatusCondition(conds(), dhcpv1alpha1.ConditionReady)
}

// Configuration that the CRDs cannot refuse, because it depends on other
// objects or on the node, is reported Ready=False with the field named,
// and never served.
func TestHarmfulConfigurationReported(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	ctx := context.Background()
	objs := []client.Object{
		&dhcpv1alpha1.Reservation{ObjectMeta: metav1.ObjectMeta{Name: "on-server", Namespace: ns}, Spec: dhcpv1alpha1.ReservationSpec{
			Subnet: "lab", MACAddress: "02:00:00:00:54:01", IPAddress: dhcpv1alpha1.IPv4Address(sid.String())}},
		&dhcpv1alpha1.Reservation{ObjectMeta: metav1.ObjectMeta{Name: "on-network", Namespace: ns}, Spec: dhcpv1alpha1.ReservationSpec{
			Subnet: "lab", MACAddress: "02:00:00:00:54:02", IPAddress: "10.50.0.0"}},
		&dhcpv1alpha1.Reservation{ObjectMeta: metav1.ObjectMeta{Name: "on-broadcast", Namespace: ns}, Spec: dhcpv1alpha1.ReservationSpec{
			Subnet: "lab", MACAddress: "02:00:00:00:54:03", IPAddress: "10.50.0.255"}},
		&dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "all-excluded", Namespace: ns}, Spec: dhcpv1alpha1.PoolSpec{Subnet: "lab",
			Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.50.0.200", End: "10.50.0.201"}}, ExcludedAddresses: []dhcpv1alpha1.AddressOrRange{"10.50.0.200-10.50.0.201"}}},
		&dhcpv1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "wired", Namespace: ns}, Spec: dhcpv1alpha1.SubnetSpec{
			CIDR: "10.60.0.0/24", Interfaces: []dhcpv1alpha1.InterfaceName{"nosuch0"}}},
	}
	for _, o := range objs {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	startManager(t, ns, serverA, func(o *app.Options) { o.StatusInterval = 200 * time.Millisecond })
	want := []struct {
		obj    client.Object
		conds  func() []metav1.Condition
		reason string
		msg    string
	}{
		{objs[0], func() []metav1.Condition { return objs[0].(*dhcpv1alpha1.Reservation).Status.Conditions }, "Invalid",
			"spec.ipAddress: 10.50.0.1 is the server identifier of subnet lab"},
		{objs[1], func() []metav1.Condition { return objs[1].(*dhcpv1alpha1.Reservation).Status.Conditions }, "Invalid",
			"spec.ipAddress: 10.50.0.0 is the network address of subnet lab"},
		{objs[2], func() []metav1.Condition { return objs[2].(*dhcpv1alpha1.Reservation).Status.Conditions }, "Invalid",
			"spec.ipAddress: 10.50.0.255 is the broadcast address of subnet lab"},
		{objs[3], func() []metav1.Condition { return objs[3].(*dhcpv1alpha1.Pool).Status.Conditions }, "Invalid",
			"spec.ranges: no address to hand out"},
		{objs[4], func() []metav1.Condition { return objs[4].(*dhcpv1alpha1.Subnet).Status.Conditions }, "InterfaceNotFound",
			"spec.interfaces[0]: the server does not serve on interface nosuch0"},
	}
	for _, w := range want {
		eventually(t, 10*time.Second, w.obj.GetName()+" Ready=False "+w.reason, func() bool {
			c := readyCondition(ctx, w.obj, w.conds)
			return c != nil && c.Status == metav1.ConditionFalse && c.Reason == w.reason && strings.Contains(c.Message, w.msg)
		})
	}
	// The reserved clients get no reserved address: the server's own is
	// never handed out.
	r := relay(t, relayA, serverA)
	c := r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x54, 0x01})
	if err := c.DORA(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	if c.Addr() == sid || c.Addr().String() == "10.50.0.0" || c.Addr().String() == "10.50.0.255" {
		t.Errorf("the client of a refused reservation got %s", c.Addr())
	}
}

// denyLeaseCreates makes the apiserver refuse every new Lease in ns, as an
// admission policy could, and returns what lifts it.
func denyLeaseCreates(t *testing.T, ns string) func() {
	t.Helper()
	ctx := context.Background()
	policy := &admissionv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "no-leases-" + ns},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{Operations: []admissionv1.OperationType{admissionv1.Create},
					Rule: admissionv1.Rule{APIGroups: []string{"dhcp.kubedhcp.io"}, APIVersions: []string{"*"}, Resources: []string{"dhcpleases"}}}}}},
			Validations: []admissionv1.Validation{{Expression: "false", Message: "no new Leases here"}}}}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "no-leases-" + ns},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: policy.Name,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
			MatchResources: &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}}}}
	for _, o := range []client.Object{policy, binding} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		for _, o := range []client.Object{binding, policy} {
			if err := env.Client.Delete(ctx, o); err != nil {
				t.Error(err)
			}
		}
	}
}

// Lease writes that fail while the apiserver answers (here an admission
// policy refuses every new Lease) show as degraded service: the Subnet's
// Degraded condition, the kubedhcp_lease_store_up gauge, and /readyz,
// while /readyz/dhcp, which the kubelet probes, passes. It clears once
// writes succeed again.
func TestLeaseStoreDegradedIsReported(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m := startManager(t, ns, serverA, func(o *app.Options) { o.StatusInterval = 200 * time.Millisecond })
	r := relay(t, relayA, serverA)
	bound := bindOne(ctx, t, r, 0x60)
	deny := denyLeaseCreates(t, ns)
	n := byte(0)
	fresh := func() *loadgen.Client { n++; return r.Client(net.HardwareAddr{0x02, 0, 0, 0, 0x61, n}) }
	eventually(t, 10*time.Second, "a new client's Lease refused by the quota", func() bool {
		return fresh().Try(ctx, time.Second) == loadgen.NoAnswer
	})
	if got, err := bound.Renew(ctx, time.Second); err != nil || got != dhcpv4.MessageTypeAck {
		t.Errorf("a bound client's renewal while Lease creates fail: %v %v, want an ACK", got, err)
	}
	eventually(t, 10*time.Second, "Subnet Degraded=True StoreUnavailable", func() bool {
		c := subnetCondition(ctx, ns, dhcpv1alpha1.ConditionDegraded)
		return c != nil && c.Status == metav1.ConditionTrue && c.Reason == dhcpv1alpha1.ReasonStoreUnavailable
	})
	if got := gauge(t, "kubedhcp_lease_store_up"); got != 0 {
		t.Errorf("kubedhcp_lease_store_up %v, want 0", got)
	}
	if code, body := get(t, "http://"+m.probe+"/readyz?verbose"); code == http.StatusOK || !strings.Contains(body, "store failed") {
		t.Errorf("/readyz %d %s, want it to fail the check store", code, body)
	}
	if code, _ := get(t, "http://"+m.probe+"/readyz/dhcp"); code != http.StatusOK {
		t.Errorf("/readyz/dhcp %d, want 200: the replica still serves renewals", code)
	}
	deny()
	eventually(t, 20*time.Second, "a new client bound once the quota is gone", func() bool {
		return fresh().Try(ctx, time.Second) == loadgen.Acked
	})
	eventually(t, 10*time.Second, "Degraded clears", func() bool {
		c := subnetCondition(ctx, ns, dhcpv1alpha1.ConditionDegraded)
		return c != nil && c.Status == metav1.ConditionFalse
	})
	if code, _ := get(t, "http://"+m.probe+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz %d after recovery, want 200", code)
	}
}

// Metrics are served over HTTPS to clients the apiserver authenticates
// and authorizes: none without a token, none to a service account without
// get on /metrics, all to one with it.
func TestMetricsNeedAuthentication(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	ctx := context.Background()
	addr := freePort(t)
	startManager(t, ns, serverA, func(o *app.Options) { o.MetricsAddr, o.MetricsSecure = addr, true })
	cs := kubernetes.NewForConfigOrDie(env.Config)
	token := func(sa string) string {
		if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	reader := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "metrics-reader-" + ns},
		Rules: []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "metrics-reader-" + ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: reader.Name},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "scraper", Namespace: ns}}}
	for _, o := range []client.Object{reader, binding} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = env.Client.Delete(ctx, o) })
	}
	scraper, nobody := token("scraper"), token("nobody")
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // self-signed
	scrape := func(tok string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/metrics", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// The server makes its self-signed certificate as it starts.
	eventually(t, 10*time.Second, "the metrics server refuses a scrape without a token (401)", func() bool {
		code, _ := scrape("")
		return code == http.StatusUnauthorized
	})
	if code, body := scrape(nobody); code != http.StatusForbidden {
		t.Errorf("a service account without get on /metrics: %d %s, want 403", code, body)
	}
	eventually(t, 10*time.Second, "the scraper reads the metrics", func() bool {
		code, body := scrape(scraper)
		return code == http.StatusOK && strings.Contains(body, "kubedhcp_lease_store_up")
	})
	if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("metrics served over plain HTTP")
		}
	}
}

// The probes and pprof are bound to loopback by default: nothing on a
// DHCP client's segment reaches them.
func TestManagementEndpointsDefaultToLoopbackOrAuth(t *testing.T) {
	o := app.Defaults()
	if !strings.HasPrefix(o.ProbeAddr, "127.0.0.1:") || o.PprofAddr != "" || !o.MetricsSecure {
		t.Errorf("defaults probe %q pprof %q metrics secure %t: want probes on 127.0.0.1, pprof off, metrics authenticated",
			o.ProbeAddr, o.PprofAddr, o.MetricsSecure)
	}
}

// The longest lease is stored to expire after it ends, not in 1898, and
// the sweeper leaves it bound.
func TestLongestLeaseStaysBound(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sn := &dhcpv1alpha1.Subnet{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "lab"}, sn); err != nil {
		t.Fatal(err)
	}
	longest := &metav1.Duration{Duration: 87600 * time.Hour}
	sn.Spec.LeaseTime = &dhcpv1alpha1.LeaseTimes{Default: longest, Max: longest}
	if err := env.Client.Update(ctx, sn); err != nil {
		t.Fatal(err)
	}
	startManager(t, ns, serverA, func(o *app.Options) { o.SweepInterval = 100 * time.Millisecond })
	r := relay(t, relayA, serverA)
	c := bindOne(ctx, t, r, 0x70)
	if got := c.ACK().IPAddressLeaseTime(0); got != 87600*time.Hour {
		t.Errorf("lease %s, want 87600h", got)
	}
	time.Sleep(time.Second) // ten sweeps
	l, err := getLease(ns, c.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if l.Spec.State != dhcpv1alpha1.LeaseBound || !l.Spec.Expires.After(time.Now().Add(87599*time.Hour)) {
		t.Errorf("stored %s until %s, want Bound until after the lease", l.Spec.State, l.Spec.Expires)
	}
}

// Against the real Lease store: 500 renewals that each change the host
// name write the Lease about once, not 500 times.
func TestHostNameChurnWritesOnce(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	off := &limit.Rate{}
	startManager(t, ns, serverA, func(o *app.Options) { o.Engine.ClientRate = off })
	r := relay(t, relayA, serverA)
	c := bindOne(ctx, t, r, 0x71)
	before, err := getLease(ns, c.Addr())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		if got, err := c.RenewWith(ctx, time.Second, dhcpv4.WithOption(dhcpv4.OptHostName(fmt.Sprintf("churn-%d", i)))); err != nil || got != dhcpv4.MessageTypeAck {
			t.Fatalf("renewal %d: %v %v", i, got, err)
		}
	}
	after, err := getLease(ns, c.Addr())
	if err != nil {
		t.Fatal(err)
	}
	writes := after.Generation - before.Generation
	t.Logf("500 renewals with 500 host names: %d Lease writes", writes)
	if writes > 1 {
		t.Errorf("%d writes, want at most 1 per quarter lease (15 min for this 1h lease)", writes)
	}
}

// A Subnet's USED counts every client bound in it, reserved ones too: the
// reserved address is in no pool.
func TestSubnetUsedCountsReservedClients(t *testing.T) {
	ns := newNamespace(t)
	applyLab(t, ns, "10.50.0.99")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reserved := net.HardwareAddr{0x02, 0, 0, 0, 0x72, 1}
	res := &dhcpv1alpha1.Reservation{ObjectMeta: metav1.ObjectMeta{Name: "node-7", Namespace: ns}, Spec: dhcpv1alpha1.ReservationSpec{
		Subnet: "lab", MACAddress: dhcpv1alpha1.MACAddress(reserved.String()), IPAddress: "10.50.0.7"}}
	if err := env.Client.Create(ctx, res); err != nil {
		t.Fatal(err)
	}
	startManager(t, ns, serverA, func(o *app.Options) { o.StatusInterval = 200 * time.Millisecond })
	r := relay(t, relayA, serverA)
	for _, hw := range []net.HardwareAddr{reserved, {0x02, 0, 0, 0, 0x72, 2}} {
		if err := r.Client(hw).DORA(ctx, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "subnet lab used 2 of 91 (90 pool addresses and one reserved), pool used 1", func() bool {
		sn, p := &dhcpv1alpha1.Subnet{}, &dhcpv1alpha1.Pool{}
		_ = env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "lab"}, sn)
		_ = env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "lab"}, p)
		return sn.Status.Used == 2 && sn.Status.Total == 91 && sn.Status.Reserved == 1 && p.Status.Used == 1
	})
}
