// Command standalone serves DHCP from a fixed configuration with the
// engine, the transport and the memory store, without Kubernetes: the
// engine's ceiling, for benchmarks against Kea (test/bench).
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	_ "net/http/pprof"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-logr/logr"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/dhcpserver/transport"
)

func main() {
	cidr := flag.String("cidr", "10.200.0.0/16", "subnet served; a relay's giaddr inside it selects it")
	first := flag.String("first", "10.200.1.0", "first pool address")
	last := flag.String("last", "10.200.255.254", "last pool address")
	sid := flag.String("server-id", "10.200.0.1", "server identifier")
	addr := flag.String("listen", "0.0.0.0:67", "listen address")
	workers := flag.Int("workers", 0, "workers (0: default)")
	pprof := flag.String("pprof", "", "serve net/http/pprof on this address (empty: off)")
	flag.Parse()
	if *pprof != "" {
		go func() { _ = http.ListenAndServe(*pprof, nil) }()
	}
	sn := &config.Subnet{Name: "bench", Prefix: netip.MustParsePrefix(*cidr), ServerID: netip.MustParseAddr(*sid),
		LeaseTimes: config.LeaseTimes{Default: time.Hour},
		Pools:      []*config.Pool{{Name: "bench", Ranges: []config.Range{{Start: netip.MustParseAddr(*first), End: netip.MustParseAddr(*last)}}}}}
	snap, err := config.New(sn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	e := engine.New(lease.NewMemory(), engine.WithSettings(engine.Settings{NoLimits: true})) // a load generator is one flooding relay
	e.SetSnapshot(snap)
	if err := engine.Restore(context.Background(), e, lease.NewMemory()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := transport.New(transport.Config{Addr: netip.MustParseAddrPort(*addr), Handler: e, Workers: *workers, Log: logr.Discard()})
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("received %d replied %d malformed %d\n", s.Stats.Received.Load(), s.Stats.Replied.Load(), s.Stats.Malformed.Load())
}
