package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubedhcp/kubedhcp/test/netns"
	"github.com/kubedhcp/kubedhcp/test/testenv"
)

// running is a DHCP client running in its namespace.
type running struct {
	ns      *netns.NS
	ifname  string
	cmd     *exec.Cmd
	state   string
	bound   string // the event that says it is bound
	renewed string // the event that says it renewed
	release func(t *testing.T)
}

// driver starts one kind of client.
type driver struct {
	name  string
	start func(t *testing.T, ns *netns.NS, ifname string) *running
	// ownIfname: the client keeps state by interface name in files all
	// namespaces share, so each gets a name of its own.
	ownIfname bool
}

var drivers = []driver{
	{"dhclient", func(t *testing.T, ns *netns.NS, ifname string) *running { return startDhclient(t, ns, ifname, "") }, false},
	{"udhcpc", startUdhcpc, false},
	{"dhcpcd", startDhcpcd, true},
}

func script(name string) string { return filepath.Join(testenv.RepoRoot(), name) }

// startDhclient runs ISC dhclient in the foreground; conf, when set, is
// its dhclient.conf (options to send).
func startDhclient(t *testing.T, ns *netns.NS, ifname, conf string) *running {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	cf := filepath.Join(dir, "dhclient.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-cf", cf, "-sf", script("test/demo/dhclient-script"), "-lf", filepath.Join(dir, "leases"), "-pf", filepath.Join(dir, "pid"), ifname}
	cmd := ns.Command(append([]string{"dhclient", "-d", "-v", "-e", "KUBEDHCP_CLIENT_STATE=" + state}, args...)...)
	r := &running{ns: ns, ifname: ifname, cmd: cmd, state: state, bound: "BOUND", renewed: "RENEW"}
	r.release = func(t *testing.T) {
		ns.Run(append([]string{"dhclient", "-r", "-e", "KUBEDHCP_CLIENT_STATE=" + state}, args...)...)
	}
	r.startCmd(t, dir)
	return r
}

func startUdhcpc(t *testing.T, ns *netns.NS, ifname string) *running {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	cmd := ns.Command("busybox", "udhcpc", "-f", "-i", "eth0", "-s", script("test/e2e/udhcpc-script"), "-t", "20", "-T", "1", "-A", "1")
	cmd.Env = append(os.Environ(), "KUBEDHCP_CLIENT_STATE="+state)
	r := &running{ns: ns, ifname: ifname, cmd: cmd, state: state, bound: "bound", renewed: "renew"}
	r.release = func(t *testing.T) {
		// SIGUSR2: udhcpc sends DHCPRELEASE and deconfigures.
		if err := r.cmd.Process.Signal(syscall.SIGUSR2); err != nil {
			t.Fatal(err)
		}
	}
	r.startCmd(t, dir)
	return r
}

// startDhcpcd runs dhcpcd (dhcpcd-base) in the foreground, IPv4 only. It
// gives its hook script only its own variables, so the script's state file
// is named after the interface.
func startDhcpcd(t *testing.T, ns *netns.NS, ifname string) *running {
	dir := t.TempDir()
	state := "/tmp/kubedhcp-dhcpcd-" + ifname
	t.Cleanup(func() { _ = os.Remove(state); _ = os.Remove(state + ".events") })
	cmd := ns.Command("dhcpcd", "-B", "-4", "-d", "--noipv4ll", "-t", "20", "-c", script("test/e2e/dhcpcd-script"), ifname)
	r := &running{ns: ns, ifname: ifname, cmd: cmd, state: state, bound: "BOUND", renewed: "RENEW"}
	r.release = func(t *testing.T) { ns.Run("dhcpcd", "-4", "-k", ifname) }
	r.startCmd(t, dir)
	return r
}

func (r *running) startCmd(t *testing.T, dir string) {
	log, err := os.Create(filepath.Join(dir, "client.log"))
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stdout, r.cmd.Stderr = log, log
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("client log:\n%s", b)
		}
	})
}

// wait waits until the client's script recorded event, and returns the
// state it recorded then.
func (r *running) wait(t *testing.T, within time.Duration, event string) map[string]string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		events, _ := os.ReadFile(r.state + ".events")
		for _, e := range strings.Fields(string(events)) {
			if e == event {
				return r.read(t)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	events, _ := os.ReadFile(r.state + ".events")
	t.Fatalf("no %s event within %s (events: %q)", event, within, events)
	return nil
}

func (r *running) read(t *testing.T) map[string]string {
	b, err := os.ReadFile(r.state)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			out[k] = v
		}
	}
	return out
}
