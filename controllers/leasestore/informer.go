package leasestore

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// InformerFunc is the signature of cache.Options.NewInformer.
type InformerFunc func(toolscache.ListerWatcher, runtime.Object, time.Duration, toolscache.Indexers) toolscache.SharedIndexInformer

// NewInformerFunc returns the cache's informer constructor
// (cache.Options.NewInformer). The informer of Leases in namespace lists
// them through cfg as a stream: each Lease is decoded and compacted as it
// arrives, so neither the whole response nor a whole list of full objects
// is ever held. With 100,000 Leases this keeps start-up near half the
// resident memory of a plain list, and at half the CPU of the streaming
// watch-list, which decodes every Lease several times over. Watches are
// client-go's. Other kinds get client-go's informer unchanged.
func NewInformerFunc(cfg *rest.Config, namespace string) (InformerFunc, error) {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &dhcpv1alpha1.GroupVersion
	c.APIPath = "/apis"
	c.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	c.ContentType, c.AcceptContentTypes = runtime.ContentTypeJSON, runtime.ContentTypeJSON
	rc, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("creating the lease list client: %w", err)
	}
	return func(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, idx toolscache.Indexers) toolscache.SharedIndexInformer {
		if _, ok := obj.(*dhcpv1alpha1.Lease); ok {
			lw = &streamedLeases{rc: rc, namespace: namespace, watcher: toolscache.ToListerWatcherWithContext(lw)}
		}
		return toolscache.NewSharedIndexInformer(lw, obj, resync, idx)
	}, nil
}

// streamedLeases lists Leases as a stream and watches them as client-go
// does.
type streamedLeases struct {
	rc        rest.Interface
	namespace string
	watcher   toolscache.WatcherWithContext
}

// IsWatchListSemanticsUnSupported turns the streaming watch-list off for
// this informer: the reflector lists instead.
func (s *streamedLeases) IsWatchListSemanticsUnSupported() bool { return true }

// List implements toolscache.Lister.
func (s *streamedLeases) List(o metav1.ListOptions) (runtime.Object, error) {
	return s.ListWithContext(context.Background(), o)
}

// Watch implements toolscache.Watcher.
func (s *streamedLeases) Watch(o metav1.ListOptions) (watch.Interface, error) {
	return s.WatchWithContext(context.Background(), o)
}

// WatchWithContext implements toolscache.WatcherWithContext.
func (s *streamedLeases) WatchWithContext(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	return s.watcher.WatchWithContext(ctx, o)
}

// ListWithContext lists every Lease in one response, which the apiserver
// serves from its watch cache, and decodes it one Lease at a time. The
// reflector's page size is dropped: the apiserver pages only lists it
// reads from etcd, at several times the CPU.
func (s *streamedLeases) ListWithContext(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
	o.Limit, o.Continue = 0, ""
	body, err := s.rc.Get().Namespace(s.namespace).Resource("dhcpleases").
		VersionedParams(&o, metav1.ParameterCodec).Stream(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = body.Close() }()
	list, err := decodeList(body)
	if err != nil {
		return nil, fmt.Errorf("reading the lease list: %w", err)
	}
	return list, nil
}

// leaseList is a list of compacted Leases by pointer: the reflector takes
// the items as they are, without the copy it makes of a LeaseList's.
type leaseList struct {
	metav1.TypeMeta
	metav1.ListMeta
	Items []*dhcpv1alpha1.Lease
}

// DeepCopyObject implements runtime.Object.
func (l *leaseList) DeepCopyObject() runtime.Object {
	c := &leaseList{TypeMeta: l.TypeMeta, Items: make([]*dhcpv1alpha1.Lease, len(l.Items))}
	l.DeepCopyInto(&c.ListMeta)
	for i, it := range l.Items {
		c.Items[i] = it.DeepCopy()
	}
	return c
}

// decodeList reads a LeaseList as JSON, compacting each Lease as it is
// decoded.
func decodeList(r io.Reader) (*leaseList, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	list := &leaseList{}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch key {
		case "metadata":
			err = dec.Decode(&list.ListMeta)
		case "items":
			list.Items, err = decodeItems(dec)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, fmt.Errorf("field %v: %w", key, err)
		}
	}
	return list, expectDelim(dec, '}')
}

func decodeItems(dec *json.Decoder) ([]*dhcpv1alpha1.Lease, error) {
	if err := expectDelim(dec, '['); err != nil {
		return nil, err
	}
	var items []*dhcpv1alpha1.Lease
	for dec.More() {
		l := &dhcpv1alpha1.Lease{}
		if err := dec.Decode(l); err != nil {
			return nil, fmt.Errorf("item %d: %w", len(items), err)
		}
		compact(l)
		items = append(items, l)
	}
	return items, expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, t)
	}
	return nil
}
