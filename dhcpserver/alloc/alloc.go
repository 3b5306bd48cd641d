package alloc

import (
	"errors"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/kubedhcp/kubedhcp/dhcpserver/balance"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Client identifies a client: its client identifier (option 61) when it
// sent one, else its hardware type and address.
type Client string

// ClientOf returns the Client of a client identifier and hardware address.
func ClientOf(clientID, hwaddr []byte) Client {
	if len(clientID) > 0 {
		return Client("i" + string(clientID))
	}
	return Client("h" + string(hwaddr))
}

// ClaimClient returns the Client of an address claim, an IPAM consumer
// known by its name; no DHCP client is ever this Client.
func ClaimClient(name string) Client { return Client("c" + name) }

// ClientOfBinding returns the Client a binding belongs to.
func ClientOfBinding(b *lease.Binding) Client {
	if b.State == lease.Claimed {
		return ClaimClient(b.Claim)
	}
	return ClientOf(b.ClientID, b.HWAddr)
}

// noClient is the Client of a binding that names none: a spare address,
// or one held out for probation.
var noClient = ClientOf(nil, nil)

// Errors of Claim.
var (
	// ErrHeld means another client holds, was offered, or is committing
	// the address, or it is in probation.
	ErrHeld = errors.New("address held by another client")
	// ErrBusy means a commit for the address is already in flight.
	ErrBusy = errors.New("a commit for the address is in flight")
)

// entry is what the allocator knows of one address. The last stored
// binding is kept as a lease record, read back only when a caller asks
// for it, with the state, expiry and version the hot path reads beside
// it: an entry is a third of the size it would be with a Binding in it,
// with a third of the pointers for the collector to follow.
type entry struct {
	subnet     string
	stored     bool
	state      lease.State // of the stored binding
	expires    time.Time   // of the stored binding
	version    string      // of the stored binding
	rec        []byte      // the stored binding, as a lease record
	owner      Client      // client of the stored binding
	granted    time.Time   // end of the lease the owner was told; zero if unknown
	offerTo    Client
	offerUntil time.Time
	pending    Client // a commit in flight for this client
	hw         string // hardware address of a stored binding of a client-ID client
	unsynced   bool   // bound here while the Store took no writes; not stored yet
}

type clientKey struct {
	subnet string
	client Client
}

type poolKey struct{ subnet, pool string }

// poolState walks a pool: next is the cursor over never-used addresses,
// freed the addresses given back behind it, others the addresses the
// cursor or the freed queue passed over because they are in another
// replica's part of the pool.
type poolState struct {
	pool   *config.Pool
	next   netip.Addr
	done   bool
	freed  queue
	others queue
}

// Allocator holds the bindings, offers and probation of every address the
// engine serves, and chooses addresses for clients.
type Allocator struct {
	mu       sync.Mutex
	hold     time.Duration
	snap     *config.Snapshot
	byAddr   map[netip.Addr]*entry
	byClient map[clientKey]netip.Addr
	offers   map[clientKey]netip.Addr
	pools    map[poolKey]*poolState
	exp      expiry
	// heldOut counts, per address, the keys HoldOut holds it out by;
	// outKeys is the address of each key.
	heldOut map[netip.Addr]int
	outKeys map[string]netip.Addr
	// byHW lists, per subnet and hardware address, the addresses stored
	// for clients that send a client identifier with that address.
	byHW map[clientKey][]netip.Addr
	// unreadable hears of a kept binding that does not read back.
	unreadable func(netip.Addr, error)
	// share is this replica's part of the addresses; nil: all of them.
	share *balance.Share
	// self is this replica's run (SetIdentity); spares are the addresses
	// stored as its Spare bindings.
	self   string
	spares map[netip.Addr]struct{}
	// unsynced are the addresses of bindings made while the Store took no
	// writes (FinishLocal), not stored since.
	unsynced map[netip.Addr]struct{}
	// others are, per client, addresses the client was stored at before
	// its current one (byClient): a client two replicas bound one after
	// the other holds both for a while (OtherBindings).
	others map[clientKey][]netip.Addr
}

// New returns an empty Allocator that holds offers for hold. unreadable,
// when set, hears of each kept binding that does not read back from its
// record (the allocator then keeps what it knows: state, expiry, version).
func New(hold time.Duration, unreadable func(netip.Addr, error)) *Allocator {
	return &Allocator{hold: hold, unreadable: unreadable, byAddr: map[netip.Addr]*entry{}, byClient: map[clientKey]netip.Addr{},
		offers: map[clientKey]netip.Addr{}, pools: map[poolKey]*poolState{},
		heldOut: map[netip.Addr]int{}, outKeys: map[string]netip.Addr{}, byHW: map[clientKey][]netip.Addr{},
		spares: map[netip.Addr]struct{}{}, unsynced: map[netip.Addr]struct{}{}, others: map[clientKey][]netip.Addr{}}
}

// SetSnapshot makes the allocator choose from the pools of s. Bindings are
// kept: a bound address that left every pool stays bound until it ends.
func (a *Allocator) SetSnapshot(s *config.Snapshot) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.snap = s
	a.pools = map[poolKey]*poolState{}
	for _, sn := range s.Subnets() {
		for _, p := range sn.Pools {
			ps := &poolState{pool: p}
			ps.next, ps.done = p.First()
			ps.done = !ps.done
			a.pools[poolKey{sn.Name, p.Name}] = ps
		}
	}
}

