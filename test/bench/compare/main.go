// Command compare benchmarks kubedhcp against ISC Kea on this machine, in
// one run: `make bench`. Two network namespaces joined by a veth pair hold
// the server under test (pinned to CPU 0 with everything it needs: etcd and
// kube-apiserver, or PostgreSQL) and perfdhcp (pinned to CPU 1, relay mode:
// giaddr 10.200.0.2, unique clients). For each server it steps the offered
// DORA rate, repeats every step, and keeps the highest rate whose median
// run lost at most 2.5% of the clients; then it prints one table with
// REQUEST->ACK delays, the server's CPU, and the kubedhcp/Kea ratios. It
// also measures API writes per renewal with the Lease store, start-up with
// many existing Leases, and profiles kubedhcp under load.
//
// Like the demo it runs in two steps: on the host it makes the namespaces,
// then runs itself again inside the server's namespace (-inner) pinned to
// CPU 0, so every server process inherits that namespace and CPU.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

const (
	serverNS  = "kubedhcp-bench-srv"
	clientNS  = "kubedhcp-bench-cli"
	serverIf  = "srv0"
	clientIf  = "cli0"
	serverIP  = "10.200.0.1"
	relayIP   = "10.200.0.2"
	serverCPU = "0"
	clientCPU = "1"
	// clientRcvBuf is the receive buffer perfdhcp gets through
	// net.core.rmem_default while the benchmark runs: with the default
	// 208 KiB, perfdhcp itself drops replies above about 35,000 DORA/s.
	clientRcvBuf = "4194304"
)

// opts are the benchmark's settings, passed on to the inner run.
type opts struct {
	bin, servers, out     string
	duration              time.Duration
	repeats               int
	startupLeases, renewN int
	profile, flood        bool
}

func main() {
	var o opts
	inner := flag.Bool("inner", false, "run the part inside the server namespace (set by the outer run)")
	flag.StringVar(&o.bin, "kubedhcp", "bin/kubedhcp", "the kubedhcp binary")
	flag.StringVar(&o.servers, "servers", "kubedhcp-memory,kea-memfile,kubedhcp-leases,kea-pgsql", "servers to measure, in order")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of each perfdhcp run")
	flag.IntVar(&o.repeats, "repeats", 3, "runs per offered rate; the median counts")
	flag.IntVar(&o.renewN, "renew-clients", 2000, "clients bound before the renewal benchmark (0: skip it)")
	flag.IntVar(&o.startupLeases, "startup-leases", 100000, "Lease objects for the start-up benchmark (0: skip it)")
	flag.BoolVar(&o.profile, "profile", true, "profile kubedhcp (CPU and allocations) under load")
	flag.BoolVar(&o.flood, "flood", false, "run the starvation flood: 5,000 MACs on a 512-address pool while reserved and bound clients renew")
	flag.StringVar(&o.out, "out", "bin/bench-results", "directory for the profiles and the report")
	flag.Parse()
	ctrllog.SetLogger(logr.Discard())
	if *inner {
		os.Exit(runInner(o))
	}
	os.Exit(runOuter())
}

func say(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

func run(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// runOuter makes the namespaces, runs the inner part in the server's
// namespace on CPU 0, and removes everything however that ends.
func runOuter() int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "bench: run as root (it creates network namespaces)")
		return 1
	}
	// Ctrl-C reaches the inner run, which stops its servers; this one
	// waits for it and then cleans up.
	signal.Notify(make(chan os.Signal, 1), os.Interrupt, syscall.SIGTERM)
	cleanup()
	defer cleanup()
	say("namespaces %s (%s %s) and %s (%s %s, perfdhcp) joined by a veth pair", serverNS, serverIf, serverIP, clientNS, clientIf, relayIP)
	steps := [][]string{
		{"ip", "netns", "add", serverNS}, {"ip", "netns", "add", clientNS},
		{"ip", "link", "add", serverIf, "netns", serverNS, "type", "veth", "peer", "name", clientIf, "netns", clientNS},
		{"ip", "-n", serverNS, "addr", "add", serverIP + "/24", "dev", serverIf},
		{"ip", "-n", clientNS, "addr", "add", relayIP + "/24", "dev", clientIf},
	}
	for _, ns := range []string{serverNS, clientNS} {
		steps = append(steps, []string{"ip", "-n", ns, "link", "set", "lo", "up"})
	}
	steps = append(steps, []string{"ip", "-n", serverNS, "link", "set", serverIf, "up"}, []string{"ip", "-n", clientNS, "link", "set", clientIf, "up"})
	for _, s := range steps {
		if err := run(s...); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}
	restore, err := raiseRmemDefault()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	defer restore()
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	args := append([]string{"netns", "exec", serverNS, "taskset", "-c", serverCPU, self, "-inner"}, os.Args[1:]...)
	cmd := exec.Command("ip", args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

// raiseRmemDefault gives perfdhcp's socket a larger receive buffer (it sets
// none itself) and returns how to put the old default back. The setting is
// machine-wide: the kernel keeps it outside network namespaces.
func raiseRmemDefault() (func(), error) {
	const path = "/proc/sys/net/core/rmem_default"
	old, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(clientRcvBuf), 0o644); err != nil {
		return nil, fmt.Errorf("raising net.core.rmem_default for perfdhcp: %w", err)
	}
	say("net.core.rmem_default %s -> %s while the benchmark runs (perfdhcp's receive buffer)", strings.TrimSpace(string(old)), clientRcvBuf)
	return func() { _ = os.WriteFile(path, old, 0o644) }, nil
}

func cleanup() {
	for _, ns := range []string{serverNS, clientNS} {
		_ = exec.Command("ip", "netns", "del", ns).Run()
	}
}
