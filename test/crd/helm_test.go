package crd_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubedhcp/kubedhcp/test/testenv"
)

// helm runs helm (built from Go modules by hack/helm.sh) and returns its
// standard output.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	path, err := exec.Command(filepath.Join(testenv.RepoRoot(), "hack", "helm.sh")).Output()
	if err != nil {
		t.Fatalf("building helm: %v", err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(strings.TrimSpace(string(path)), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &helmError{err: err, stderr: stderr.String()}
	}
	return stdout.String(), nil
}

type helmError struct {
	err    error
	stderr string
}

func (e *helmError) Error() string { return e.err.Error() + ": " + e.stderr }

var chart = filepath.Join(testenv.RepoRoot(), "charts", "kubedhcp")

func TestHelmLint(t *testing.T) {
	if out, err := helm(t, "lint", "--strict", chart); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestHelmTemplateServerDryRun(t *testing.T) {
	ns := newNamespace(t)
	out, err := helm(t, "template", "dhcp", chart, "--namespace", ns, "--include-crds",
		"--set", "interfaces={eth1,eth2}", "--set", "replicas=3")
	if err != nil {
		t.Fatal(err)
	}
	applied, err := env.KubectlStdin(out, "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-n", ns, "-f", "-")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"deployment.apps/dhcp-kubedhcp", "role.rbac.authorization.k8s.io/dhcp-kubedhcp",
		"rolebinding.rbac.authorization.k8s.io/dhcp-kubedhcp", "poddisruptionbudget.policy/dhcp-kubedhcp", "service/dhcp-kubedhcp-metrics",
		"customresourcedefinition.apiextensions.k8s.io/dhcpleases.dhcp.kubedhcp.io"} {
		if !strings.Contains(applied, want) {
			t.Errorf("applied\n%s\nwant %s", applied, want)
		}
	}
	if strings.Contains(out, "kind: ClusterRole") {
		t.Error("the chart grants a ClusterRole; it needs a Role in the namespace only")
	}
	d := deployment(t, out)
	spec := d.Spec.Template.Spec
	c := spec.Containers[0]
	sc := c.SecurityContext
	switch {
	case !spec.HostNetwork || spec.DNSPolicy != "ClusterFirstWithHostNet":
		t.Errorf("hostNetwork %v dnsPolicy %s", spec.HostNetwork, spec.DNSPolicy)
	case sc == nil || sc.Privileged == nil || *sc.Privileged || !*sc.ReadOnlyRootFilesystem:
		t.Errorf("security context %+v", sc)
	case len(sc.Capabilities.Add) != 2 || sc.Capabilities.Add[0] != "NET_BIND_SERVICE" || sc.Capabilities.Add[1] != "NET_RAW" ||
		len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL":
		t.Errorf("capabilities %+v", sc.Capabilities)
	case *d.Spec.Replicas != 3 || !strings.Contains(strings.Join(c.Args, " "), "--interfaces=eth1,eth2 --leader-elect=true"):
		t.Errorf("replicas %d args %v", *d.Spec.Replicas, c.Args)
	}
}

func deployment(t *testing.T, manifests string) *appsv1.Deployment {
	t.Helper()
	for _, doc := range strings.Split(manifests, "\n---") {
		if !strings.Contains(doc, "kind: Deployment") {
			continue
		}
		d := &appsv1.Deployment{}
		if err := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(doc), 4096).Decode(d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Fatal("no Deployment rendered")
	return nil
}

func TestHelmValuesSchemaRejects(t *testing.T) {
	tests := []struct{ set, want string }{
		{"leaseStore=disk", "leaseStore"},
		{"replicas=0", "replicas"},
		{"interfaces={eth0/1}", "interfaces"},
		{"unknownKey=1", "unknownKey"},
	}
	for _, tt := range tests {
		_, err := helm(t, "template", "dhcp", chart, "--set", tt.set)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("--set %s: %v, want an error naming %s", tt.set, err, tt.want)
		}
	}
}
