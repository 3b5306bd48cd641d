// Package dnsrecords publishes DNS records of leases as ExternalDNS
// DNSEndpoint objects: for each Subnet with spec.dns, one DNSEndpoint
// named after it, owned by it, holding an A record (and a PTR record with
// reverse) for each bound client with a host name that is a valid label.
// ExternalDNS, with any of its providers, serves them. Records follow the
// leases: each pass rewrites the set, so a record goes when its lease does.
package dnsrecords

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	externaldnsv1alpha1 "sigs.k8s.io/external-dns/apis/v1alpha1"
	"sigs.k8s.io/external-dns/endpoint"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// DefaultTTL is the records' TTL unless a Subnet sets one.
const DefaultTTL = 300

// Bindings are the stored bindings (the engine's allocator).
type Bindings interface {
	Stored(keep func(state lease.State, expires time.Time) bool) []lease.Binding
}

// Publisher writes the DNSEndpoints of the Subnets that ask for them,
// every Interval. One replica runs it (the elected jobs).
type Publisher struct {
	Client client.Client
	// Reader reads the DNSEndpoints uncached: a cache would watch every
	// DNSEndpoint of the namespace, and ExternalDNS's CRD may be missing.
	Reader    client.Reader
	Namespace string
	Bindings  Bindings
	Interval  time.Duration
	// Refused, when set, is told how many host names each subnet refused
	// in the last pass.
	Refused func(subnet string, n int)
	Now     func() time.Time
	Log     logr.Logger
}

// +kubebuilder:rbac:groups=externaldns.k8s.io,resources=dnsendpoints,verbs=get;list;watch;create;update;patch;delete

// Start publishes until ctx ends.
func (p *Publisher) Start(ctx context.Context) error {
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	for {
		if err := p.Publish(ctx); err != nil {
			p.Log.Error(err, "publishing DNS records of leases")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Publish runs one pass.
func (p *Publisher) Publish(ctx context.Context) error {
	var subnets dhcpv1alpha1.SubnetList
	if err := p.Client.List(ctx, &subnets, client.InNamespace(p.Namespace)); err != nil {
		return err
	}
	now := p.Now()
	active := p.Bindings.Stored(func(st lease.State, exp time.Time) bool { return st == lease.Bound && now.Before(exp) })
	bySubnet := map[string][]lease.Binding{}
	for _, b := range active {
		bySubnet[b.Subnet] = append(bySubnet[b.Subnet], b)
	}
	for i := range subnets.Items {
		sn := &subnets.Items[i]
		if sn.Spec.DNS == nil {
			continue
		}
		eps, refused := Records(sn.Spec.DNS, bySubnet[sn.Name])
		if p.Refused != nil {
			p.Refused(sn.Name, refused)
		}
		changed, err := p.write(ctx, sn, eps)
		if err != nil {
			return err
		}
		if changed {
			p.Log.Info("published DNS records of leases", "subnet", sn.Name, "records", len(eps), "refusedHostnames", refused)
		}
	}
	return nil
}

// write creates or updates the Subnet's DNSEndpoint to hold eps, and
// says whether it changed.
func (p *Publisher) write(ctx context.Context, sn *dhcpv1alpha1.Subnet, eps []*endpoint.Endpoint) (bool, error) {
	de := &externaldnsv1alpha1.DNSEndpoint{ObjectMeta: metav1.ObjectMeta{Name: sn.Name + "-leases", Namespace: sn.Namespace}}
	err := p.Reader.Get(ctx, client.ObjectKeyFromObject(de), de)
	switch {
	case meta.IsNoMatchError(err):
		return false, fmt.Errorf("subnet %s asks for DNS records, but the DNSEndpoint CRD (externaldns.k8s.io) is not installed: %w", sn.Name, err)
	case apierrors.IsNotFound(err):
		de.Spec.Endpoints = eps
		if err := controllerutil.SetControllerReference(sn, de, p.Client.Scheme()); err != nil {
			return false, err
		}
		de.Labels = map[string]string{"app.kubernetes.io/managed-by": "kubedhcp", "dhcp.kubedhcp.io/subnet": sn.Name}
		return true, p.Client.Create(ctx, de)
	case err != nil:
		return false, err
	}
	if equality.Semantic.DeepEqual(de.Spec.Endpoints, eps) {
		return false, nil
	}
	de.Spec.Endpoints = eps
	return true, p.Client.Update(ctx, de)
}

// Records are the DNS records of a subnet's active bindings, sorted, and
// how many host names were refused (not a valid label, or another
// client's already).
func Records(dns *dhcpv1alpha1.LeaseDNS, bs []lease.Binding) ([]*endpoint.Endpoint, int) {
	ttl := endpoint.TTL(DefaultTTL)
	if dns.TTL != nil {
		ttl = endpoint.TTL(*dns.TTL)
	}
	sort.Slice(bs, func(i, j int) bool {
		if !bs[i].Start.Equal(bs[j].Start) {
			return bs[i].Start.Before(bs[j].Start)
		}
		return bs[i].Addr.Less(bs[j].Addr)
	})
	taken := map[string]bool{}
	var eps []*endpoint.Endpoint
	refused := 0
	for _, b := range bs {
		if b.Hostname == "" {
			continue
		}
		label, ok := Label(b.Hostname)
		if !ok || taken[label] {
			refused++
			continue
		}
		taken[label] = true
		name := label + "." + dns.Domain
		eps = append(eps, endpoint.NewEndpointWithTTL(name, endpoint.RecordTypeA, ttl, b.Addr.String()))
		if dns.Reverse {
			eps = append(eps, endpoint.NewEndpointWithTTL(ReverseName(b.Addr), endpoint.RecordTypePTR, ttl, name))
		}
	}
	sort.Slice(eps, func(i, j int) bool {
		if eps[i].DNSName != eps[j].DNSName {
			return eps[i].DNSName < eps[j].DNSName
		}
		return eps[i].RecordType < eps[j].RecordType
	})
	return eps, refused
}

// Label is a client's host name as the one DNS label it may publish:
// lowercased, its first label when it sent a dotted name, and only if that
// is a valid RFC 1123 label (letters, digits, inner hyphens, 1 to 63).
func Label(hostname string) (string, bool) {
	first, _, _ := strings.Cut(hostname, ".")
	l := strings.ToLower(first)
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return "", false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return "", false
		}
	}
	return l, true
}

// ReverseName is the in-addr.arpa name of an IPv4 address.
func ReverseName(a netip.Addr) string {
	b := a.As4()
	return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa", b[3], b[2], b[1], b[0])
}
