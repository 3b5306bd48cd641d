package wire

import (
	"bytes"
	"net"
	"slices"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

func reply(opts map[uint8][]byte) *dhcpv4.DHCPv4 {
	m, _ := dhcpv4.New(dhcpv4.WithHwAddr(net.HardwareAddr{0, 0x16, 0x41, 0xe0, 0xf9, 0x1c}),
		dhcpv4.WithTransactionID(dhcpv4.TransactionID{0x18, 0xaa, 0x75, 0x39}))
	m.OpCode = dhcpv4.OpcodeBootReply
	m.YourIPAddr = net.IPv4(10, 0, 0, 10)
	m.Options = dhcpv4.Options{}
	for c, v := range opts {
		m.Options[c] = v
	}
	return m
}

// optionCodes walks an options area and returns the codes in order.
func optionCodes(b []byte) []uint8 {
	var codes []uint8
	for i := 0; i < len(b); {
		switch b[i] {
		case 0:
			i++
			continue
		case 255:
			return codes
		}
		codes = append(codes, b[i])
		i += 2 + int(b[i+1])
	}
	return codes
}

func TestMarshalOrderAndRoundTrip(t *testing.T) {
	m := reply(map[uint8][]byte{53: {2}, 54: {10, 0, 0, 2}, 1: {255, 255, 255, 0}, 3: {10, 0, 0, 1}, 6: {10, 0, 0, 2},
		15: []byte("corp.example"), 82: {1, 3, 'a', 'b', 'c'}, 61: {1, 0, 0x16, 0x41, 0xe0, 0xf9, 0x1c}})
	order := []uint8{53, 54, 6, 3, 1, 15, 82, 61}
	b, dropped := Marshal(nil, m, order, 548)
	if len(dropped) != 0 {
		t.Fatalf("dropped %v", dropped)
	}
	if got, want := optionCodes(b[240:]), []uint8{53, 54, 6, 3, 1, 15, 61, 82}; !slices.Equal(got, want) {
		t.Errorf("options written %v, want %v (82 last)", got, want)
	}
	if len(b) < 300 {
		t.Errorf("%d octets, want at least the BOOTP 300", len(b))
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for c, v := range m.Options {
		if !bytes.Equal(back.Options[c], v) {
			t.Errorf("option %d = %v after a round trip, want %v", c, back.Options[c], v)
		}
	}
	if back.TransactionID != m.TransactionID || !back.YourIPAddr.Equal(m.YourIPAddr) || back.ClientHWAddr.String() != m.ClientHWAddr.String() {
		t.Errorf("header changed: %v", back.Summary())
	}
}

func TestMarshalLongOption(t *testing.T) {
	long := bytes.Repeat([]byte{7}, 600)
	m := reply(map[uint8][]byte{53: {5}, 119: long})
	b, dropped := Marshal(nil, m, []uint8{53, 119}, 1472)
	if len(dropped) != 0 {
		t.Fatalf("dropped %v", dropped)
	}
	if got := optionCodes(b[240:]); !slices.Equal(got, []uint8{53, 119, 119, 119}) {
		t.Errorf("codes %v, want 119 split in three (RFC 3396)", got)
	}
	back, err := Parse(b)
	if err != nil || !bytes.Equal(back.Options[119], long) {
		t.Errorf("long option did not concatenate back: %d octets, %v", len(back.Options[119]), err)
	}
}

func TestMarshalOverload(t *testing.T) {
	opts := map[uint8][]byte{53: {5}, 54: {10, 0, 0, 2}, 82: {1, 2, 'p', '1'}}
	order := []uint8{53, 54}
	for c := uint8(200); c < 210; c++ { // 10 options of 40 octets: 6 fit the options field, 3 file, 1 sname
		opts[c] = bytes.Repeat([]byte{c}, 40)
		order = append(order, c)
	}
	order = append(order, 82)
	b, dropped := Marshal(nil, reply(opts), order, 548)
	if len(b) > 548 {
		t.Errorf("%d octets, more than the 548 allowed", len(b))
	}
	if len(dropped) != 0 {
		t.Errorf("dropped %v although file and sname were free", dropped)
	}
	main := optionCodes(b[240:])
	if !slices.Contains(main, 52) || main[len(main)-1] != 82 {
		t.Errorf("options field %v, want option 52 and 82 last", main)
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for c, v := range opts {
		if !bytes.Equal(back.Options[c], v) {
			t.Errorf("option %d lost in overload", c)
		}
	}
	if back.BootFileName != "" || back.ServerHostName != "" {
		t.Errorf("overloaded fields read as names %q %q", back.BootFileName, back.ServerHostName)
	}
}

func TestMarshalOverloadKeepsBootFile(t *testing.T) {
	opts := map[uint8][]byte{53: {5}}
	order := []uint8{53}
	for c := uint8(200); c < 220; c++ {
		opts[c] = bytes.Repeat([]byte{c}, 40)
		order = append(order, c)
	}
	m := reply(opts)
	m.BootFileName = "pxelinux.0"
	b, dropped := Marshal(nil, m, order, 548)
	if len(b) > 548 || len(dropped) == 0 {
		t.Errorf("%d octets, dropped %v: want at most 548 and some dropped", len(b), dropped)
	}
	back, _ := Parse(b)
	if back.BootFileName != "pxelinux.0" {
		t.Errorf("file %q, want the boot file kept", back.BootFileName)
	}
	if dropped[0] != order[len(order)-len(dropped)] {
		t.Errorf("dropped %v, want the last in order", dropped)
	}
}

func TestParseRejects(t *testing.T) {
	good := reply(map[uint8][]byte{53: {1}}).ToBytes()
	badCookie := slices.Clone(good)
	badCookie[236] = 0
	truncated := slices.Clone(good[:250])
	truncated[240], truncated[241] = 12, 200 // option longer than the packet
	for name, b := range map[string][]byte{"empty": nil, "short": good[:100], "bad cookie": badCookie, "truncated option": truncated} {
		if _, err := Parse(b); err == nil {
			t.Errorf("%s: parsed, want an error", name)
		}
	}
}

// A client asks for large options before the mask, routers and DNS
// servers; not all fit a 576-octet message. The ones it cannot do without
// are kept and the large ones left out.
func TestMarshalKeepsEssentialOptions(t *testing.T) {
	opts := map[uint8][]byte{53: {5}, 54: {10, 0, 0, 2}, 51: {0, 0, 14, 16}, 58: {0, 0, 7, 8}, 59: {0, 0, 12, 78},
		1: {255, 255, 252, 0}, 3: {10, 0, 0, 1}, 6: bytes.Repeat([]byte{10, 0, 0, 2}, 8),
		15: []byte("a-rather-long-department-name.corp.example.example"), 61: {1, 0, 0x16, 0x41, 0xe0, 0xf9, 0x1c}}
	order := []uint8{53, 54, 51, 58, 59}
	for c := uint8(224); c < 228; c++ { // 4 options of 120 octets, asked for first
		opts[c] = bytes.Repeat([]byte{c}, 120)
		order = append(order, c)
	}
	order = append(order, 1, 3, 6, 15, 61)
	b, dropped := Marshal(nil, reply(opts), order, 548)
	if len(b) > 548 {
		t.Fatalf("%d octets, more than the 548 allowed", len(b))
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []uint8{53, 54, 51, 58, 59, 1, 3, 6, 15, 61} {
		if !bytes.Equal(back.Options[c], opts[c]) {
			t.Errorf("essential option %d lost (dropped %v)", c, dropped)
		}
	}
	if len(dropped) == 0 || slices.ContainsFunc(dropped, func(c uint8) bool { return c < 224 }) {
		t.Errorf("dropped %v, want only some of the large options 224-227", dropped)
	}
}

// A fixed header that cannot be valid (RFC 2131 §2) is refused with
// ErrBadHeader, and Fault names each kind of refusal.
func TestParseRefusesBadHeaders(t *testing.T) {
	good := reply(map[uint8][]byte{53: {1}})
	good.OpCode = dhcpv4.OpcodeBootRequest
	tests := []struct {
		name        string
		htype, hlen byte
		fault       string
	}{
		{"ethernet", 1, 6, ""},
		{"hlen over 16", 1, 17, "badHeader"},
		{"hlen 255", 200, 255, "badHeader"},
		{"ethernet with 8 octets", 1, 8, "badHeader"},
		{"ethernet without one", 1, 0, "badHeader"},
		{"IEEE 802 with 6", 6, 6, ""},
		{"InfiniBand with none", 32, 0, ""},
		{"InfiniBand with 6", 32, 6, "badHeader"},
		{"unknown type, 16 octets", 99, 16, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := good.ToBytes()
			b[1], b[2] = tt.htype, tt.hlen
			_, err := Parse(b)
			switch {
			case tt.fault == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.fault != "" && (err == nil || Fault(err) != tt.fault):
				t.Errorf("err %v (fault %q), want fault %s", err, Fault(err), tt.fault)
			}
		})
	}
	short := good.ToBytes()[:100]
	badCookie := good.ToBytes()
	badCookie[236] = 0
	truncated := append(good.ToBytes()[:240:240], 12, 200, 'x')
	for want, b := range map[string][]byte{"truncated": short, "badCookie": badCookie, "badOptions": truncated} {
		if _, err := Parse(b); err == nil || Fault(err) != want {
			t.Errorf("%s: err %v, fault %q", want, err, Fault(err))
		}
	}
}
