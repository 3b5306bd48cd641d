// Package loadgen simulates many DHCP clients behind one relay agent: every
// message leaves from the relay's address and port 67 with giaddr set, to
// every server the relay knows (as dhcrelay forwards to each server it is
// given), and every reply comes back there (RFC 2131 §4.1). Clients set
// secs to the seconds since they began, as real clients do. Clients run concurrently;
// each retries until it has an ACK or its time is up. It keeps every ACK
// it received, to check afterwards that no address went to two clients.
package loadgen

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// Relay is a simulated relay agent and the clients behind it.
type Relay struct {
	conn    *net.UDPConn
	servers []*net.UDPAddr
	giaddr  netip.Addr

	mu      sync.Mutex
	waiting map[dhcpv4.TransactionID]chan *dhcpv4.DHCPv4
	acks    []Ack
	done    chan struct{}
}

// Ack is one DHCPACK a client received.
type Ack struct {
	Client net.HardwareAddr
	Addr   netip.Addr
	At     time.Time
}

// NewRelay listens on relay (an address:67 of this machine) and sends to
// every one of servers.
func NewRelay(relay netip.AddrPort, servers ...netip.AddrPort) (*Relay, error) {
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(relay))
	if err != nil {
		return nil, err
	}
	_ = conn.SetReadBuffer(4 << 20)
	r := &Relay{conn: conn, giaddr: relay.Addr(), waiting: map[dhcpv4.TransactionID]chan *dhcpv4.DHCPv4{}, done: make(chan struct{})}
	for _, s := range servers {
		r.servers = append(r.servers, net.UDPAddrFromAddrPort(s))
	}
	go r.read()
	return r, nil
}

// Close stops the relay.
func (r *Relay) Close() error {
	err := r.conn.Close()
	<-r.done
	return err
}

func (r *Relay) read() {
	defer close(r.done)
	buf := make([]byte, 1500)
	for {
		n, _, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		m, err := dhcpv4.FromBytes(buf[:n])
		if err != nil {
			continue
		}
		r.mu.Lock()
		ch := r.waiting[m.TransactionID]
		r.mu.Unlock()
		if ch != nil {
			select {
			case ch <- m:
			default:
			}
		}
	}
}

// exchange sends m to every server and waits up to wait for a reply of
// one of the types.
func (r *Relay) exchange(ctx context.Context, m *dhcpv4.DHCPv4, wait time.Duration, types ...dhcpv4.MessageType) (*dhcpv4.DHCPv4, error) {
	return r.exchangeWith(ctx, m, wait, r.servers, types...)
}

// exchangeWith sends m to servers and waits up to wait for a reply of one
// of the types.
func (r *Relay) exchangeWith(ctx context.Context, m *dhcpv4.DHCPv4, wait time.Duration, servers []*net.UDPAddr,
	types ...dhcpv4.MessageType) (*dhcpv4.DHCPv4, error) {
	ch := make(chan *dhcpv4.DHCPv4, 4)
	r.mu.Lock()
	r.waiting[m.TransactionID] = ch
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.waiting, m.TransactionID)
		r.mu.Unlock()
	}()
	b := m.ToBytes()
	for _, server := range servers {
		if _, err := r.conn.WriteToUDP(b, server); err != nil {
			return nil, err
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
			return nil, errTimeout
		case reply := <-ch:
			for _, ty := range types {
				if reply.MessageType() == ty {
					return reply, nil
				}
			}
		}
	}
}

var (
	errTimeout = errors.New("no reply")
	errNak     = errors.New("NAK")
)

// Client returns a client behind the relay with hardware address hw.
func (r *Relay) Client(hw net.HardwareAddr) *Client { return &Client{r: r, hw: hw} }

// Client is one simulated client.
type Client struct {
	r     *Relay
	hw    net.HardwareAddr
	ack   *dhcpv4.DHCPv4
	ackAt time.Time
	naks  atomic.Int32
	// Hostname, when set, is sent (option 12) in every DISCOVER and
	// REQUEST of DORA, as real clients send theirs.
	Hostname string
}

// HW returns the client's hardware address.
func (c *Client) HW() net.HardwareAddr { return c.hw }

// Addr returns the address of the client's last ACK.
func (c *Client) Addr() netip.Addr {
	if c.ack == nil {
		return netip.Addr{}
	}
	a, _ := netip.AddrFromSlice(c.ack.YourIPAddr.To4())
	return a
}

// ACK returns the client's last ACK.
func (c *Client) ACK() *dhcpv4.DHCPv4 { return c.ack }

func (c *Client) record(ack *dhcpv4.DHCPv4) {
	c.ack, c.ackAt = ack, time.Now()
	a, _ := netip.AddrFromSlice(ack.YourIPAddr.To4())
	c.r.mu.Lock()
	c.r.acks = append(c.r.acks, Ack{Client: c.hw, Addr: a, At: time.Now()})
	c.r.mu.Unlock()
}

// DORA runs DISCOVER, OFFER, REQUEST, ACK, retrying every wait until it has
// an ACK or ctx ends.
func (c *Client) DORA(ctx context.Context, wait time.Duration) error {
	return c.DORAWith(ctx, wait)
}

// DORAWith is DORA with extra modifiers on the DISCOVER.
func (c *Client) DORAWith(ctx context.Context, wait time.Duration, mods ...dhcpv4.Modifier) error {
	began := time.Now()
	for ctx.Err() == nil {
		err := c.dora(ctx, wait, append(mods, secsSince(began))...)
		if err == nil {
			return nil
		}
		if errors.Is(err, errNak) {
			time.Sleep(100 * time.Millisecond) // as real clients do before they start over
		}
	}
	return ctx.Err()
}