// SetShare makes the allocator offer new clients addresses of this
// replica's part of each pool first (balance.Share.OwnsAddr); nil: every
// address is its own.
func (a *Allocator) SetShare(s *balance.Share) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.share = s
}

// OfferedTo reports whether addr is offered to client c at now.
func (a *Allocator) OfferedTo(addr netip.Addr, c Client, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.byAddr[addr]
	return e != nil && e.offerTo == c && now.Before(e.offerUntil)
}

// Load adds stored bindings, as read from the Store at start.
func (a *Allocator) Load(bs []lease.Binding) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range bs {
		a.observe(bs[i])
	}
}

// Observe records a binding another writer stored, or that the Store
// reported while refusing a claim.
func (a *Allocator) Observe(b lease.Binding) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.observe(b)
}

func (a *Allocator) observe(b lease.Binding) {
	if !b.Addr.Is4() {
		return // not a binding of this allocator's
	}
	e := a.byAddr[b.Addr]
	if e == nil {
		e = &entry{subnet: b.Subnet}
		a.byAddr[b.Addr] = e
	}
	if e.stored && !newer(b.Version, e.version) {
		return
	}
	granted := time.Time{}
	if e.stored && e.owner == ClientOfBinding(&b) && !e.granted.IsZero() && !e.granted.After(b.Expires) {
		granted = e.granted
	}
	a.setBinding(e, b, granted)
}

// newer reports whether version v is newer than cur. Versions that are
// both numbers (etcd revisions, the memory store's counter) are ordered;
// others are newer whenever they differ.
func newer(v, cur string) bool {
	nv, err1 := strconv.ParseUint(v, 10, 64)
	nc, err2 := strconv.ParseUint(cur, 10, 64)
	if err1 == nil && err2 == nil {
		return nv > nc
	}
	return v != cur
}

// Deleted drops the binding of an address when the Store says it was
// deleted at version (a revocation, or the clean-up of an old binding): the
// address is free and its client has no binding. A binding newer than
// version is kept.
func (a *Allocator) Deleted(b lease.Binding) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.byAddr[b.Addr]
	if e == nil || e.subnet != b.Subnet || !e.stored || newer(e.version, b.Version) || e.pending != "" {
		return
	}
	a.forget(b.Subnet, b.Addr, e)
}

// setBinding records b as the stored binding of e, told to end at granted.
func (a *Allocator) setBinding(e *entry, b lease.Binding, granted time.Time) {
	if e.stored && e.owner != ClientOfBinding(&b) {
		if addr, ok := a.byClient[clientKey{e.subnet, e.owner}]; ok && addr == b.Addr {
			delete(a.byClient, clientKey{e.subnet, e.owner})
		}
	}
	// The same stored version is the same binding: a renewal that needs
	// no write keeps its record.
	if !e.stored || b.Version == "" || b.Version != e.version || b.State != e.state || e.unsynced {
		e.rec = lease.AppendRecord(nil, &b)
		a.indexHW(e, b)
	}
	// A binding made here and not yet stored stays so until the Store
	// returns a version of its own for it.
	if e.unsynced && b.Version != e.version {
		e.unsynced = false
		delete(a.unsynced, b.Addr)
	}
	e.stored, e.state, e.expires, e.version = true, b.State, b.Expires, b.Version
	e.owner, e.granted = ClientOfBinding(&b), granted
	e.subnet = b.Subnet
	if e.owner != noClient {
		ck := clientKey{b.Subnet, e.owner}
		if prev, ok := a.byClient[ck]; ok && prev != b.Addr {
			a.others[ck] = append(a.others[ck], prev)
		}
		a.byClient[ck] = b.Addr
	}
	a.indexSpare(b)
	if b.State == lease.Claimed {
		return // held until deleted: nothing to reap
	}
	end := b.Expires
	if !granted.IsZero() && granted.Before(end) {
		end = granted
	}
	a.exp.push(expItem{at: end.UnixNano(), addr: config.U32(b.Addr)})
}

