package crd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubedhcp/kubedhcp/test/testenv"
)

// TestKustomizeDefault builds config/default with kubectl's kustomize and
// applies it to the test apiserver with a server-side dry run: every
// object must be one the apiserver accepts.
func TestKustomizeDefault(t *testing.T) {
	built, err := env.Kubectl("kustomize", filepath.Join(testenv.RepoRoot(), "config", "default"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Kubectl("create", "namespace", "kubedhcp"); err != nil && !strings.Contains(err.Error(), "AlreadyExists") {
		t.Fatal(err)
	}
	out, err := env.KubectlStdin(built, "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", "-")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"deployment.apps/kubedhcp serverside-applied (server dry run)",
		"rolebinding.rbac.authorization.k8s.io/kubedhcp-manager serverside-applied (server dry run)",
		"clusterrole.rbac.authorization.k8s.io/kubedhcp-manager serverside-applied (server dry run)",
		"clusterrolebinding.rbac.authorization.k8s.io/kubedhcp-metrics-auth serverside-applied (server dry run)",
		"customresourcedefinition.apiextensions.k8s.io/subnets.dhcp.kubedhcp.io serverside-applied (server dry run)"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl apply printed\n%s\nwant %q", out, want)
		}
	}
}

// TestKustomizeIPAMComponent: an overlay of config/default with the
// config/ipam component adds --ipam and binds the IPAM role in the
// namespace; the apiserver (with Cluster API's IPAM CRDs from config/capi)
// accepts it all.
func TestKustomizeIPAMComponent(t *testing.T) {
	dir := t.TempDir()
	root := testenv.RepoRoot()
	rel := func(p string) string {
		r, err := filepath.Rel(dir, filepath.Join(root, "config", p))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	overlay := fmt.Sprintf("resources:\n  - %s\ncomponents:\n  - %s\n", rel("default"), rel("ipam"))
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(overlay), 0o600); err != nil {
		t.Fatal(err)
	}
	built, err := env.Kubectl("kustomize", "--load-restrictor=LoadRestrictionsNone", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(built, "- --ipam") || !strings.Contains(built, "name: kubedhcp-ipam") {
		t.Fatalf("the overlay built no --ipam or no kubedhcp-ipam role:\n%s", built)
	}
	if _, err := env.Kubectl("create", "namespace", "kubedhcp"); err != nil && !strings.Contains(err.Error(), "AlreadyExists") {
		t.Fatal(err)
	}
	out, err := env.KubectlStdin(built, "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", "-")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "rolebinding.rbac.authorization.k8s.io/kubedhcp-ipam serverside-applied (server dry run)") {
		t.Errorf("kubectl apply printed\n%s\nwant the kubedhcp-ipam RoleBinding", out)
	}
	capi, err := env.Kubectl("kustomize", filepath.Join(root, "config", "capi"))
	if err != nil || !strings.Contains(capi, "name: ipaddressclaims.ipam.cluster.x-k8s.io") {
		t.Errorf("config/capi built %v:\n%.300s", err, capi)
	}
}
