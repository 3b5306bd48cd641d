package crd_test

import (
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
