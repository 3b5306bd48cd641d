package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

func newPin(k *kube) *cobra.Command {
	var name string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "pin LEASE",
		Short: "Make a dynamic Lease permanent: the server creates a Reservation for its client and address; print it as YAML to commit",
		Long: "pin annotates the Lease with dhcp.kubedhcp.io/pin; the kubedhcp server creates the Reservation and moves the Lease " +
			"under it, and the client renews the same address without noticing. The YAML printed is the Reservation's manifest, " +
			"without anything the server owns: commit it to Git.",
		Example: "  kubectl dhcp pin office-10-0-0-57 --name printer-3f > printer-3f.yaml",
		Args:    cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			return leaseNames(cmd.Context(), k, args), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := k.connect(); err != nil {
				return err
			}
			res, err := pin(cmd.Context(), k, args[0], name, timeout)
			if err != nil {
				return err
			}
			out, err := yaml.Marshal(cleanManifest(res))
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "name of the Reservation (default: the Lease's)")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for the server")
	return cmd
}

// pin asks the server to pin Lease lease as Reservation name and waits
// until the Lease is under it.
func pin(ctx context.Context, k *kube, leaseName, name string, timeout time.Duration) (*dhcpv1alpha1.Reservation, error) {
	l := &dhcpv1alpha1.Lease{}
	if err := k.c.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: leaseName}, l); err != nil {
		return nil, err
	}
	if name == "" {
		name = "true"
	}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, dhcpv1alpha1.PinAnnotation, name)
	if err := k.c.Patch(ctx, l, client.RawPatch("application/merge-patch+json", []byte(patch))); err != nil {
		return nil, fmt.Errorf("annotating Lease %s: %w", leaseName, err)
	}
	var pinned string
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := k.c.Get(ctx, client.ObjectKeyFromObject(l), l); err != nil {
			return false, err
		}
		pinned = l.Annotations[dhcpv1alpha1.PinnedAnnotation]
		_, asked := l.Annotations[dhcpv1alpha1.PinAnnotation]
		return pinned != "" && !asked, nil
	})
	if err != nil {
		return nil, fmt.Errorf("the server did not pin Lease %s within %s (is kubedhcp running in %s? see kubectl get events): %w",
			leaseName, timeout, k.ns, err)
	}
	res := &dhcpv1alpha1.Reservation{}
	return res, k.c.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: pinned}, res)
}

// manifest is a Reservation as a user writes it.
type manifest struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   manifestMeta `json:"metadata"`
	Spec       any          `json:"spec"`
}

type manifestMeta struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// cleanManifest keeps what a user writes: kind, name, namespace, spec.
func cleanManifest(r *dhcpv1alpha1.Reservation) manifest {
	return manifest{APIVersion: dhcpv1alpha1.GroupVersion.String(), Kind: "Reservation",
		Metadata: manifestMeta{Name: r.Name, Namespace: r.Namespace}, Spec: r.Spec}
}

func leaseNames(ctx context.Context, k *kube, args []string) []string {
	if len(args) > 0 {
		return nil
	}
	var ls dhcpv1alpha1.LeaseList
	if err := k.list(ctx, &ls); err != nil {
		return nil
	}
	var out []string
	for _, l := range ls.Items {
		if l.Spec.State == dhcpv1alpha1.LeaseBound && l.Spec.Reservation == "" {
			out = append(out, l.Name)
		}
	}
	return out
}
