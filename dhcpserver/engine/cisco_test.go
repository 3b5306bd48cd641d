package engine

import (
	"bytes"
	"context"
	"net"
	"slices"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/wire"
)

// win7Discover is the Windows 7 DHCPDISCOVER of the classic Cisco IOS DHCP
// trace: xid 0x18aa7539, chaddr 00:16:41:e0:f9:1c, client identifier
// 01:00:16:41:e0:f9:1c, host name MyClientPC01, vendor class "MSFT 5.0",
// parameter request list 1,15,3,6,44,46,47,31,33,121,249,43.
func win7Discover() []byte {
	hw := net.HardwareAddr{0x00, 0x16, 0x41, 0xe0, 0xf9, 0x1c}
	m, err := dhcpv4.New(dhcpv4.WithHwAddr(hw), dhcpv4.WithTransactionID(dhcpv4.TransactionID{0x18, 0xaa, 0x75, 0x39}),
		dhcpv4.WithMessageType(dhcpv4.MessageTypeDiscover),
		dhcpv4.WithOption(dhcpv4.OptClientIdentifier([]byte{0x01, 0x00, 0x16, 0x41, 0xe0, 0xf9, 0x1c})),
		dhcpv4.WithOption(dhcpv4.OptHostName("MyClientPC01")),
		dhcpv4.WithOption(dhcpv4.OptClassIdentifier("MSFT 5.0")),
		dhcpv4.WithGeneric(dhcpv4.OptionParameterRequestList, []byte{1, 15, 3, 6, 44, 46, 47, 31, 33, 121, 249, 43}))
	if err != nil {
		panic(err)
	}
	return m.ToBytes()
}

// wireCodes lists the option codes of a marshalled message in order.
func wireCodes(b []byte) []uint8 {
	var codes []uint8
	for i := 240; i < len(b) && b[i] != 255; {
		if b[i] == 0 {
			i++
			continue
		}
		codes = append(codes, b[i])
		i += 2 + int(b[i+1])
	}
	return codes
}

func TestCiscoWindows7Discover(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	q, err := wire.Parse(win7Discover())
	if err != nil {
		t.Fatal(err)
	}
	r, res := h.e.Handle(context.Background(), q, eth1)
	if r == nil {
		t.Fatalf("silence: %+v", res)
	}
	b, dropped := wire.Marshal(nil, r.Msg, r.Order, r.MaxSize)
	if len(dropped) > 0 {
		t.Fatalf("dropped %v", dropped)
	}
	// The client's order (1, 15, 3, 6, 44, 46; 47, 31, 33, 121, 249, 43 are
	// not configured so not sent), after message type, server identifier
	// and lease times; the client identifier echoed last.
	if got, want := wireCodes(b), []uint8{53, 54, 51, 58, 59, 1, 15, 3, 6, 44, 46, 61}; !slices.Equal(got, want) {
		t.Errorf("OFFER options %v, want %v", got, want)
	}
	m, err := wire.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	want := map[dhcpv4.OptionCode][]byte{
		dhcpv4.OptionDHCPMessageType:            {2},
		dhcpv4.OptionServerIdentifier:           {10, 0, 0, 2},
		dhcpv4.OptionIPAddressLeaseTime:         {0, 0, 0x02, 0x58}, // 600 s
		dhcpv4.OptionRenewTimeValue:             {0, 0, 0x01, 0x2c}, // 300 s
		dhcpv4.OptionRebindingTimeValue:         {0, 0, 0x02, 0x0d}, // 525 s
		dhcpv4.OptionSubnetMask:                 {255, 255, 255, 0},
		dhcpv4.OptionDomainName:                 []byte("corp.example"),
		dhcpv4.OptionRouter:                     {10, 0, 0, 1},
		dhcpv4.OptionDomainNameServer:           {10, 0, 0, 2},
		dhcpv4.OptionNetBIOSOverTCPIPNameServer: {10, 0, 0, 2},
		dhcpv4.OptionNetBIOSOverTCPIPNodeType:   {0x08}, // h-node
		dhcpv4.OptionClientIdentifier:           {0x01, 0x00, 0x16, 0x41, 0xe0, 0xf9, 0x1c},
	}
	for c, v := range want {
		if got := m.Options.Get(c); !bytes.Equal(got, v) {
			t.Errorf("%s = %v, want %v", c, got, v)
		}
	}
	if m.TransactionID != (dhcpv4.TransactionID{0x18, 0xaa, 0x75, 0x39}) || m.ClientHWAddr.String() != "00:16:41:e0:f9:1c" ||
		!m.YourIPAddr.Equal(net.IPv4(10, 0, 0, 10)) || m.OpCode != dhcpv4.OpcodeBootReply {
		t.Errorf("header: %s", m.Summary())
	}
}
