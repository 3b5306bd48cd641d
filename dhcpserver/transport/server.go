package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"golang.org/x/net/ipv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
	"github.com/kubedhcp/kubedhcp/dhcpserver/wire"
)

// Handler answers one message; *engine.Engine is one.
type Handler interface {
	Handle(ctx context.Context, m *dhcpv4.DHCPv4, in engine.Meta) (*engine.Reply, engine.Result)
}

// Observer hears what happened to each message, for metrics. It is called
// from the workers and must return quickly.
type Observer interface {
	// Handled: a message was answered or dropped by the handler, after d.
	Handled(res engine.Result, d time.Duration)
	// Dropped: a message never reached the handler or its reply was not
	// sent; reason is malformed, panic or sendFailed.
	Dropped(reason string)
}

// Config configures a Server.
type Config struct {
	// Interfaces to listen on, one socket each bound to the device. Empty
	// means one socket on every interface.
	Interfaces []string
	// Addr is the address to listen on; defaults to 0.0.0.0:67.
	Addr netip.AddrPort
	// Workers read and handle messages, this many on each listener
	// (default 2 per CPU, at least 4).
	Workers int
	// Handler answers messages.
	Handler Handler
	// Observer hears of every message; may be nil.
	Observer Observer
	// Log receives errors and debug detail.
	Log logr.Logger
}

// Stats are the counters of a Server.
type Stats struct {
	Received, Malformed, Panics, SendFailed, Replied atomic.Uint64
	// RawUnicast counts replies unicast to a hardware address through the
	// packet socket; RawFallback those broadcast because that failed.
	RawUnicast, RawFallback atomic.Uint64
}

// Server is a running set of listeners and workers.
type Server struct {
	cfg   Config
	conns []*listener
	Stats Stats
}

// New returns a Server for cfg; Run starts it.
func New(cfg Config) *Server {
	if cfg.Workers <= 0 {
		cfg.Workers = max(4, 2*numCPU())
	}
	if !cfg.Addr.IsValid() {
		cfg.Addr = netip.AddrPortFrom(netip.IPv4Unspecified(), 67)
	}
	return &Server{cfg: cfg}
}

// Run opens the listeners and serves until ctx is done, then closes them
// and waits for the workers to finish the messages in hand.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	return s.Serve(ctx)
}

// Listen opens the listeners. The sockets belong to the network namespace
// of the calling thread.
func (s *Server) Listen() error {
	if err := s.listen(); err != nil {
		s.closeAll()
		return err
	}
	return nil
}

// Serve serves on the open listeners until ctx is done, then closes them
// and waits for the workers to finish the messages in hand.
func (s *Server) Serve(ctx context.Context) error {
	var workers sync.WaitGroup
	for _, l := range s.conns {
		for range s.cfg.Workers {
			workers.Add(1)
			go func() { defer workers.Done(); s.work(ctx, l) }()
		}
	}
	<-ctx.Done()
	s.closeAll()
	workers.Wait()
	return nil
}

// Ready reports whether every listener is open.
func (s *Server) Ready() bool { return len(s.conns) > 0 }

func (s *Server) listen() error {
	names := s.cfg.Interfaces
	if len(names) == 0 {
		names = []string{""}
	}
	for _, name := range names {
		l, err := openListener(name, s.cfg.Addr)
		if err != nil {
			return fmt.Errorf("listening on %q: %w", name, err)
		}
		s.conns = append(s.conns, l)
	}
	return nil
}

func (s *Server) closeAll() {
	for _, l := range s.conns {
		l.close()
	}
}

// batchFor is how many messages one worker reads at a time (recvmmsg):
// with few workers (a fast store) batches save system calls; with many
// (each waiting on its commits) a message should not wait behind others
// in the same worker.
func batchFor(workers int) int { return min(16, max(1, 64/workers)) }

