// Package netns builds throw-away network namespaces joined by veth pairs
// for tests, runs commands and Go code inside them, and removes them when
// the test ends. Every address used lives inside the namespaces the test
// made; nothing reaches the machine's own interfaces.
package netns

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// RequireRoot fails the test when it cannot create namespaces: in CI (the
// CI environment variable is set) that is an error; elsewhere it skips.
func RequireRoot(t testing.TB) {
	t.Helper()
	RequireRootFor(t, "creating network namespaces")
}

// RequireRootFor is RequireRoot for another thing only root may do, named
// by what.
func RequireRootFor(t testing.TB, what string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s needs root, and CI runs as root", what)
	}
	t.Skipf("%s needs root", what)
}

// NS is a network namespace made by New.
type NS struct {
	Name string
	t    testing.TB
}

var seq atomic.Uint32

// New creates a namespace with its loopback up, removed at test cleanup.
func New(t testing.TB, prefix string) *NS {
	t.Helper()
	RequireRoot(t)
	name := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), seq.Add(1))
	run(t, "ip", "netns", "add", name)
	n := &NS{Name: name, t: t}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	n.Run("ip", "link", "set", "lo", "up")
	return n
}

func run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Run runs a command inside the namespace and returns its output; it fails
// the test on error.
func (n *NS) Run(args ...string) string {
	n.t.Helper()
	return run(n.t, append([]string{"ip", "netns", "exec", n.Name}, args...)...)
}

// Command returns a command that will run inside the namespace.
func (n *NS) Command(args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.Name}, args...)...)
}

// Do runs f on a thread switched into the namespace. Sockets f opens stay
// in the namespace for their whole life, whichever thread uses them later.
func (n *NS) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// The thread is left locked, so it exits with this goroutine and
		// never serves another one in the wrong namespace.
		fd, err := unix.Open("/var/run/netns/"+n.Name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer func() { _ = unix.Close(fd) }()
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			errc <- err
			return
		}
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("entering %s: %w", n.Name, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// Veth joins two namespaces with a veth pair named aName in a and bName in
// b, both up.
func Veth(t testing.TB, a *NS, aName string, b *NS, bName string) {
	t.Helper()
	tmpA, tmpB := fmt.Sprintf("kdv%da", seq.Add(1)), fmt.Sprintf("kdv%db", seq.Add(1))
	run(t, "ip", "link", "add", tmpA, "type", "veth", "peer", "name", tmpB)
	run(t, "ip", "link", "set", tmpA, "netns", a.Name)
	run(t, "ip", "link", "set", tmpB, "netns", b.Name)
	a.Run("ip", "link", "set", tmpA, "name", aName)
	b.Run("ip", "link", "set", tmpB, "name", bName)
	a.Run("ip", "link", "set", aName, "up")
	b.Run("ip", "link", "set", bName, "up")
}