// Forget drops the binding of an address, as when its Lease was deleted by
// hand: the address is free and its client has no binding.
func (a *Allocator) Forget(subnet string, addr netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.byAddr[addr]
	if e == nil || e.subnet != subnet {
		return
	}
	a.forget(subnet, addr, e)
}

func (a *Allocator) forget(subnet string, addr netip.Addr, e *entry) {
	a.unindexHW(e, addr)
	delete(a.spares, addr)
	delete(a.unsynced, addr)
	if e.stored {
		if cur, ok := a.byClient[clientKey{subnet, e.owner}]; ok && cur == addr {
			delete(a.byClient, clientKey{subnet, e.owner})
		}
		a.dropOther(clientKey{subnet, e.owner}, addr)
	}
	delete(a.byAddr, addr)
	a.free(subnet, addr)
}

// dropOther forgets addr among ck's earlier addresses.
func (a *Allocator) dropOther(ck clientKey, addr netip.Addr) {
	list := a.others[ck]
	for i, x := range list {
		if x == addr {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(a.others, ck)
	} else {
		a.others[ck] = list
	}
}

// Holding returns the address of the stored binding a client has in a
// subnet, whatever its state, that state, and the end of the lease the
// client was told (zero if unknown). It reads no record: the whole
// binding, when needed, comes with Claim.
func (a *Allocator) Holding(subnet string, c Client) (addr netip.Addr, state lease.State, granted time.Time, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	addr, ok = a.byClient[clientKey{subnet, c}]
	if !ok {
		return netip.Addr{}, 0, time.Time{}, false
	}
	e := a.byAddr[addr]
	if e == nil || !e.stored {
		return netip.Addr{}, 0, time.Time{}, false
	}
	return addr, e.state, e.granted, true
}

// StoredFor reports whether addr's stored binding is client c's, and not
// declined.
func (a *Allocator) StoredFor(addr netip.Addr, c Client) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.byAddr[addr]
	return e != nil && e.stored && e.owner == c && e.state != lease.Declined && e.state != lease.Spare
}

// At returns the stored binding of an address.
func (a *Allocator) At(addr netip.Addr) (lease.Binding, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e := a.byAddr[addr]; e != nil && e.stored {
		return a.binding(addr, e), true
	}
	return lease.Binding{}, false
}

// holder returns who holds e at now: a client, or "" with true for an
// address in probation; false when it is free.
func (e *entry) holder(now time.Time) (Client, bool) {
	// A stored, active binding comes first: an offer made before another
	// writer's binding was seen must not override it.
	switch {
	case e.pending != "":
		return e.pending, true
	case e.stored && e.state == lease.Claimed:
		return e.owner, true
	case e.stored && e.state == lease.Declined && now.Before(e.expires):
		return "", true
	case e.stored && e.state == lease.Bound && now.Before(e.end()):
		return e.owner, true
	case e.stored && e.state == lease.Spare && now.Before(e.expires):
		// A spare is its replica's; offered from it, the client's.
		if e.offerTo != "" && now.Before(e.offerUntil) {
			return e.offerTo, true
		}
		return "", true
	case e.offerTo != "" && now.Before(e.offerUntil):
		return e.offerTo, true
	}
	return "", false
}

// end is when the owner's lease ends: as told, when known.
func (e *entry) end() time.Time {
	if !e.granted.IsZero() && e.granted.Before(e.expires) {
		return e.granted
	}
	return e.expires
}

// binding reads back the stored binding of e at addr; the zero Binding
// when there is none.
func (a *Allocator) binding(addr netip.Addr, e *entry) lease.Binding {
	if !e.stored {
		return lease.Binding{}
	}
	b, err := lease.ReadRecord(e.rec)
	if err != nil { // setBinding wrote it, so never; keep what is known
		if a.unreadable != nil {
			a.unreadable(addr, err)
		}
		b = lease.Binding{Subnet: e.subnet, Addr: addr, State: e.state, Expires: e.expires}
	}
	b.Version = e.version
	return b
}

// availableTo reports whether client c may take addr at now: nobody
// holds it, or c does; an address held out (HoldOut) only its stored
// binding's client may keep.
func (a *Allocator) availableTo(addr netip.Addr, c Client, now time.Time) bool {
	if e := a.byAddr[addr]; e != nil {
		if h, held := e.holder(now); held {
			return h == c && h != ""
		}
	}
	return a.heldOut[addr] == 0
}

