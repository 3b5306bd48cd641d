// Package engine is the RFC 2131 server state machine. Handle takes one
// client message and returns the reply and where to send it, or nil for
// silence. It reads the current config snapshot once per message, chooses
// addresses through the allocator, and commits every binding to the Store
// before it acknowledges it. Time comes from an injected Clock; the engine
// starts no goroutines and opens no sockets, so tests drive it message by
// message.
package engine

import (
	"context"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/alloc"
	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/dhcpserver/limit"
)

// Clock tells the time.
type Clock interface{ Now() time.Time }

// SystemClock is the Clock of the system.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Prober checks whether an address is in use before it is offered.
type Prober interface {
	// Probe reports whether a host answers at addr within timeout.
	Probe(ctx context.Context, addr netip.Addr, timeout time.Duration) (bool, error)
}

// Settings tune the engine; the zero value of a field means its default.
type Settings struct {
	// OfferHold is how long an offered address is kept for the client
	// (default 30s).
	OfferHold time.Duration
	// Probation is how long a declined or conflicting address stays out of
	// service (default 1h).
	Probation time.Duration
	// Headroom is how far, as a fraction of the lease time, the stored
	// expiry runs ahead of the lease a client is told, so that renewals
	// need no write until the client's lease would pass the stored one
	// (default 1.0: about one write per three renewals; at most 1.0).
	// Zero keeps the default; negative disables it (every renewal writes).
	Headroom float64
	// ProbeTries is how many addresses a DISCOVER may probe before it gives
	// up (default 4).
	ProbeTries int
	// ClientRate limits the messages of one client identity; a client
	// over it gets silence. Nil: DefaultClientRate; a zero Rate: none.
	ClientRate *limit.Rate
	// LinkRate limits, per relay or interface, the messages that may bind
	// a client that has no binding yet: DISCOVERs, and REQUESTs of clients
	// without one. Renewals of bound clients never count. Nil:
	// DefaultLinkRate; a zero Rate: none.
	LinkRate *limit.Rate
	// NoLimits turns both limits off, whatever they say.
	NoLimits bool
	// MaxSeconds is the secs at which every replica answers a client, for
	// Subnets that do not set loadBalanceMaxSeconds (default 3).
	MaxSeconds *uint16
}

// Default rate limits: far above what real clients send (a PXE, iPXE and
// installer boot sends a dozen messages in a minute; a building of 2,000
// clients coming back after a power cut binds in two seconds), far below
// a flood.
var (
	DefaultClientRate = limit.Rate{PerSecond: 2, Burst: 30}
	DefaultLinkRate   = limit.Rate{PerSecond: 1000, Burst: 2000}
	// DefaultMaxSeconds is Settings.MaxSeconds unless set: as ISC dhcpd's
	// load balance max seconds.
	DefaultMaxSeconds uint16 = 3
)

// limiterKeys bounds the keys each limiter holds.
const limiterKeys = 1 << 16

func (s Settings) withDefaults() Settings {
	if s.OfferHold == 0 {
		s.OfferHold = 30 * time.Second
	}
	if s.Probation == 0 {
		s.Probation = time.Hour
	}
	if s.Headroom == 0 {
		s.Headroom = 1
	}
	s.Headroom = min(max(s.Headroom, 0), 1)
	if s.ProbeTries == 0 {
		s.ProbeTries = 4
	}
	if s.ClientRate == nil {
		s.ClientRate = &DefaultClientRate
	}
	if s.LinkRate == nil {
		s.LinkRate = &DefaultLinkRate
	}
	if s.NoLimits {
		s.ClientRate, s.LinkRate = &limit.Rate{}, &limit.Rate{}
	}
	if s.MaxSeconds == nil {
		s.MaxSeconds = &DefaultMaxSeconds
	}
	return s
}

// Engine answers DHCP client messages. It is safe for concurrent use.
type Engine struct {
	snap     atomic.Pointer[config.Snapshot]
	share    atomic.Pointer[balance.Share]
	alloc    *alloc.Allocator
	store    lease.Store
	clock    Clock
	prober   Prober
	observer Observer
	set      Settings
	ready    atomic.Bool
	partial  atomic.Bool
	// storeDown says the Store takes no writes now (SetStoreDown).
	storeDown atomic.Bool
	// identity is this replica's run, which owns its spare addresses.
	identity string
	clients  *limit.Limiter
	links    *limit.Limiter
}

// Option configures an Engine.
type Option func(*Engine)

// WithClock sets the engine's clock (default: the system's).
func WithClock(c Clock) Option { return func(e *Engine) { e.clock = c } }

// WithProber sets the prober used for subnets with ping checks.
func WithProber(p Prober) Option { return func(e *Engine) { e.prober = p } }

// WithObserver sets who hears of declines, conflicts, exhaustion and
// refused clients.
func WithObserver(o Observer) Option { return func(e *Engine) { e.observer = o } }

