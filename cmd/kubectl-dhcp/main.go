// Command kubectl-dhcp is the kubectl plugin of kubedhcp: copy it onto
// PATH and run `kubectl dhcp`. It answers "who has 10.0.0.57?", "how full
// are my pools?" and "why did this machine get nothing?" from the live
// objects, with the server's own translation and engine code.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	k := &kube{}
	root := &cobra.Command{
		Use:           "kubectl-dhcp",
		Short:         "Ask kubedhcp: who has an address, how full the pools are, why a client gets what it gets",
		SilenceUsage:  true,
		SilenceErrors: true,
		// As kubectl runs it: kubectl dhcp.
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl dhcp"},
	}
	k.bindFlags(root)
	root.AddCommand(newLeases(k), newWhoHas(k), newUsage(k), newPin(k), newWhy(k), newImport(k))
	return root
}
