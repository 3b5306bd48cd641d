package transport

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// Pinger probes addresses with ICMP echo requests (RFC 792) before they
// are offered. It implements engine.Prober. It needs CAP_NET_RAW.
type Pinger struct {
	conn    *icmp.PacketConn
	id      int
	seq     atomic.Uint32
	mu      sync.Mutex
	waiting map[echoKey]chan struct{}
	done    chan struct{}
}

type echoKey struct {
	addr netip.Addr
	seq  int
}

// NewPinger opens a raw ICMP socket and starts reading echo replies.
func NewPinger() (*Pinger, error) {
	conn, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		return nil, fmt.Errorf("opening an ICMP socket (needs CAP_NET_RAW): %w", err)
	}
	p := &Pinger{conn: conn, id: os.Getpid() & 0xffff, waiting: map[echoKey]chan struct{}{}, done: make(chan struct{})}
	go p.receive()
	return p, nil
}

// Close stops the pinger.
func (p *Pinger) Close() error {
	err := p.conn.Close()
	<-p.done
	return err
}

// Probe sends one echo request to addr and reports whether a reply came
// within timeout.
func (p *Pinger) Probe(ctx context.Context, addr netip.Addr, timeout time.Duration) (bool, error) {
	seq := int(p.seq.Add(1) & 0xffff)
	k := echoKey{addr, seq}
	ch := make(chan struct{})
	p.mu.Lock()
	p.waiting[k] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.waiting, k)
		p.mu.Unlock()
	}()
	msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: p.id, Seq: seq, Data: []byte("kubedhcp conflict probe")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return false, err
	}
	if _, err := p.conn.WriteTo(b, &net.IPAddr{IP: addr.AsSlice()}); err != nil {
		return false, fmt.Errorf("sending an echo request to %s: %w", addr, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ch:
		return true, nil
	case <-t.C:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (p *Pinger) receive() {
	defer close(p.done)
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		m, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
			continue
		}
		echo, ok := m.Body.(*icmp.Echo)
		if !ok || echo.ID != p.id {
			continue
		}
		ipa, ok := from.(*net.IPAddr)
		if !ok {
			continue
		}
		a, _ := netip.AddrFromSlice(ipa.IP.To4())
		p.mu.Lock()
		if ch, ok := p.waiting[echoKey{a, echo.Seq}]; ok {
			close(ch)
			delete(p.waiting, echoKey{a, echo.Seq})
		}
		p.mu.Unlock()
	}
}