// WithSettings sets the engine's settings.
func WithSettings(s Settings) Option { return func(e *Engine) { e.set = s } }

// WithIdentity names this replica's run: the Spare bindings stored under
// it are this engine's to hand out while the Store takes no writes.
func WithIdentity(id string) Option { return func(e *Engine) { e.identity = id } }

// New returns an Engine that persists bindings to store. It answers
// nothing until it has a snapshot (SetSnapshot) and its bindings
// (SetLoaded, or Restore).
func New(store lease.Store, opts ...Option) *Engine {
	e := &Engine{store: store, clock: SystemClock{}, observer: NopObserver{}}
	for _, o := range opts {
		o(e)
	}
	e.set = e.set.withDefaults()
	e.alloc = alloc.New(e.set.OfferHold, e.observer.RecordUnreadable)
	e.alloc.SetIdentity(e.identity)
	e.clients = limit.New(*e.set.ClientRate, limiterKeys)
	e.links = limit.New(*e.set.LinkRate, limiterKeys)
	return e
}

// SetSnapshot makes s the configuration the engine serves from. It
// replaces the previous one atomically; bindings are kept.
func (e *Engine) SetSnapshot(s *config.Snapshot) {
	e.alloc.SetSnapshot(s)
	e.snap.Store(s)
}

// Restore feeds every binding s lists to e's allocator and marks e
// loaded, for a Store that lists (the memory store); the Lease store's
// bindings reach the allocator through the lease watcher instead.
func Restore(ctx context.Context, e *Engine, s lease.Store) error {
	bs, err := s.List(ctx)
	if err != nil {
		return fmt.Errorf("listing bindings: %w", err)
	}
	e.alloc.Load(bs)
	e.SetLoaded()
	return nil
}

// Snapshot returns the configuration the engine serves; nil before the
// first SetSnapshot.
func (e *Engine) Snapshot() *config.Snapshot { return e.snap.Load() }

// SetLoaded marks the engine loaded, once every stored binding has reached
// its allocator; it is the one way an engine becomes ready (SetPartial
// aside, which serves degraded). It ends partial service.
func (e *Engine) SetLoaded() {
	e.ready.Store(true)
	e.partial.Store(false)
}

// SetPartial lets the engine serve before it has every stored binding, as
// when the Store cannot list them all: before it decides on an address it
// knows nothing of, it asks the Store for that address (Store.Lookup), and
// every new binding is an atomic claim, so no address goes to two
// clients. SetLoaded ends it.
func (e *Engine) SetPartial() {
	if !e.ready.Load() {
		e.partial.Store(true)
	}
}

// Partial reports whether the engine serves without every stored binding.
func (e *Engine) Partial() bool { return e.partial.Load() }

// Ready reports whether the engine has its bindings, or serves partially,
// and has a snapshot.
func (e *Engine) Ready() bool { return (e.ready.Load() || e.partial.Load()) && e.snap.Load() != nil }

// Allocator returns the engine's allocator, for status and revocations.
func (e *Engine) Allocator() *alloc.Allocator { return e.alloc }

// Meta is what the transport knows of a message besides its bytes.
type Meta struct {
	// Interface is the name of the interface the message arrived on.
	Interface string
	// LocalAddr is the server's address on that interface; it is the
	// server identifier of subnets that configure none.
	LocalAddr netip.Addr
	// Broadcast says the message was sent to a broadcast address.
	Broadcast bool
	// Source is the IP source address of the message: the client's
	// address, its relay's, or 0.0.0.0 from a client without one.
	Source netip.Addr
}

// Handle answers one client message. It returns the reply and where to
// send it, or a nil Reply for silence; Result says what happened either
// way. It never panics on a malformed message.
func (e *Engine) Handle(ctx context.Context, m *dhcpv4.DHCPv4, in Meta) (*Reply, Result) {
	if !e.Ready() {
		return nil, drop(m, ReasonNotReady)
	}
	t := txnPool.Get().(*txn)
	defer t.done()
	if why := parse(&t.req, m); why != "" {
		return nil, drop(m, why)
	}
	t.e, t.ctx, t.r, t.in, t.now, t.snap, t.share = e, ctx, &t.req, in, e.clock.Now(), e.snap.Load(), e.share.Load()
	if !e.clients.Allow(string(t.r.client), t.now) {
		return nil, t.limited(ReasonClientRate, "client "+clientName(t.r))
	}
	switch t.r.mt {
	case dhcpv4.MessageTypeDiscover:
		return t.discover()
	case dhcpv4.MessageTypeRequest:
		return t.request()
	case dhcpv4.MessageTypeDecline:
		return t.decline()
	case dhcpv4.MessageTypeRelease:
		return t.release()
	case dhcpv4.MessageTypeInform:
		return t.inform()
	}
	return nil, t.silent(ReasonUnsupportedType)
}