func (c *Client) dora(ctx context.Context, wait time.Duration, mods ...dhcpv4.Modifier) error {
	if c.Hostname != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptHostName(c.Hostname)))
	}
	d, err := dhcpv4.NewDiscovery(c.hw, append([]dhcpv4.Modifier{dhcpv4.WithRelay(c.r.giaddr.AsSlice())}, mods...)...)
	if err != nil {
		return err
	}
	offer, err := c.r.exchange(ctx, d, wait, dhcpv4.MessageTypeOffer)
	if err != nil {
		return err
	}
	reqMods := []dhcpv4.Modifier{dhcpv4.WithRelay(c.r.giaddr.AsSlice())}
	if c.Hostname != "" {
		reqMods = append(reqMods, dhcpv4.WithOption(dhcpv4.OptHostName(c.Hostname)))
	}
	req, err := dhcpv4.NewRequestFromOffer(offer, reqMods...)
	if err != nil {
		return err
	}
	req.NumSeconds = d.NumSeconds
	reply, err := c.r.exchange(ctx, req, wait, dhcpv4.MessageTypeAck, dhcpv4.MessageTypeNak)
	if err != nil {
		return err
	}
	if reply.MessageType() != dhcpv4.MessageTypeAck {
		c.naks.Add(1)
		return errNak
	}
	c.record(reply)
	return nil
}

// NAKs returns how many NAKs the client got in DORA and in Live.
func (c *Client) NAKs() int { return int(c.naks.Load()) }

// secsSince sets secs to the whole seconds since began (RFC 2131 §2).
func secsSince(began time.Time) dhcpv4.Modifier {
	return func(m *dhcpv4.DHCPv4) { m.NumSeconds = uint16(min(time.Since(began)/time.Second, 65535)) }
}

// Outcome is how one DORA attempt ended.
type Outcome string

// Outcomes of Try.
const (
	Acked     Outcome = "ack"
	Naked     Outcome = "nak"
	NoOffer   Outcome = "noOffer"
	NoAnswer  Outcome = "noAnswer"
	SendError Outcome = "sendError"
)

// Try runs one DISCOVER-OFFER-REQUEST-ACK attempt, without retries.
func (c *Client) Try(ctx context.Context, wait time.Duration) Outcome {
	d, err := dhcpv4.NewDiscovery(c.hw, dhcpv4.WithRelay(c.r.giaddr.AsSlice()))
	if err != nil {
		return SendError
	}
	offer, err := c.r.exchange(ctx, d, wait, dhcpv4.MessageTypeOffer)
	if err != nil {
		return NoOffer
	}
	req, err := dhcpv4.NewRequestFromOffer(offer, dhcpv4.WithRelay(c.r.giaddr.AsSlice()))
	if err != nil {
		return SendError
	}
	reply, err := c.r.exchange(ctx, req, wait, dhcpv4.MessageTypeAck, dhcpv4.MessageTypeNak)
	switch {
	case err != nil:
		return NoAnswer
	case reply.MessageType() == dhcpv4.MessageTypeNak:
		return Naked
	}
	c.record(reply)
	return Acked
}

// Renew sends one renewal (RENEWING: ciaddr set, to the server) and
// returns the reply type, or an error on no reply within wait.
func (c *Client) Renew(ctx context.Context, wait time.Duration) (dhcpv4.MessageType, error) {
	return c.RenewWith(ctx, wait)
}

// RenewWith is Renew with the request changed by mods.
func (c *Client) RenewWith(ctx context.Context, wait time.Duration, mods ...dhcpv4.Modifier) (dhcpv4.MessageType, error) {
	m, err := dhcpv4.New(append([]dhcpv4.Modifier{dhcpv4.WithHwAddr(c.hw), dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest),
		dhcpv4.WithClientIP(c.ack.YourIPAddr), dhcpv4.WithRelay(c.r.giaddr.AsSlice())}, mods...)...)
	if err != nil {
		return 0, err
	}
	reply, err := c.r.exchange(ctx, m, wait, dhcpv4.MessageTypeAck, dhcpv4.MessageTypeNak)
	if err != nil {
		return 0, err
	}
	if reply.MessageType() == dhcpv4.MessageTypeAck {
		c.record(reply)
	}
	return reply.MessageType(), nil
}

// Acks returns every ACK received so far.
func (r *Relay) Acks() []Ack {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Ack(nil), r.acks...)
}

// Clients returns n clients whose hardware addresses start with prefix.
func (r *Relay) Clients(n int, prefix byte) []*Client {
	out := make([]*Client, n)
	for i := range out {
		out[i] = r.Client(net.HardwareAddr{prefix, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)})
	}
	return out
}

// RunAll runs DORA for every client, at most parallel at a time, and
// returns how many were bound.
func RunAll(ctx context.Context, clients []*Client, parallel int, wait time.Duration) (ok int) {
	return each(clients, parallel, func(c *Client) bool { return c.DORA(ctx, wait) == nil })
}

// RenewAll renews every client once, at most parallel at a time, and
// returns how many renewals were ACKed.
func RenewAll(ctx context.Context, clients []*Client, parallel int, wait time.Duration) (acked int) {
	return each(clients, parallel, func(c *Client) bool {
		got, err := c.Renew(ctx, wait)
		return err == nil && got == dhcpv4.MessageTypeAck
	})
}

// each runs f for every client, at most parallel at a time, and counts
// the clients for which it returned true.
func each(clients []*Client, parallel int, f func(*Client) bool) int {
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var ok atomic.Int64
	for _, c := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if f(c) {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(ok.Load())
}
