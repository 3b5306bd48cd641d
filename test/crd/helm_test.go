package crd_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
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
		"clusterrole.rbac.authorization.k8s.io/dhcp-kubedhcp-metrics-auth", "clusterrolebinding.rbac.authorization.k8s.io/dhcp-kubedhcp-metrics-auth",
		"clusterrole.rbac.authorization.k8s.io/dhcp-kubedhcp-metrics-reader",
		"customresourcedefinition.apiextensions.k8s.io/dhcpleases.dhcp.kubedhcp.io"} {
		if !strings.Contains(applied, want) {
			t.Errorf("applied\n%s\nwant %s", applied, want)
		}
	}
	checkClusterRoles(t, out)
	d := deployment(t, out)
	checkEndpoints(t, d)
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
	case *d.Spec.Replicas != 3 || !strings.Contains(strings.Join(c.Args, " "), "--interfaces=eth1,eth2 --replica-group=dhcp-kubedhcp"):
		t.Errorf("replicas %d args %v", *d.Spec.Replicas, c.Args)
	}
	checkHighAvailability(t, d)
}

// checkHighAvailability: every replica answers, on a node of its own,
// replaced one at a time, named by its pod, with the defaults of the load
// balancing and the outage reserve.
func checkHighAvailability(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	spec := d.Spec.Template.Spec
	c := spec.Containers[0]
	args := strings.Join(c.Args, " ")
	for _, want := range []string{"--leader-elect=true", "--leader-election-id=dhcp-kubedhcp-jobs", "--load-balance-max-seconds=3",
		"--spare-addresses=32", "--spare-ttl=1h"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %s, want %s", args, want)
		}
	}
	podName := false
	for _, e := range c.Env {
		podName = podName || e.Name == "POD_NAME" && e.ValueFrom != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name"
	}
	if !podName {
		t.Error("POD_NAME does not come from metadata.name")
	}
	aa := spec.Affinity
	if aa == nil || aa.PodAntiAffinity == nil || len(aa.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 1 ||
		aa.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].TopologyKey != "kubernetes.io/hostname" {
		t.Errorf("affinity %+v, want required anti-affinity per host", aa)
	}
	ru := d.Spec.Strategy.RollingUpdate
	if ru == nil || ru.MaxSurge.IntValue() != 0 || ru.MaxUnavailable.IntValue() != 1 {
		t.Errorf("rolling update %+v, want one at a time without a surge", ru)
	}
}

// One replica is a valid install: no PDB (it would block every drain),
// and the values that tune the replicas go through.
func TestHelmTemplateOneReplica(t *testing.T) {
	out, err := helm(t, "template", "dhcp", chart, "--set", "replicas=1", "--set", "antiAffinity=preferred",
		"--set", "outage.spareAddresses=8", "--set", "outage.spareTTL=30m", "--set", "loadBalance.maxSeconds=0")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "kind: PodDisruptionBudget") {
		t.Error("a PodDisruptionBudget for one replica")
	}
	d := deployment(t, out)
	args := strings.Join(d.Spec.Template.Spec.Containers[0].Args, " ")
	for _, want := range []string{"--spare-addresses=8", "--spare-ttl=30m", "--load-balance-max-seconds=0"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %s, want %s", args, want)
		}
	}
	if aa := d.Spec.Template.Spec.Affinity; aa == nil || len(aa.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 {
		t.Errorf("affinity %+v, want preferred anti-affinity", aa)
	}
}

// checkClusterRoles allows cluster-wide grants only for secure metrics:
// TokenReviews, SubjectAccessReviews, and get on /metrics.
func checkClusterRoles(t *testing.T, manifests string) {
	t.Helper()
	for _, doc := range strings.Split(manifests, "\n---") {
		if !strings.Contains(doc, "kind: ClusterRole\n") {
			continue
		}
		r := &rbacv1.ClusterRole{}
		if err := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(doc), 4096).Decode(r); err != nil {
			t.Fatal(err)
		}
		for _, rule := range r.Rules {
			ok := strings.Join(rule.Verbs, ",") == "create" && len(rule.Resources) == 1 &&
				(rule.Resources[0] == "tokenreviews" || rule.Resources[0] == "subjectaccessreviews") ||
				strings.Join(rule.Verbs, ",") == "get" && strings.Join(rule.NonResourceURLs, ",") == "/metrics"
			if !ok {
				t.Errorf("ClusterRole %s grants %+v; only secure metrics may be cluster-wide", r.Name, rule)
			}
		}
	}
}

// checkEndpoints: metrics over HTTPS with authentication, probes on
// 127.0.0.1 where the kubelet of a host-network pod reaches them, and
// readiness on the check that stays true while renewals are served.
func checkEndpoints(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	c := d.Spec.Template.Spec.Containers[0]
	args := strings.Join(c.Args, " ")
	for _, want := range []string{"--metrics-bind-address=:8443", "--metrics-secure=true", "--health-probe-bind-address=127.0.0.1:8081"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %s, want %s", args, want)
		}
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Host != "127.0.0.1" || p.HTTPGet.Port.IntValue() != 8081 {
			t.Errorf("probe %+v, want an httpGet on 127.0.0.1:8081", p)
		}
	}
	if c.ReadinessProbe.HTTPGet.Path != "/readyz/dhcp" {
		t.Errorf("readiness on %s, want /readyz/dhcp", c.ReadinessProbe.HTTPGet.Path)
	}
	for _, p := range c.Ports {
		if p.ContainerPort == 8081 {
			t.Errorf("the probe port is declared as a container port: %+v", p)
		}
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
		{"antiAffinity=sometimes", "antiAffinity"},
		{"outage.spareTTL=forever", "spareTTL"},
		{"outage.spareAddresses=-1", "spareAddresses"},
		{"loadBalance.maxSeconds=70000", "maxSeconds"},
	}
	for _, tt := range tests {
		_, err := helm(t, "template", "dhcp", chart, "--set", tt.set)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("--set %s: %v, want an error naming %s", tt.set, err, tt.want)
		}
	}
}

// ipam.enabled adds --ipam and the IPAddressClaim controller's rules to
// the namespaced Role, and nothing cluster-wide; off, neither is there.
func TestHelmTemplateIPAM(t *testing.T) {
	for _, on := range []bool{true, false} {
		out, err := helm(t, "template", "dhcp", chart, "--set", fmt.Sprintf("ipam.enabled=%t", on))
		if err != nil {
			t.Fatal(err)
		}
		args := strings.Join(deployment(t, out).Spec.Template.Spec.Containers[0].Args, " ")
		role := ""
		for _, doc := range strings.Split(out, "\n---") {
			if strings.Contains(doc, "\nkind: Role\n") {
				role = doc
			}
		}
		if got := strings.Contains(args, "--ipam") && strings.Contains(role, "ipaddressclaims/status") &&
			strings.Contains(role, "ipaddresses") && strings.Contains(role, "cluster.x-k8s.io"); got != on {
			t.Errorf("ipam.enabled=%t: args %s, Role\n%s", on, args, role)
		}
		checkClusterRoles(t, out)
	}
}
