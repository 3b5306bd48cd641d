// Package testenv starts a real etcd and kube-apiserver for tests, with the
// kubedhcp CRDs installed. The binaries are built from Go modules by
// hack/control-plane.sh into a cache outside the clone; KUBEBUILDER_ASSETS
// names that directory when set, otherwise the script is run to find or
// build it.
package testenv

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ipamv1 "sigs.k8s.io/cluster-api/api/ipam/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	externaldnsv1alpha1 "sigs.k8s.io/external-dns/apis/v1alpha1"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// Env is a running control plane with the kubedhcp CRDs installed.
type Env struct {
	// Config connects to the apiserver as an administrator.
	Config *rest.Config
	// Client is a controller-runtime client that knows the kubedhcp kinds.
	Client client.Client
	// Kubeconfig is the path of a kubeconfig file for the administrator.
	Kubeconfig string
	// Assets is the directory holding etcd, kube-apiserver and kubectl.
	Assets string

	env     *envtest.Environment
	dir     string
	certDir string
}

// RepoRoot returns the root of the kubedhcp checkout these sources are in.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Assets returns the directory holding the control plane binaries,
// building them with hack/control-plane.sh when they are missing.
func Assets() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	cmd := exec.Command(filepath.Join(RepoRoot(), "hack", "control-plane.sh"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the control plane with hack/control-plane.sh: %w", err)
	}
	return strings.TrimSpace(out.String()), nil
}

// Option configures Start.
type Option func(*Env) error

// Restartable keeps the apiserver's certificates in a directory of their
// own, so StopAPIServer and StartAPIServer bring it back on the same port
// with the same certificates and clients reconnect.
func Restartable() Option {
	return func(e *Env) error {
		dir, err := os.MkdirTemp("", "kubedhcp-apiserver-")
		if err != nil {
			return err
		}
		e.certDir = dir
		e.env.ControlPlane.APIServer = &envtest.APIServer{CertDir: dir, StopTimeout: 3 * time.Second}
		return nil
	}
}

// Durable makes etcd sync its writes to disk, as a production etcd does;
// envtest's default (--unsafe-no-fsync) is faster but loses writes on a
// crash. Benchmarks that compare with databases that fsync use it.
func Durable() Option {
	return func(e *Env) error {
		if e.env.ControlPlane.Etcd == nil {
			e.env.ControlPlane.Etcd = &envtest.Etcd{}
		}
		e.env.ControlPlane.Etcd.Configure().Set("unsafe-no-fsync", "false")
		return nil
	}
}

// StopAPIServer stops kube-apiserver (SIGTERM, then SIGKILL after 3 s
// with watches open); etcd keeps running.
func (e *Env) StopAPIServer() error {
	err := e.env.ControlPlane.APIServer.Stop()
	if err != nil && strings.HasPrefix(err.Error(), "timeout waiting for process kube-apiserver to stop") {
		return nil // it was killed
	}
	return err
}

// StartAPIServer starts kube-apiserver again after StopAPIServer.
func (e *Env) StartAPIServer() error { return e.env.ControlPlane.APIServer.Start() }

// Start boots etcd and kube-apiserver and installs the CRDs from
// config/crd/bases, and Cluster API's from config/capi and
// test/testdata/capi. Call Stop when done.
func Start(opts ...Option) (*Env, error) {
	assets, err := Assets()
	if err != nil {
		return nil, err
	}
	e := &Env{Assets: assets, env: &envtest.Environment{
		CRDDirectoryPaths: []string{filepath.Join(RepoRoot(), "config", "crd", "bases"),
			// Cluster API's IPAddressClaim, IPAddress and Cluster, generated
			// from its Go module.
			filepath.Join(RepoRoot(), "config", "capi"), filepath.Join(RepoRoot(), "test", "testdata", "capi"),
			// ExternalDNS's DNSEndpoint, generated from its Go module.
			filepath.Join(RepoRoot(), "test", "testdata", "externaldns")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}}
	for _, o := range opts {
		if err := o(e); err != nil {
			return nil, err
		}
	}
	// Inside a network namespace without a default route (the demo, e2e
	// tests) kube-apiserver cannot guess its advertise address.
	args := e.env.ControlPlane.GetAPIServer().Configure()
	args.Set("advertise-address", "127.0.0.1")
	args.Set("endpoint-reconciler-type", "none")
	if e.Config, err = e.env.Start(); err != nil {
		return nil, fmt.Errorf("starting the control plane from %s: %w", assets, err)
	}
	if err := e.finish(); err != nil {
		_ = e.Stop()
		return nil, err
	}
	return e, nil
}

func (e *Env) finish() error {
	scheme := clientgoscheme.Scheme
	if err := dhcpv1alpha1.AddToScheme(scheme); err != nil {
		return fmt.Errorf("adding the kubedhcp kinds to the scheme: %w", err)
	}
	if err := ipamv1.AddToScheme(scheme); err != nil {
		return fmt.Errorf("adding the Cluster API IPAM kinds to the scheme: %w", err)
	}
	if err := externaldnsv1alpha1.AddToScheme(scheme); err != nil {
		return fmt.Errorf("adding the ExternalDNS kinds to the scheme: %w", err)
	}
	metav1.AddToGroupVersion(scheme, externaldnsv1alpha1.GroupVersion)
	c, err := client.New(e.Config, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	e.Client = c
	user, err := e.env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, e.Config)
	if err != nil {
		return fmt.Errorf("adding an admin user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("writing a kubeconfig: %w", err)
	}
	if e.dir, err = os.MkdirTemp("", "kubedhcp-testenv-"); err != nil {
		return err
	}
	e.Kubeconfig = filepath.Join(e.dir, "kubeconfig")
	return os.WriteFile(e.Kubeconfig, kubeconfig, 0o600)
}

// Stop stops the control plane and removes its files.
func (e *Env) Stop() error {
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
	if e.certDir != "" {
		defer func() { _ = os.RemoveAll(e.certDir) }()
	}
	return e.env.Stop()
}

// Kubectl runs the control plane's kubectl against it and returns its
// combined output.
func (e *Env) Kubectl(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(e.Assets, "kubectl"), append([]string{"--kubeconfig", e.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// KubectlStdin runs kubectl with stdin as its standard input.
func (e *Env) KubectlStdin(stdin string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(e.Assets, "kubectl"), append([]string{"--kubeconfig", e.Kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Main is a TestMain body: it starts the control plane into *env, runs the
// tests, stops it and exits with the tests' code.
func Main(m interface{ Run() int }, env **Env, opts ...Option) {
	var err error
	if *env, err = Start(opts...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := (*env).Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
	}
	os.Exit(code)
}

// WaitReady polls a readiness URL until it answers 200 OK.
func WaitReady(url string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within %s", url, within)
}

// EtcdPut writes value at key straight into the control plane's etcd,
// through its JSON gateway, as a record restored from a bad backup or
// written by an older version could be: the apiserver never sees it.
func (e *Env) EtcdPut(key, value string) error {
	return e.etcd("/v3/kv/put", fmt.Sprintf(`{"key":%q,"value":%q}`, b64(key), b64(value)))
}

// EtcdDelete deletes key from the control plane's etcd.
func (e *Env) EtcdDelete(key string) error {
	return e.etcd("/v3/kv/deleterange", fmt.Sprintf(`{"key":%q}`, b64(key)))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func (e *Env) etcd(path, body string) error {
	resp, err := http.Post(e.env.ControlPlane.Etcd.URL.String()+path, "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		out, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("etcd %s: %s: %s", path, resp.Status, out)
	}
	return nil
}
