package controllers

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kubedhcp/kubedhcp/dhcpserver/transport"
)

// Readiness is what must be true before the server answers.
type Readiness interface {
	Ready() bool
}

// DHCPServer is the manager Runnable that answers DHCP: once the engine
// has its configuration and every Lease, it opens the listeners and
// serves until the manager stops. With leader election it runs on the
// leader only.
type DHCPServer struct {
	Engine     Readiness
	Transport  transport.Config
	LeaderOnly bool
	// InNetns, when set, opens the listeners inside another network
	// namespace (tests serve clients in namespaces they create).
	InNetns func(func() error) error

	listening atomic.Bool
}

// NeedLeaderElection implements manager.LeaderElectionRunnable.
func (s *DHCPServer) NeedLeaderElection() bool { return s.LeaderOnly }

// Start waits for the engine, then serves.
func (s *DHCPServer) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("dhcp")
	for !s.Engine.Ready() {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
	srv := transport.New(s.Transport)
	listen := srv.Listen
	if s.InNetns != nil {
		listen = func() error { return s.InNetns(srv.Listen) }
	}
	if err := listen(); err != nil {
		return fmt.Errorf("opening DHCP listeners (needs NET_BIND_SERVICE, and NET_RAW for unicast replies): %w", err)
	}
	s.listening.Store(true)
	logger.Info("serving DHCP", "interfaces", s.Transport.Interfaces, "address", s.Transport.Addr.String())
	defer s.listening.Store(false)
	return srv.Serve(ctx)
}

// Listening reports whether the listeners are open.
func (s *DHCPServer) Listening() bool { return s.listening.Load() }
