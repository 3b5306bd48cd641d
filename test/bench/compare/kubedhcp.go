package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/test/testenv"
)

const (
	probeAddr = "127.0.0.1:18081"
	pprofAddr = "127.0.0.1:16060"
	// The bench subnet: relayed clients (giaddr relayIP selects it) get
	// addresses from a pool far larger than any run uses.
	benchCIDR  = "10.0.0.0/8"
	poolFirst  = "10.1.0.0"
	poolLast   = "10.199.255.254"
	benchLease = time.Hour
)

// controlPlane is the etcd and kube-apiserver the kubedhcp servers share,
// started on first use.
var controlPlane *testenv.Env

func sharedControlPlane() (*testenv.Env, error) {
	if controlPlane != nil {
		return controlPlane, nil
	}
	say("starting etcd (fsync on) and kube-apiserver on CPU %s (hack/control-plane.sh builds them on first use)", serverCPU)
	env, err := testenv.Start(testenv.Durable())
	if err != nil {
		return nil, err
	}
	controlPlane = env
	return env, nil
}

// kubedhcpServer runs bin/kubedhcp with the memory or the Lease store, in
// a fresh namespace for every run.
type kubedhcpServer struct {
	bin, store string
	workers    int
	// limits keeps kubedhcp's rate limits on; otherwise they are off, as
	// perfdhcp is one relay flooding new clients.
	limits bool
	env    *testenv.Env
	cmd    *exec.Cmd
	ns     string
	runs   int
	log    string
}

func (k *kubedhcpServer) Name() string {
	if k.store == "memory" {
		return "kubedhcp-memory"
	}
	return "kubedhcp-leases"
}

func (k *kubedhcpServer) Comms() []string {
	if k.store == "memory" {
		return []string{"kubedhcp"}
	}
	return []string{"kubedhcp", "kube-apiserver", "etcd"}
}

func (k *kubedhcpServer) Setup() error {
	var err error
	k.env, err = sharedControlPlane()
	return err
}

// Start makes a namespace with the bench Subnet and Pool and starts
// kubedhcp on it; it returns once kubedhcp is ready.
func (k *kubedhcpServer) Start() error {
	k.runs++
	k.ns = fmt.Sprintf("%s-%d", k.Name(), k.runs)
	if err := createBenchSubnet(k.env, k.ns, benchLease); err != nil {
		return err
	}
	return k.startProcess()
}

func (k *kubedhcpServer) startProcess() error {
	abs, err := filepath.Abs(k.bin)
	if err != nil {
		return err
	}
	k.log = filepath.Join(os.TempDir(), "kubedhcp-bench.log")
	logf, err := os.Create(k.log)
	if err != nil {
		return err
	}
	defer func() { _ = logf.Close() }()
	args := []string{"--namespace", k.ns, "--lease-store", k.store, "--metrics-bind-address", "0",
		"--health-probe-bind-address", probeAddr, "--pprof-bind-address", pprofAddr, "--ping-check=false"}
	if !k.limits {
		args = append(args, "--client-rate=0", "--new-client-rate=0")
	}
	if k.workers > 0 {
		args = append(args, "--workers", fmt.Sprint(k.workers))
	}
	k.cmd = exec.Command(abs, args...)
	k.cmd.Env = append(os.Environ(), "KUBECONFIG="+k.env.Kubeconfig)
	k.cmd.Stdout, k.cmd.Stderr = logf, logf
	if err := k.cmd.Start(); err != nil {
		return err
	}
	if err := testenv.WaitReady("http://"+probeAddr+"/readyz", 60*time.Second); err != nil {
		_ = k.Stop()
		return fmt.Errorf("kubedhcp never became ready (log %s): %w", k.log, err)
	}
	return nil
}

func (k *kubedhcpServer) Stop() error {
	if k.cmd == nil {
		return nil
	}
	_ = k.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = k.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = k.cmd.Process.Kill()
		<-done
	}
	k.cmd = nil
	return nil
}

func (k *kubedhcpServer) Teardown() {}

func (k *kubedhcpServer) pid() int { return k.cmd.Process.Pid }

// createNamespace makes namespace ns.
func createNamespace(env *testenv.Env, ns string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	return nil
}

// createBenchSubnet makes namespace ns holding the bench Subnet and Pool.
func createBenchSubnet(env *testenv.Env, ns string, leaseTime time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := env.Client
	if err := createNamespace(env, ns); err != nil {
		return err
	}
	sn := &dhcpv1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "bench", Namespace: ns}, Spec: dhcpv1alpha1.SubnetSpec{
		CIDR: benchCIDR, ServerIdentifier: serverIP,
		LeaseTime: &dhcpv1alpha1.LeaseTimes{Default: &metav1.Duration{Duration: leaseTime}},
	}}
	pool := &dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "bench", Namespace: ns}, Spec: dhcpv1alpha1.PoolSpec{
		Subnet: "bench", Ranges: []dhcpv1alpha1.AddressRange{{Start: poolFirst, End: poolLast}},
	}}
	if err := c.Create(ctx, sn); err != nil {
		return fmt.Errorf("creating the bench Subnet: %w", err)
	}
	if err := c.Create(ctx, pool); err != nil {
		return fmt.Errorf("creating the bench Pool: %w", err)
	}
	return nil
}

// get fetches url into path.
func get(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return errors.New(url + ": " + resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.ReadFrom(resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
