package manager_test

import (
	"context"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubedhcp/kubedhcp/cmd/kubedhcp/app"
	"github.com/kubedhcp/kubedhcp/controllers/leasestore"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease/leasetest"
)

// leaseStore returns a Lease store with the manager's client settings.
func leaseStore(b testing.TB, ns string) *leasestore.Store {
	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = app.Defaults().QPS, app.Defaults().Burst
	c, err := client.New(cfg, client.Options{Scheme: app.Scheme()})
	if err != nil {
		b.Fatal(err)
	}
	return &leasestore.Store{Client: c, Lister: c, Paged: true, Namespace: ns}
}

// BenchmarkLeaseStoreCommit measures new bindings committed as Lease
// creates, 64 in flight, against the test apiserver and etcd.
func BenchmarkLeaseStoreCommit(b *testing.B) {
	ns := newNamespaceB(b)
	s := leaseStore(b, ns)
	var next atomic.Uint32
	base := config.U32(netip.MustParseAddr("10.0.0.0"))
	b.SetParallelism(32) // 32 x GOMAXPROCS goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			bd := lease.Binding{Subnet: "bench", Addr: config.Addr(base + i), HWAddr: []byte{2, 0, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)},
				State: lease.Bound, Start: time.Now(), Renewed: time.Now(), Expires: time.Now().Add(time.Hour)}
			if _, err := s.Commit(context.Background(), bd); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

// BenchmarkStartup10k measures the manager's time from start to ready with
// 10,000 Lease objects in its namespace.
func BenchmarkStartup10k(b *testing.B) {
	ns := newNamespaceB(b)
	s := leaseStore(b, ns)
	const n = 10_000
	base := config.U32(netip.MustParseAddr("10.50.0.0"))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := uint32(0); i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			bd := lease.Binding{Subnet: "lab", Addr: config.Addr(base + 256 + i), HWAddr: []byte{2, 1, 0, byte(i >> 16), byte(i >> 8), byte(i)},
				State: lease.Bound, Expires: time.Now().Add(time.Hour)}
			if _, err := s.Commit(context.Background(), bd); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o := app.Defaults()
		o.Namespace, o.DHCPAddr, o.RESTConfig = ns, serverA, env.Config
		o.MetricsAddr, o.ProbeAddr = "0", freePortB(b)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		start := time.Now()
		go func() { defer close(done); _ = app.Run(ctx, o) }()
		for {
			if resp, err := http.Get("http://" + o.ProbeAddr + "/readyz"); err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms-to-ready")
		cancel()
		<-done
	}
}

// The Lease store keeps the Store contract, the same cases the memory
// store runs, against the real apiserver: a namespace of its own each.
func TestLeaseStoreContract(t *testing.T) {
	leasetest.Contract(t, func(t *testing.T) lease.Store { return leaseStore(t, newNamespace(t)) })
}
