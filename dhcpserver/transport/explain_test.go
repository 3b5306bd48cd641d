package transport_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr/funcr"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
)

// lines collects what a funcr logger writes.
type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) add(prefix, args string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, args)
}

// find returns the first line holding every one of parts, or "".
func (l *lines) find(parts ...string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.all {
		if containsAll(line, parts) {
			return line
		}
	}
	return ""
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// At debug level every silence and NAK is logged with its reason, the
// message type, xid, client MAC, interface and relay.
func TestDebugLogExplainsSilencesAndNaks(t *testing.T) {
	var got lines
	startServerLogging(t, true, funcr.New(got.add, funcr.Options{Verbosity: 1}))

	// A relayed DISCOVER from a relay no subnet names: no answer.
	stranger := net.HardwareAddr{2, 0, 0, 0, 0, 0x21}
	d, _ := dhcpv4.NewDiscovery(stranger, dhcpv4.WithRelay(net.IPv4(192, 168, 7, 1)))
	conn, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(serverAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.Write(d.ToBytes()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return got.find(`"msg"="no answer"`, `"reason"="noSubnet"`, `"type"="DISCOVER"`,
			`"xid"="`+d.TransactionID.String()+`"`, `"mac"="02:00:00:00:00:21"`, `"relay"="192.168.7.1"`) != ""
	})

	// An INIT-REBOOT for another client's address on an authoritative
	// subnet, by a client with no binding: a NAK naming the address.
	a := client(t, net.HardwareAddr{2, 0, 0, 0, 0, 0x22})
	la, err := a.Request(ctx(t), viaRelay)
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	b := client(t, net.HardwareAddr{2, 0, 0, 0, 0, 0x23})
	req, _ := dhcpv4.New(dhcpv4.WithHwAddr(net.HardwareAddr{2, 0, 0, 0, 0, 0x23}), dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest),
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(la.ACK.YourIPAddr)), viaRelay)
	if _, err := b.SendAndRead(context.Background(), b.RemoteAddr(), req, nclient4.IsMessageType(dhcpv4.MessageTypeNak)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logged:\n%s", strings.Join(got.all, "\n"))
		}
	})
	waitFor(t, func() bool {
		return got.find(`"msg"="NAK"`, `"reason"="unknownLease"`, `"type"="REQUEST"`, `"xid"="`+req.TransactionID.String()+`"`,
			`"mac"="02:00:00:00:00:23"`, `"relay"="127.0.0.2"`, `"subnet"="lab"`, `"ip"="`+la.ACK.YourIPAddr.String()+`"`) != ""
	})
}
