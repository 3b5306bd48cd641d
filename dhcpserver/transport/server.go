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
	// Workers handle messages (default 2 per CPU, at least 4).
	Workers int
	// Queue is how many messages may wait for a worker before the reader
	// waits too (default 1024).
	Queue int
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
	// QueueFull counts the times the reader waited for a worker.
	QueueFull atomic.Uint64
	// RawUnicast counts replies unicast to a hardware address through the
	// packet socket; RawFallback those broadcast because that failed.
	RawUnicast, RawFallback atomic.Uint64
}

// Server is a running set of listeners and workers.
type Server struct {
	cfg   Config
	conns []*listener
	jobs  chan *job
	bufs  sync.Pool
	Stats Stats
}

// job is one received message waiting for a worker.
type job struct {
	buf  []byte
	n    int
	from *listener
	meta engine.Meta
	at   time.Time
}

// New returns a Server for cfg; Run starts it.
func New(cfg Config) *Server {
	if cfg.Workers <= 0 {
		cfg.Workers = max(4, 2*numCPU())
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 1024
	}
	if !cfg.Addr.IsValid() {
		cfg.Addr = netip.AddrPortFrom(netip.IPv4Unspecified(), 67)
	}
	s := &Server{cfg: cfg, jobs: make(chan *job, cfg.Queue)}
	s.bufs.New = func() any { return &job{buf: make([]byte, 1500)} }
	return s
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
	var workers, readers sync.WaitGroup
	for i := 0; i < s.cfg.Workers; i++ {
		workers.Add(1)
		go func() { defer workers.Done(); s.work(ctx) }()
	}
	for _, l := range s.conns {
		readers.Add(1)
		go func() { defer readers.Done(); s.read(ctx, l) }()
	}
	<-ctx.Done()
	s.closeAll()
	readers.Wait()
	close(s.jobs)
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

// batch is how many messages one read may return (recvmmsg).
const batch = 32

// read receives messages on one listener, up to a batch a system call,
// and queues them for the workers.
func (s *Server) read(ctx context.Context, l *listener) {
	ms := make([]ipv4.Message, batch)
	js := make([]*job, batch)
	for i := range ms {
		js[i] = s.bufs.Get().(*job)
		ms[i] = ipv4.Message{Buffers: [][]byte{js[i].buf}, OOB: ipv4.NewControlMessage(ipv4.FlagDst | ipv4.FlagInterface)}
	}
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
			j := js[i]
			j.n, j.from, j.at = ms[i].N, l, at
			j.meta = l.meta(ms[i].OOB[:ms[i].NN])
			s.queue(j)
			js[i] = s.bufs.Get().(*job)
			ms[i].Buffers[0] = js[i].buf
		}
	}
}

// queue hands j to a worker. When the queue is full the reader waits, and
// new messages wait in the socket's receive buffer, which drops what does
// not fit.
func (s *Server) queue(j *job) {
	select {
	case s.jobs <- j:
	default:
		s.Stats.QueueFull.Add(1)
		s.jobs <- j
	}
}

func (s *Server) dropped(reason string) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.Dropped(reason)
	}
}

// work handles queued messages with its own reply buffer.
func (s *Server) work(ctx context.Context) {
	out := make([]byte, 0, 1500)
	for j := range s.jobs {
		out = s.serve(ctx, j, out)
		s.bufs.Put(j)
	}
}

// serve handles one message; a panic is recovered and counted.
func (s *Server) serve(ctx context.Context, j *job, out []byte) (ret []byte) {
	ret = out
	defer func() {
		if p := recover(); p != nil {
			s.Stats.Panics.Add(1)
			s.dropped("panic")
			s.cfg.Log.Error(fmt.Errorf("%v", p), "recovered from a panic while handling a message", "interface", j.from.name)
		}
	}()
	m, err := wire.Parse(j.buf[:j.n])
	if err != nil {
		s.Stats.Malformed.Add(1)
		s.dropped("malformed")
		s.cfg.Log.V(1).Info("dropped a malformed message", "interface", j.from.name, "error", err.Error())
		return out
	}
	r, res := s.cfg.Handler.Handle(ctx, m, j.meta)
	if s.cfg.Observer != nil {
		s.cfg.Observer.Handled(res, time.Since(j.at))
	}
	if r == nil {
		return out
	}
	defer r.Release()
	out, dropped := wire.Marshal(out, r.Msg, r.Order, r.MaxSize)
	if len(dropped) > 0 {
		s.cfg.Log.V(1).Info("options left out to fit the client's size", "codes", dropped, "xid", r.Msg.TransactionID.String())
	}
	if err := j.from.send(out, r.Dest, j.meta, &s.Stats); err != nil {
		s.Stats.SendFailed.Add(1)
		s.dropped("sendFailed")
		s.cfg.Log.Error(err, "sending a reply", "interface", j.from.name, "to", r.Dest.Addr.String())
		return out
	}
	s.Stats.Replied.Add(1)
	return out
}
