// Command demo shows kubedhcp at work on this machine: a real control plane
// (etcd and kube-apiserver built from Go modules), the sample Subnet, Pool
// and Reservations, the kubedhcp manager answering on one end of a veth
// pair, and dhclient on the other end, each in a network namespace of its
// own. It prints `kubectl get dhcp` with the Leases and keeps serving until
// interrupted, then removes everything it started. Run it as root with
// `make demo`.
//
// The demo runs in two steps: on the host it creates the namespaces and the
// veth pair, then runs itself again inside the server's namespace (-inner),
// where the control plane, kubectl and the manager live, so nothing listens
// on the machine's own interfaces.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

const serverNS = "kubedhcp-demo-server"

// workDir holds everything the demo writes: the control plane's data and
// certificates, logs, the kubeconfig. A fixed place, so leftovers of a run
// that was killed are found and removed by the next.
var workDir = filepath.Join(os.TempDir(), "kubedhcp-demo")

// clients are the namespaces of the two clients and their MAC addresses:
// the first is the sample Reservation office-printer's, the second gets an
// address from the sample Pool office-dynamic.
var clients = []struct{ ns, mac string }{
	{"kubedhcp-demo-printer", "00:1b:a9:12:34:56"},
	{"kubedhcp-demo-laptop", "02:42:de:ad:be:ef"},
}

// say prints a step. Output may go to a pipe that is gone (a tee killed by
// the same Ctrl-C): nothing depends on it being written.
func say(format string, args ...any) { _, _ = fmt.Printf("==> "+format+"\n", args...) }

func run(args ...string) error {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

func must(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %s: %v\n", what, err)
		os.Exit(1)
	}
}

func main() {
	// A write to a closed pipe fails instead of killing the demo before it
	// has cleaned up.
	signal.Ignore(syscall.SIGPIPE)
	inner := flag.Bool("inner", false, "run the part inside the server namespace")
	bin := flag.String("kubedhcp", "bin/kubedhcp", "the kubedhcp binary")
	flag.StringVar(&workDir, "work", workDir, "the work directory (set by the outer part)")
	flag.Parse()
	if *inner {
		os.Exit(runInner(*bin))
	}
	os.Exit(runOuter(*bin))
}

// runOuter sets up the namespaces, runs the inner part in the server's,
// and tears everything down however it ends.
func runOuter(bin string) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "demo: run as root (it creates network namespaces and binds port 67 inside them)")
		return 1
	}
	abs, err := filepath.Abs(bin)
	must(err, "finding the kubedhcp binary")
	self, err := os.Executable()
	must(err, "finding myself")
	cleanup()
	defer cleanup()
	must(os.MkdirAll(filepath.Join(workDir, "tmp"), 0o700), "making the work directory")
	say("creating network namespaces: %s with bridge eth1 (10.0.0.2/24), and two clients joined to it by veth pairs", serverNS)
	steps := [][]string{
		{"ip", "netns", "add", serverNS},
		{"ip", "-n", serverNS, "link", "add", "eth1", "type", "bridge"},
		{"ip", "-n", serverNS, "addr", "add", "10.0.0.2/24", "dev", "eth1"},
		{"ip", "-n", serverNS, "link", "set", "eth1", "up"}, {"ip", "-n", serverNS, "link", "set", "lo", "up"},
	}
	for i, c := range clients {
		port := fmt.Sprintf("kddemo%d", i)
		steps = append(steps, [][]string{
			{"ip", "netns", "add", c.ns},
			{"ip", "link", "add", port, "type", "veth", "peer", "name", port + "c"},
			{"ip", "link", "set", port, "netns", serverNS}, {"ip", "link", "set", port + "c", "netns", c.ns},
			{"ip", "-n", serverNS, "link", "set", port, "master", "eth1"}, {"ip", "-n", serverNS, "link", "set", port, "up"},
			{"ip", "-n", c.ns, "link", "set", port + "c", "name", "eth0"},
			{"ip", "-n", c.ns, "link", "set", "eth0", "address", c.mac},
			{"ip", "-n", c.ns, "link", "set", "eth0", "up"}, {"ip", "-n", c.ns, "link", "set", "lo", "up"},
		}...)
	}
	for _, c := range steps {
		must(run(c...), strings.Join(c, " "))
	}
	cmd := exec.Command("ip", "netns", "exec", serverNS, self, "-inner", "-kubedhcp", abs, "-work", workDir)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Every temporary file of the inner part, the control plane's
	// included, goes under workDir.
	cmd.Env = append(os.Environ(), "TMPDIR="+filepath.Join(workDir, "tmp"))
	// The inner part runs in a process group of its own, so a Ctrl-C
	// reaches it once, from here: it stops and cleans up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	must(cmd.Start(), "starting the inner part")
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	if err := cmd.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	return 0
}

// cleanup kills whatever runs in the demo's namespaces, deletes them, and
// removes the work directory: after this run, or what an earlier one left.
func cleanup() {
	defer func() { _ = os.RemoveAll(workDir) }()
	names := []string{serverNS}
	for _, c := range clients {
		names = append([]string{c.ns}, names...)
	}
	for _, ns := range names {
		if out, err := exec.Command("ip", "netns", "pids", ns).Output(); err == nil {
			for _, pid := range strings.Fields(string(out)) {
				_ = exec.Command("kill", "-9", pid).Run()
			}
		}
		_ = exec.Command("ip", "netns", "del", ns).Run()
	}
}
