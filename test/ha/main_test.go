// Package ha_test runs two or three kubedhcp replicas, each the manager
// binary in a network namespace of its own, on one segment, against a
// real kube-apiserver that they reach over a control link the test can
// cut, and measures what high availability promises: a replica killed
// with SIGKILL under load, the apiserver stopped for two minutes, one
// replica cut off from it, and a rolling restart. Clients are real
// (ISC dhclient on the segment) and simulated by the hundred behind a
// relay (test/loadgen), each living as RFC 2131 §4.4.5 has it: renewing
// at T1 with the server that bound it, rebinding with any at T2. Every
// figure is logged; the README quotes them.
package ha_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kubedhcp/kubedhcp/test/testenv"
)

var (
	env *testenv.Env
	// bin is the manager binary the replicas run.
	bin string
)

func TestMain(m *testing.M) {
	klog.SetLogger(logr.Discard())
	ctrl.SetLogger(logr.Discard())
	if os.Geteuid() == 0 {
		cmd := exec.Command(filepath.Join(testenv.RepoRoot(), "hack", "install-clients.sh"))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "installing the DHCP clients:", err)
			os.Exit(1)
		}
	}
	dir, err := os.MkdirTemp("", "kubedhcp-ha-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "kubedhcp")
	build := exec.Command("go", "build", "-o", bin, "./cmd/kubedhcp")
	build.Dir, build.Stdout, build.Stderr = testenv.RepoRoot(), os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building kubedhcp:", err)
		os.Exit(1)
	}
	testenv.Main(removing{m, dir}, &env, testenv.Restartable())
}

// removing runs the tests, then removes dir: testenv.Main ends the
// process, so nothing after it runs.
type removing struct {
	m   *testing.M
	dir string
}

func (r removing) Run() int {
	defer func() { _ = os.RemoveAll(r.dir) }()
	return r.m.Run()
}
