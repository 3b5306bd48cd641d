// Package dhcpserver_test checks the rule the whole dhcpserver tree keeps:
// no Kubernetes imports, direct or indirect. golangci-lint's depguard
// checks direct imports; this test checks the whole dependency graph.
package dhcpserver_test

import (
	"os/exec"
	"strings"
	"testing"
)

func TestNoKubernetesDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test", "github.com/kubedhcp/kubedhcp/dhcpserver/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list found only %d packages", len(deps))
	}
	for _, p := range deps {
		if strings.HasPrefix(p, "k8s.io/") || strings.HasPrefix(p, "sigs.k8s.io/") ||
			strings.HasPrefix(p, "github.com/kubedhcp/kubedhcp/api") || strings.HasPrefix(p, "github.com/kubedhcp/kubedhcp/controllers") {
			t.Errorf("dhcpserver depends on %s", p)
		}
	}
}
