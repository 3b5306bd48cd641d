package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kubedhcp/kubedhcp/test/testenv"
)

// runInner runs inside the server namespace: the control plane, the
// manager and, through `ip netns exec`, the clients.
func runInner(bin string) int {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	say("starting etcd and kube-apiserver (built from Go modules by hack/control-plane.sh; the first run builds them: 10 to 15 minutes on 2 cores)")
	env, err := testenv.Start()
	must(err, "starting the control plane")
	defer func() {
		say("stopping the control plane")
		_ = env.Stop()
	}()
	root := testenv.RepoRoot()
	dir := workDir
	kubeconfig := filepath.Join(dir, "kubeconfig")
	must(copyFile(env.Kubeconfig, kubeconfig), "writing the kubeconfig")
	say("the kubedhcp CRDs are installed")

	say("applying the samples: Subnet office (10.0.0.0/24 on eth1), Pool office-dynamic, Reservations office-printer and office-pc01")
	kubectl(env, "create", "namespace", "demo")
	kubectl(env, "apply", "-n", "demo", "-f", filepath.Join(root, "config/samples/office.yaml"), "-f", filepath.Join(root, "config/samples/reservations.yaml"))

	log := filepath.Join(dir, "kubedhcp.log")
	say("starting kubedhcp on eth1 (log: %s)", log)
	mgr, err := startManager(bin, env.Kubeconfig, log)
	must(err, "starting kubedhcp")
	defer func() {
		say("stopping kubedhcp")
		_ = mgr.Process.Signal(syscall.SIGTERM)
		_ = mgr.Wait()
	}()

	dhclients := make([]*exec.Cmd, 0, len(clients))
	defer func() {
		for i, c := range dhclients {
			say("stopping dhclient in %s (it releases its lease)", clients[i].ns)
			_ = exec.Command("ip", "netns", "exec", clients[i].ns, "dhclient", "-r", "-sf", filepath.Join(root, "test/demo/dhclient-script"),
				"-lf", filepath.Join(dir, fmt.Sprintf("client%d.leases", i)), "-pf", filepath.Join(dir, fmt.Sprintf("client%d.pid", i)), "eth0").Run()
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}()
	for i, c := range clients {
		say("running dhclient in %s (MAC %s)", c.ns, c.mac)
		cmd, state, err := startDhclient(root, dir, i)
		must(err, "starting dhclient")
		dhclients = append(dhclients, cmd)
		got, err := waitBound(state, 30*time.Second)
		must(err, "waiting for dhclient in "+c.ns)
		say("dhclient in %s is bound: %s", c.ns, got)
	}
	say("waiting for the status reporter to count the leases")
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if out, err := env.Kubectl("get", "pool", "office-dynamic", "-n", "demo", "-o", "jsonpath={.status.used}"); err == nil && out == "1" {
			break
		}
	}
	// The replica's spare addresses (Leases in state Spare, for an
	// apiserver outage) are counted, not listed.
	say("kubectl get dhcp -n demo -l 'dhcp.kubedhcp.io/state!=Spare'")
	fmt.Print(kubectl(env, "get", "dhcp", "-n", "demo", "-l", "dhcp.kubedhcp.io/state!=Spare"))
	spares := strings.Fields(kubectl(env, "get", "dlease", "-n", "demo", "-l", "dhcp.kubedhcp.io/state=Spare", "-o", "name"))
	say("and %d spare addresses the replica holds for an apiserver outage (kubectl get dlease -l dhcp.kubedhcp.io/state=Spare)", len(spares))
	say("kubedhcp keeps serving (clients renew every 5 minutes). The apiserver listens inside the server's network namespace;")
	say("from another terminal, as root:  make demo-kubectl ARGS='get dhcp -n demo -o wide'  or")
	say("  ip netns exec %s %s --kubeconfig %s get dhcp -n demo", serverNS, filepath.Join(env.Assets, "kubectl"), kubeconfig)
	say("press Ctrl-C to stop and clean up")
	<-stop
	return 0
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

func kubectl(env *testenv.Env, args ...string) string {
	out, err := env.Kubectl(args...)
	must(err, "kubectl "+strings.Join(args, " "))
	return out
}

func startManager(bin, kubeconfig, log string) (*exec.Cmd, error) {
	f, err := os.Create(log)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--namespace", "demo", "--interfaces", "eth1",
		"--metrics-bind-address", "127.0.0.1:8080", "--health-probe-bind-address", "127.0.0.1:8081")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if resp, err := http.Get("http://127.0.0.1:8081/readyz"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	return nil, fmt.Errorf("kubedhcp not ready within 60s; see %s", log)
}

// startDhclient runs dhclient in the foreground in client i's namespace.
func startDhclient(root, dir string, i int) (*exec.Cmd, string, error) {
	state := filepath.Join(dir, fmt.Sprintf("client%d.state", i))
	cmd := exec.Command("ip", "netns", "exec", clients[i].ns, "dhclient", "-d", "-v", "-e", "KUBEDHCP_CLIENT_STATE="+state,
		"-sf", filepath.Join(root, "test/demo/dhclient-script"),
		"-lf", filepath.Join(dir, fmt.Sprintf("client%d.leases", i)), "-pf", filepath.Join(dir, fmt.Sprintf("client%d.pid", i)), "eth0")
	logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("client%d.log", i)))
	if err != nil {
		return nil, "", err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	return cmd, state, cmd.Start()
}

// waitBound waits until the dhclient script recorded a bound lease.
func waitBound(state string, within time.Duration) (string, error) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(state); err == nil && strings.Contains(string(b), "reason=BOUND") {
			fields := map[string]string{}
			for _, l := range strings.Split(string(b), "\n") {
				if k, v, ok := strings.Cut(l, "="); ok {
					fields[k] = v
				}
			}
			return fmt.Sprintf("address %s/%s, router %s, DNS %s, domain %s, host name %q, lease %ss from %s",
				fields["ip"], fields["mask"], fields["routers"], fields["dns"], fields["domain"], fields["hostname"],
				fields["lease"], fields["server"]), nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("no lease within %s", within)
}
