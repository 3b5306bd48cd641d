// Package clients runs real DHCP clients from Debian's packages (ISC
// dhclient, busybox udhcpc, dhcpcd) inside a test's network namespace, and
// reads what their scripts record: the state they configured and the
// events (BOUND, RENEW, REBIND, ...) in order.
package clients

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

// Running is a DHCP client Running in its namespace.
type Running struct {
	NS     *netns.NS
	Ifname string
	cmd    *exec.Cmd
	state  string
	// Bound and Renewed are the events that say the client bound, and
	// renewed.
	Bound, Renewed string
	// Release makes the client give its address back.
	Release func(t *testing.T)
}

// Driver starts one kind of client.
type Driver struct {
	Name  string
	Start func(t *testing.T, ns *netns.NS, ifname string) *Running
	// OwnIfname: the client keeps state by interface name in files all
	// namespaces share, so each gets a name of its own.
	OwnIfname bool
}

// Drivers start each kind of client.
var Drivers = []Driver{
	{"dhclient", func(t *testing.T, ns *netns.NS, ifname string) *Running { return Dhclient(t, ns, ifname, "") }, false},
	{"udhcpc", Udhcpc, false},
	{"dhcpcd", Dhcpcd, true},
}

func script(name string) string { return filepath.Join(testenv.RepoRoot(), name) }

// Dhclient runs ISC dhclient in the foreground; conf, when set, is
// its dhclient.conf (options to send).
func Dhclient(t *testing.T, ns *netns.NS, ifname, conf string) *Running {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	cf := filepath.Join(dir, "dhclient.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-cf", cf, "-sf", script("test/demo/dhclient-script"), "-lf", filepath.Join(dir, "leases"), "-pf", filepath.Join(dir, "pid"), ifname}
	cmd := ns.Command(append([]string{"dhclient", "-d", "-v", "-e", "KUBEDHCP_CLIENT_STATE=" + state}, args...)...)
	r := &Running{NS: ns, Ifname: ifname, cmd: cmd, state: state, Bound: "BOUND", Renewed: "RENEW"}
	r.Release = func(t *testing.T) {
		ns.Run(append([]string{"dhclient", "-r", "-e", "KUBEDHCP_CLIENT_STATE=" + state}, args...)...)
	}
	r.startCmd(t, dir)
	return r
}

// Udhcpc runs busybox udhcpc in the foreground on eth0.
func Udhcpc(t *testing.T, ns *netns.NS, ifname string) *Running {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	cmd := ns.Command("busybox", "udhcpc", "-f", "-i", "eth0", "-s", script("test/e2e/udhcpc-script"), "-t", "20", "-T", "1", "-A", "1")
	cmd.Env = append(os.Environ(), "KUBEDHCP_CLIENT_STATE="+state)
	r := &Running{NS: ns, Ifname: ifname, cmd: cmd, state: state, Bound: "bound", Renewed: "renew"}
	r.Release = func(t *testing.T) {
		// SIGUSR2: udhcpc sends DHCPRELEASE and deconfigures.
		if err := r.cmd.Process.Signal(syscall.SIGUSR2); err != nil {
			t.Fatal(err)
		}
	}
	r.startCmd(t, dir)
	return r
}

// Dhcpcd runs dhcpcd (dhcpcd-base) in the foreground, IPv4 only. It
// gives its hook script only its own variables, so the script's state file
// is named after the interface.
func Dhcpcd(t *testing.T, ns *netns.NS, ifname string) *Running {
	dir := t.TempDir()
	state := "/tmp/kubedhcp-dhcpcd-" + ifname
	t.Cleanup(func() { _ = os.Remove(state); _ = os.Remove(state + ".events") })
	cmd := ns.Command("dhcpcd", "-B", "-4", "-d", "--noipv4ll", "-t", "20", "-c", script("test/e2e/dhcpcd-script"), ifname)
	r := &Running{NS: ns, Ifname: ifname, cmd: cmd, state: state, Bound: "BOUND", Renewed: "RENEW"}
	r.Release = func(t *testing.T) { ns.Run("dhcpcd", "-4", "-k", ifname) }
	r.startCmd(t, dir)
	return r
}

// Events returns the events the client's script recorded, in order.
func (r *Running) Events() []string {
	b, _ := os.ReadFile(r.state + ".events")
	return strings.Fields(string(b))
}

func (r *Running) startCmd(t *testing.T, dir string) {
	log, err := os.Create(filepath.Join(dir, "client.log"))
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stdout, r.cmd.Stderr = log, log
	// Its own process group: the client's script runs as its child, and
	// must end with it, before the test's directory is removed.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pgid := r.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		_ = r.cmd.Wait()
		for end := time.Now().Add(2 * time.Second); time.Now().Before(end) && syscall.Kill(-pgid, 0) == nil; {
			time.Sleep(20 * time.Millisecond)
		}
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("client log:\n%s", b)
		}
	})
}

// Wait waits until the client's script recorded event, and returns the
// state it recorded then.
func (r *Running) Wait(t *testing.T, within time.Duration, event string) map[string]string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		events, _ := os.ReadFile(r.state + ".events")
		for _, e := range strings.Fields(string(events)) {
			if e == event {
				return r.Read(t)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	events, _ := os.ReadFile(r.state + ".events")
	t.Fatalf("no %s event within %s (events: %q)", event, within, events)
	return nil
}

// Read returns the state the client's script recorded last: ip, mask,
// routers, dns, domain, hostname, lease, server, filename, next_server,
// reason.
func (r *Running) Read(t *testing.T) map[string]string {
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