// work reads messages from one listener, a batch at a time, and answers
// each with its own reply buffer. The socket's receive buffer is the
// queue: workers read only when they are free.
func (s *Server) work(ctx context.Context, l *listener) {
	ms := make([]ipv4.Message, batchFor(s.cfg.Workers))
	for i := range ms {
		ms[i] = ipv4.Message{Buffers: [][]byte{make([]byte, 1500)}, OOB: ipv4.NewControlMessage(ipv4.FlagDst | ipv4.FlagInterface)}
	}
	out := make([]byte, 0, 1500)
	// Each message is done with before the next is parsed: the engine
	// copies what it keeps and the reply is sent before serve returns.
	var dec wire.Decoder
	for {
		n, err := l.pc.ReadBatch(ms, 0)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.cfg.Log.Error(err, "reading", "interface", l.name)
			continue
		}
		at := time.Now()
		s.Stats.Received.Add(uint64(n))
		for i := range n {
			m := &ms[i]
			out = s.serve(ctx, l, &dec, m.Buffers[0][:m.N], l.meta(m.OOB[:m.NN], m.Addr), at, out)
		}
	}
}

func (s *Server) dropped(reason string) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.Dropped(reason)
	}
}

// explain logs, at debug level, why a message got silence or a NAK.
func (s *Server) explain(m *dhcpv4.DHCPv4, meta engine.Meta, res engine.Result) {
	log := s.cfg.Log.V(1)
	if !log.Enabled() {
		return
	}
	kv := []any{"reason", string(res.Reason), "type", res.Type, "xid", m.TransactionID.String(), "mac", m.ClientHWAddr.String(),
		"interface", meta.Interface}
	if gi := m.GatewayIPAddr; gi != nil && !gi.IsUnspecified() {
		kv = append(kv, "relay", gi.String())
	}
	if res.Subnet != "" {
		kv = append(kv, "subnet", res.Subnet)
	}
	if res.Addr.IsValid() {
		kv = append(kv, "ip", res.Addr.String())
	}
	if res.Outcome == engine.OutcomeNak {
		log.Info("NAK", kv...)
		return
	}
	log.Info("no answer", kv...)
}

// serve handles one message; a panic is recovered and counted.
func (s *Server) serve(ctx context.Context, l *listener, dec *wire.Decoder, msg []byte, meta engine.Meta, at time.Time, out []byte) (ret []byte) {
	ret = out
	defer func() {
		if p := recover(); p != nil {
			s.Stats.Panics.Add(1)
			s.dropped("panic")
			s.cfg.Log.Error(fmt.Errorf("%v", p), "recovered from a panic while handling a message", "interface", l.name)
		}
	}()
	m, err := dec.Parse(msg)
	if err != nil {
		s.Stats.Malformed.Add(1)
		s.dropped(wire.Fault(err))
		if log := s.cfg.Log.V(1); log.Enabled() {
			log.Info("dropped a malformed message", "reason", wire.Fault(err), "interface", meta.Interface, "from", meta.Source.String(), "error", err.Error())
		}
		return out
	}
	r, res := s.cfg.Handler.Handle(ctx, m, meta)
	if s.cfg.Observer != nil {
		s.cfg.Observer.Handled(res, time.Since(at))
	}
	if res.Outcome == engine.OutcomeSilent || res.Outcome == engine.OutcomeNak {
		s.explain(m, meta, res)
	}
	if r == nil {
		return out
	}
	defer r.Release()
	out, dropped := wire.Marshal(out, r.Msg, r.Order, r.MaxSize)
	if len(dropped) > 0 {
		s.cfg.Log.V(1).Info("options left out to fit the client's size", "codes", dropped, "xid", r.Msg.TransactionID.String())
	}
	if err := l.send(out, r.Dest, meta, &s.Stats); err != nil {
		s.Stats.SendFailed.Add(1)
		s.dropped("sendFailed")
		s.cfg.Log.Error(err, "sending a reply", "interface", l.name, "to", r.Dest.Addr.String())
		return out
	}
	s.Stats.Replied.Add(1)
	return out
}
