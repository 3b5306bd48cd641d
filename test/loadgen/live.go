package loadgen

import (
	"context"
	"net"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// Held is one lease a client held: from the ACK that gave or renewed it
// until it ends.
type Held struct {
	Addr   netip.Addr
	Server netip.Addr // the server identifier of the ACK
	From   time.Time
	Until  time.Time
}

// Life is what a living client went through.
type Life struct {
	mu     sync.Mutex
	held   []Held
	client *Client
}

// Held returns every lease the client held, oldest first.
func (l *Life) Held() []Held {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Held(nil), l.held...)
}

// NAKs returns how many NAKs the client got.
func (l *Life) NAKs() int { return l.client.NAKs() }

// Client returns the client living this life.
func (l *Life) Client() *Client { return l.client }

// Current returns the lease the client holds at t, if any.
func (l *Life) Current(t time.Time) (Held, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.held) - 1; i >= 0; i-- {
		if h := l.held[i]; !h.From.After(t) && t.Before(h.Until) {
			return h, true
		}
	}
	return Held{}, false
}

// Gaps returns the stretches, after the client first bound and before
// end, in which it held no lease.
func (l *Life) Gaps(end time.Time) []time.Duration {
	hs := l.Held()
	sort.Slice(hs, func(i, j int) bool { return hs[i].From.Before(hs[j].From) })
	var gaps []time.Duration
	var covered time.Time
	for i, h := range hs {
		if i > 0 && h.From.After(covered) {
			gaps = append(gaps, h.From.Sub(covered))
		}
		if h.Until.After(covered) {
			covered = h.Until
		}
	}
	if len(hs) > 0 && end.After(covered) {
		gaps = append(gaps, end.Sub(covered))
	}
	return gaps
}

func (l *Life) add(h Held) {
	l.mu.Lock()
	l.held = append(l.held, h)
	l.mu.Unlock()
}

// Live runs the client as RFC 2131 §4.4.5 has one behave, until ctx
// ends: it binds (DORA, each try waiting wait); at T1 it renews with the
// server that bound it alone, as a client unicasts to it; from T2 it
// rebinds with every server, as a client broadcasts; when its lease ends
// or it gets a NAK it starts over. Every ACK is recorded in the Life it
// returns at once.
func (c *Client) Live(ctx context.Context, wait time.Duration) *Life {
	life := &Life{client: c}
	go func() {
		for ctx.Err() == nil {
			if c.DORA(ctx, wait) != nil {
				return
			}
			life.add(c.held(time.Now()))
			c.keep(ctx, life, wait)
		}
	}()
	return life
}

// keep renews and rebinds the client's lease until it ends, is NAKed or
// ctx ends.
func (c *Client) keep(ctx context.Context, life *Life, wait time.Duration) {
	for {
		got := c.ack
		at := c.ackAt
		lease := got.IPAddressLeaseTime(0)
		t1, t2, end := at.Add(got.IPAddressRenewalTime(lease/2)), at.Add(got.IPAddressRebindingTime(lease*7/8)), at.Add(lease)
		if !sleepUntil(ctx, t1) {
			return
		}
		began := time.Now()
		for {
			now := time.Now()
			if !now.Before(end) {
				return // the lease ended: start over
			}
			servers := c.r.servers
			if now.Before(t2) {
				servers = c.r.serverOf(got)
			}
			reply, err := c.request(ctx, servers, secsSince(began), min(wait, end.Sub(now)))
			switch {
			case ctx.Err() != nil:
				return
			case err == nil && reply.MessageType() == dhcpv4.MessageTypeNak:
				c.naks.Add(1)
				return
			case err == nil:
				c.record(reply)
				life.add(c.held(time.Now()))
			}
			if err == nil {
				break
			}
		}
	}
}

// request sends a REQUEST with ciaddr (RENEWING or REBINDING) to servers.
func (c *Client) request(ctx context.Context, servers []*net.UDPAddr, secs dhcpv4.Modifier, wait time.Duration) (*dhcpv4.DHCPv4, error) {
	m, err := dhcpv4.New(dhcpv4.WithHwAddr(c.hw), dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest),
		dhcpv4.WithClientIP(c.ack.YourIPAddr), dhcpv4.WithRelay(c.r.giaddr.AsSlice()), secs)
	if err != nil {
		return nil, err
	}
	return c.r.exchangeWith(ctx, m, wait, servers, dhcpv4.MessageTypeAck, dhcpv4.MessageTypeNak)
}

// held is the lease the client's last ACK gave, as of at.
func (c *Client) held(at time.Time) Held {
	sid, _ := netip.AddrFromSlice(c.ack.ServerIdentifier().To4())
	return Held{Addr: c.Addr(), Server: sid, From: at, Until: at.Add(c.ack.IPAddressLeaseTime(0))}
}

// serverOf returns the server whose identifier an ACK carries, as the
// only server to renew with; every server when it is none of them (a
// server identifier the servers share).
func (r *Relay) serverOf(ack *dhcpv4.DHCPv4) []*net.UDPAddr {
	sid := ack.ServerIdentifier().To4()
	for _, s := range r.servers {
		if s.IP.To4().Equal(sid) {
			return []*net.UDPAddr{s}
		}
	}
	return r.servers
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
