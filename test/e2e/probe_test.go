package e2e_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/cmd/kubedhcp/app"
	"github.com/kubedhcp/kubedhcp/test/netns"
)

// The self-probe: the server answers its own probe on eth1 (readiness
// "probe" passes); a dnsmasq started on the segment is reported within one
// probe interval (the Subnet's RogueServer condition and an Event naming
// its address and MAC), and the condition clears once it stops.
func TestSelfProbeFindsRogueServer(t *testing.T) {
	netns.RequireRoot(t)
	ns := setup(t, "probe-", objects)
	n := newNetwork(t)
	const interval = 2 * time.Second
	var probeAddr string
	metricsAddr := freeAddr(t)
	startManager(t, n, ns, func(o *app.Options) {
		o.ProbeInterval, probeAddr = interval, o.ProbeAddr
		o.MetricsAddr, o.MetricsSecure = metricsAddr, false
		o.Log = funcr.New(func(p, a string) {
			if strings.HasPrefix(p, "probe") {
				t.Log(p, a)
			}
		}, funcr.Options{})
	})
	ctx := context.Background()
	eventually(t, 3*interval, "the probe sent (readyz/probe), answered by this server (kubedhcp_probe_answered)", func() bool {
		resp, err := http.Get("http://" + probeAddr + "/readyz/probe")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK && rogue(t, ns) == metav1ConditionFalse &&
			strings.Contains(metricsText(metricsAddr), `kubedhcp_probe_answered{interface="eth1"} 1`)
	})
	mac, _ := net.ParseMAC("02:00:00:00:66:01")
	r := n.client(t, "A", "eth0", mac)
	r.Run("ip", "addr", "add", "10.0.0.66/24", "dev", "eth0")
	r.Run("ip", "link", "set", "eth0", "up")
	dnsmasq := r.Command("dnsmasq", "--no-daemon", "--port=0", "--no-resolv", "--no-hosts", "--interface=eth0", "--bind-interfaces",
		"--dhcp-range=10.0.0.210,10.0.0.220,1h", "--dhcp-leasefile=/dev/null", "--log-facility=-", "--no-ping")
	if err := dnsmasq.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = dnsmasq.Process.Kill()
			_ = dnsmasq.Wait()
		}
	})
	started := time.Now()
	eventually(t, 3*interval+3*time.Second, "RogueServer True naming dnsmasq", func() bool {
		return strings.Contains(rogueMessage(t, ns), "DHCP server 10.0.0.66 (MAC 02:00:00:00:66:01")
	})
	t.Logf("rogue dnsmasq reported %s after it started (probe interval %s): %s", time.Since(started).Round(100*time.Millisecond),
		interval, rogueMessage(t, ns))
	eventually(t, 10*time.Second, "a RogueServer Event", func() bool {
		out, err := env.Kubectl("get", "events", "-n", ns, "-o", "custom-columns=REASON:.reason,MESSAGE:.message", "--no-headers")
		return err == nil && strings.Contains(out, "RogueServer") && strings.Contains(out, "02:00:00:00:66:01")
	})
	_ = dnsmasq.Process.Kill()
	_ = dnsmasq.Wait()
	stopped = true
	eventually(t, 3*interval+3*time.Second, "RogueServer False once dnsmasq stopped", func() bool {
		return rogue(t, ns) == metav1ConditionFalse
	})
	_ = ctx
}

const metav1ConditionFalse = "False"

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

func metricsText(addr string) string {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return ""
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func rogue(t *testing.T, ns string) string {
	t.Helper()
	sn := &dhcpv1alpha1.Subnet{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "office"}, sn); err != nil {
		return ""
	}
	if c := meta.FindStatusCondition(sn.Status.Conditions, dhcpv1alpha1.ConditionRogueServer); c != nil {
		return string(c.Status)
	}
	return ""
}

func rogueMessage(t *testing.T, ns string) string {
	t.Helper()
	sn := &dhcpv1alpha1.Subnet{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "office"}, sn); err != nil {
		return ""
	}
	if c := meta.FindStatusCondition(sn.Status.Conditions, dhcpv1alpha1.ConditionRogueServer); c != nil && c.Status == "True" {
		return c.Message
	}
	return ""
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s", what, within)
}
