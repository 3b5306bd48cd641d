package decode

import (
	"context"
	"fmt"
	"reflect"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
)

// InformerFunc is the signature of cache.Options.NewInformer.
type InformerFunc func(toolscache.ListerWatcher, runtime.Object, time.Duration, toolscache.Indexers) toolscache.SharedIndexInformer

// NewInformerFunc returns the cache's informer constructor
// (cache.Options.NewInformer). The informers of the given kinds (by the
// type of New's object) in namespace list and watch through cfg, decoding
// each object on its own (Kind.Item); skipped hears of objects that name
// nothing and are left out, with their resource, and failed hears of each
// list that failed. Other kinds get client-go's informer
// unchanged.
func NewInformerFunc(cfg *rest.Config, gv schema.GroupVersion, namespace string, kinds []Kind,
	skipped, failed func(resource string, err error)) (InformerFunc, error) {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &gv
	c.APIPath = "/apis"
	c.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	c.ContentType, c.AcceptContentTypes = runtime.ContentTypeJSON, runtime.ContentTypeJSON
	rc, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("creating the list client: %w", err)
	}
	byType := map[reflect.Type]Kind{}
	for _, k := range kinds {
		byType[reflect.TypeOf(k.New())] = k
	}
	return func(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, idx toolscache.Indexers) toolscache.SharedIndexInformer {
		if k, ok := byType[reflect.TypeOf(obj)]; ok {
			lw = &ListWatch{rc: rc, namespace: namespace, kind: k,
				skipped: func(err error) { skipped(k.Resource, err) }, failed: func(err error) { failed(k.Resource, err) }}
		}
		return toolscache.NewSharedIndexInformer(lw, obj, resync, idx)
	}, nil
}

// ListWatch lists and watches one kind in one namespace, decoding each
// object on its own.
type ListWatch struct {
	rc        rest.Interface
	namespace string
	kind      Kind
	skipped   func(error)
	failed    func(error)
}

// IsWatchListSemanticsUnSupported turns the streaming watch-list off: the
// reflector lists, then watches.
func (l *ListWatch) IsWatchListSemanticsUnSupported() bool { return true }

// List implements toolscache.Lister.
func (l *ListWatch) List(o metav1.ListOptions) (runtime.Object, error) {
	return l.ListWithContext(context.Background(), o)
}

// Watch implements toolscache.Watcher.
func (l *ListWatch) Watch(o metav1.ListOptions) (watch.Interface, error) {
	return l.WatchWithContext(context.Background(), o)
}

// ListWithContext lists every object in one response, which the apiserver
// serves from its watch cache, and decodes it one object at a time. The
// reflector's page size is dropped: the apiserver pages only lists it
// reads from etcd, at several times the CPU.
//
// When the watch cache is not ready (429, as while kube-apiserver cannot
// decode a stored object and so cannot fill it), the list is read from
// etcd in pages instead: it either succeeds or says which objects it
// cannot read (StorageReadError, a cause per key).
func (l *ListWatch) ListWithContext(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
	o.Limit, o.Continue = 0, ""
	list, err := l.page(ctx, o)
	if apierrors.IsTooManyRequests(err) {
		list, err = l.fromEtcd(ctx, o)
	}
	if err != nil {
		l.failed(err)
		return nil, err
	}
	return list, nil
}

// fromEtcd lists in pages of 500, which the apiserver reads from etcd.
func (l *ListWatch) fromEtcd(ctx context.Context, o metav1.ListOptions) (*List, error) {
	o.ResourceVersion, o.ResourceVersionMatch, o.Limit = "", "", 500
	var all *List
	for {
		page, err := l.page(ctx, o)
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = page
		} else {
			all.Items = append(all.Items, page.Items...)
		}
		if page.Continue == "" {
			all.Continue = ""
			return all, nil
		}
		o.Continue = page.Continue
	}
}

// page reads one list response. A 429 is not retried here: its
// Retry-After would hold the list for minutes while etcd could answer now.
func (l *ListWatch) page(ctx context.Context, o metav1.ListOptions) (*List, error) {
	body, err := l.rc.Get().Namespace(l.namespace).Resource(l.kind.Resource).MaxRetries(0).
		VersionedParams(&o, metav1.ParameterCodec).Stream(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = body.Close() }()
	list, err := l.kind.ReadList(body, l.skipped)
	if err != nil {
		return nil, fmt.Errorf("reading the list of %s: %w", l.kind.Resource, err)
	}
	return list, nil
}

// WatchWithContext watches from o.ResourceVersion, decoding each object on
// its own.
func (l *ListWatch) WatchWithContext(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	o.Watch = true
	body, err := l.rc.Get().Namespace(l.namespace).Resource(l.kind.Resource).
		VersionedParams(&o, metav1.ParameterCodec).Stream(ctx)
	if err != nil {
		return nil, err
	}
	return l.kind.newWatch(body, l.skipped), nil
}