// HoldOut keeps addr from every client but the one whose stored binding
// holds it, for as long as key (the name of a Lease object that cannot be
// used as a binding) is not passed to EndHoldOut. Holding out by a key
// that holds out another address moves it.
func (a *Allocator) HoldOut(addr netip.Addr, key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if old, ok := a.outKeys[key]; ok {
		if old == addr {
			return
		}
		a.endHoldOut(key, old)
	}
	a.outKeys[key] = addr
	a.heldOut[addr]++
}

// EndHoldOut ends what HoldOut started for key.
func (a *Allocator) EndHoldOut(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if addr, ok := a.outKeys[key]; ok {
		a.endHoldOut(key, addr)
	}
}

func (a *Allocator) endHoldOut(key string, addr netip.Addr) {
	delete(a.outKeys, key)
	if a.heldOut[addr]--; a.heldOut[addr] <= 0 {
		delete(a.heldOut, addr)
		if e := a.byAddr[addr]; e == nil || !e.stored {
			a.freeAny(addr)
		}
	}
}

// freeAny puts addr back on the freed queue of whichever pool holds it.
func (a *Allocator) freeAny(addr netip.Addr) {
	if a.snap == nil {
		return
	}
	if sn := a.snap.SubnetForAddr(addr); sn != nil {
		a.free(sn.Name, addr)
	}
}

// Available reports whether client c may take addr at now.
func (a *Allocator) Available(addr netip.Addr, c Client, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reap(now)
	return a.availableTo(addr, c, now)
}

// free puts addr back on the freed queue of the pool that holds it.
func (a *Allocator) free(subnet string, addr netip.Addr) {
	if a.snap == nil {
		return
	}
	sn := a.snap.Subnet(subnet)
	if sn == nil {
		return
	}
	if p := sn.PoolFor(addr); p != nil {
		if ps := a.pools[poolKey{subnet, p.Name}]; ps != nil {
			ps.freed.push(config.U32(addr))
		}
	}
}

// reap frees the addresses whose offer, lease or probation ended by now.
func (a *Allocator) reap(now time.Time) {
	t := now.UnixNano()
	for {
		it, ok := a.exp.peek()
		if !ok || it.at > t {
			return
		}
		a.exp.pop()
		addr := config.Addr(it.addr)
		e := a.byAddr[addr]
		if e == nil {
			continue
		}
		if e.offerTo != "" && !now.Before(e.offerUntil) {
			a.clearOffer(addr, e)
		}
		if _, held := e.holder(now); held {
			continue
		}
		if !e.stored {
			delete(a.byAddr, addr)
		}
		a.free(e.subnet, addr)
	}
}

// clearOffer ends the offer hold of e at addr.
func (a *Allocator) clearOffer(addr netip.Addr, e *entry) {
	k := clientKey{e.subnet, e.offerTo}
	if cur, ok := a.offers[k]; ok && cur == addr {
		delete(a.offers, k)
	}
	e.offerTo, e.offerUntil = "", time.Time{}
}

// indexHW lists addr of b under b's hardware address when b's client
// sent a client identifier, so LeasesOfHW can count them.
func (a *Allocator) indexHW(e *entry, b lease.Binding) {
	hw := ""
	if len(b.ClientID) > 0 {
		hw = string(b.HWAddr)
	}
	if e.stored && e.hw == hw && e.subnet == b.Subnet {
		return
	}
	a.unindexHW(e, b.Addr)
	if hw == "" {
		return
	}
	e.hw = hw
	k := clientKey{b.Subnet, Client(hw)}
	a.byHW[k] = append(a.byHW[k], b.Addr)
}

func (a *Allocator) unindexHW(e *entry, addr netip.Addr) {
	if e.hw == "" {
		return
	}
	k := clientKey{e.subnet, Client(e.hw)}
	list := a.byHW[k]
	for i, x := range list {
		if x == addr {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(a.byHW, k)
	} else {
		a.byHW[k] = list
	}
	e.hw = ""
}

// LeasesOfHW counts the bindings in subnet, active at now, of clients
// other than c that share the hardware address hw: one client that sends
// a new client identifier with each request is many clients to the
// allocator, all behind one MAC.
func (a *Allocator) LeasesOfHW(subnet string, hw []byte, c Client, now time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	active := func(addr netip.Addr) bool {
		e := a.byAddr[addr]
		return e != nil && e.stored && e.owner != c && e.state == lease.Bound && now.Before(e.end())
	}
	n := 0
	for _, addr := range a.byHW[clientKey{subnet, Client(hw)}] {
		if active(addr) {
			n++
		}
	}
	if addr, ok := a.byClient[clientKey{subnet, ClientOf(nil, hw)}]; ok && active(addr) {
		n++
	}
	return n
}
