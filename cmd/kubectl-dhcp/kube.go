package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	ipamv1 "sigs.k8s.io/cluster-api/api/ipam/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// kube is the connection to the cluster, as kubectl's flags say.
type kube struct {
	kubeconfig, context, namespace string
	c                              client.Client
	ns                             string
}

func (k *kube) bindFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&k.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
	f.StringVar(&k.context, "context", "", "the kubeconfig context to use")
	f.StringVarP(&k.namespace, "namespace", "n", "", "the namespace kubedhcp serves (default: the context's)")
}

// namespaceOnly is the namespace without a cluster, for commands that only
// write manifests: --namespace, else the context's, else "default".
func (k *kube) namespaceOnly() string {
	if k.namespace != "" {
		return k.namespace
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if k.kubeconfig != "" {
		rules.ExplicitPath = k.kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: k.context})
	if ns, _, err := cc.Namespace(); err == nil && ns != "" {
		return ns
	}
	return "default"
}

// connect builds the client once.
func (k *kube) connect() error {
	if k.c != nil {
		return nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if k.kubeconfig != "" {
		rules.ExplicitPath = k.kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: k.context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return fmt.Errorf("finding the cluster: %w", err)
	}
	if k.ns = k.namespace; k.ns == "" {
		if k.ns, _, err = cc.Namespace(); err != nil {
			return err
		}
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = dhcpv1alpha1.AddToScheme(scheme)
	_ = ipamv1.AddToScheme(scheme)
	k.c, err = client.New(cfg, client.Options{Scheme: scheme})
	return err
}

// list lists one kind in the namespace.
func (k *kube) list(ctx context.Context, l client.ObjectList) error {
	if err := k.connect(); err != nil {
		return err
	}
	return k.c.List(ctx, l, client.InNamespace(k.ns))
}
