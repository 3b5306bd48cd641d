// Package serve runs the DHCP listeners as a manager Runnable: once the
// engine is ready it opens the transport's sockets and serves until its
// context ends.
package serve

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/kubedhcp/kubedhcp/dhcpserver/transport"
)

// Readiness is what must be true before the server answers.
type Readiness interface {
	Ready() bool
}

// Server answers DHCP: once the engine has its configuration and its
// bindings, it opens the listeners and serves until its context ends.
// Every replica runs one.
type Server struct {
	engine    Readiness
	transport transport.Config
	inNetns   func(func() error) error
	listening atomic.Bool
}

// New returns a Server of the transport cfg for engine. inNetns, when
// set, opens the listeners inside another network namespace (tests).
func New(engine Readiness, cfg transport.Config, inNetns func(func() error) error) *Server {
	return &Server{engine: engine, transport: cfg, inNetns: inNetns}
}

// NeedLeaderElection is false: every replica answers.
func (s *Server) NeedLeaderElection() bool { return false }

// Start waits for the engine, then serves; it is a manager Runnable.
func (s *Server) Start(ctx context.Context) error {
	logger := logr.FromContextOrDiscard(ctx).WithName("dhcp")
	for !s.engine.Ready() {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
	srv := transport.New(s.transport)
	listen := srv.Listen
	if s.inNetns != nil {
		listen = func() error { return s.inNetns(srv.Listen) }
	}
	if err := listen(); err != nil {
		return fmt.Errorf("opening DHCP listeners (needs NET_BIND_SERVICE, and NET_RAW for unicast replies): %w", err)
	}
	s.listening.Store(true)
	logger.Info("serving DHCP", "interfaces", s.transport.Interfaces, "address", s.transport.Addr.String())
	defer s.listening.Store(false)
	return srv.Serve(ctx)
}

// Listening reports whether the listeners are open.
func (s *Server) Listening() bool { return s.listening.Load() }
