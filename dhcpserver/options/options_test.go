package options

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestEncodeTyped(t *testing.T) {
	o := Options{
		Routers:            []netip.Addr{netip.MustParseAddr("10.0.0.1")},
		DNSServers:         []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")},
		DomainName:         "corp.example",
		DomainSearch:       []string{"eng.apple.com", "marketing.apple.com"},
		TimeOffset:         ptr(int32(-3600)),
		InterfaceMTU:       ptr(uint16(1500)),
		NetBIOSNodeType:    "H",
		BroadcastAddress:   netip.MustParseAddr("10.0.0.255"),
		ClasslessRoutes:    []Route{{netip.MustParsePrefix("10.17.0.0/16"), netip.MustParseAddr("10.0.0.1")}, {netip.MustParsePrefix("0.0.0.0/0"), netip.MustParseAddr("10.0.0.1")}},
		TFTPServerName:     "boot.example",
		BootFileName:       "pxelinux.0",
		NetBIOSNameServers: []netip.Addr{netip.MustParseAddr("10.0.0.4")},
		RootPath:           "/srv/root",
	}
	s, err := Encode(o)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		code uint8
		want []byte
	}{
		{CodeRouters, []byte{10, 0, 0, 1}},
		{CodeDNSServers, []byte{10, 0, 0, 2, 10, 0, 0, 3}},
		{CodeDomainName, []byte("corp.example")},
		// RFC 3397 §3's own example, with the pointer to "apple.com" at offset 4.
		{CodeDomainSearch, append(append([]byte("\x03eng\x05apple\x03com\x00"), "\x09marketing"...), 0xc0, 0x04)},
		{CodeTimeOffset, []byte{0xff, 0xff, 0xf1, 0xf0}},
		{CodeInterfaceMTU, []byte{0x05, 0xdc}},
		{CodeNetBIOSNodeType, []byte{0x08}},
		{CodeBroadcastAddress, []byte{10, 0, 0, 255}},
		// RFC 3442: 16 bits -> two octets of destination; 0 bits -> none.
		{CodeClasslessRoutes, []byte{16, 10, 17, 10, 0, 0, 1, 0, 10, 0, 0, 1}},
		{CodeTFTPServerName, []byte("boot.example")},
		{CodeBootFileName, []byte("pxelinux.0")},
		{CodeNetBIOSNameServers, []byte{10, 0, 0, 4}},
		{CodeRootPath, []byte("/srv/root")},
	}
	for _, tt := range tests {
		got, ok := s.Get(tt.code)
		if !ok || !bytes.Equal(got, tt.want) {
			t.Errorf("option %d = %v (set %v), want %v", tt.code, got, ok, tt.want)
		}
	}
	if s.Len() != len(tests) {
		t.Errorf("encoded %d options (%v), want %d: nothing unconfigured", s.Len(), s.Codes(), len(tests))
	}
}

func TestEncodeNothing(t *testing.T) {
	s, err := Encode(Options{})
	if err != nil || s.Len() != 0 {
		t.Fatalf("Encode(zero) = %v options, %v; want none", s.Codes(), err)
	}
}

func TestRoutesWidths(t *testing.T) {
	tests := []struct {
		dst  string
		want []byte
	}{
		{"0.0.0.0/0", []byte{0}},
		{"10.0.0.0/8", []byte{8, 10}},
		{"10.0.0.0/9", []byte{9, 10, 0}},
		{"10.17.0.0/24", []byte{24, 10, 17, 0}},
		{"10.17.0.0/25", []byte{25, 10, 17, 0, 0}},
		{"10.17.0.9/32", []byte{32, 10, 17, 0, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.dst, func(t *testing.T) {
			b, err := ClasslessRoutes([]Route{{netip.MustParsePrefix(tt.dst), netip.MustParseAddr("192.0.2.1")}})
			if err != nil {
				t.Fatal(err)
			}
			want := append(tt.want, 192, 0, 2, 1)
			if !bytes.Equal(b, want) {
				t.Errorf("got %v, want %v", b, want)
			}
		})
	}
}

func TestCustom(t *testing.T) {
	tests := []struct {
		typ, value string
		want       []byte
		wantErr    string
	}{
		{"ip", "10.30.0.5", []byte{10, 30, 0, 5}, ""},
		{"ip", "10.30.0.5, 10.0.0.1", nil, "want one address"},
		{"ipList", "10.0.0.1, 10.0.0.2", []byte{10, 0, 0, 1, 10, 0, 0, 2}, ""},
		{"ipList", "10.0.0.1, ::1", nil, `"::1" is not an IPv4 address`},
		{"uint8", "255", []byte{255}, ""},
		{"uint8", "256", nil, "want an integer from 0 to 255"},
		{"uint16", "1500", []byte{0x05, 0xdc}, ""},
		{"uint32", "4294967295", []byte{0xff, 0xff, 0xff, 0xff}, ""},
		{"int8", "-1", []byte{0xff}, ""},
		{"int8", "128", nil, "want an integer from -128 to 127"},
		{"int16", "-2", []byte{0xff, 0xfe}, ""},
		{"int32", "-3600", []byte{0xff, 0xff, 0xf1, 0xf0}, ""},
		{"bool", "true", []byte{1}, ""},
		{"bool", "false", []byte{0}, ""},
		{"bool", "yes", nil, "want true or false"},
		{"text", "hello", []byte("hello"), ""},
		{"hex", "00:0A:ff", []byte{0, 10, 255}, ""},
		{"hex", "0a:1", nil, "two hex digits"},
		{"domainList", "a.example, b.example", []byte("\x01a\x07example\x00\x01b\x07example\x00"), ""},
		{"routes", "10.1.0.0/16 10.0.0.1", []byte{16, 10, 1, 10, 0, 0, 1}, ""},
		{"routes", "10.1.0.0/16", nil, "destination/prefix gateway"},
		{"string", "x", nil, "unknown type"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.value, func(t *testing.T) {
			got, err := Custom{Code: 250, Type: tt.typ, Value: tt.value}.Encode()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "code 250") {
					t.Fatalf("err = %v, want one naming code 250 and %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestCustomRefusesServerOwnedCodes(t *testing.T) {
	for _, code := range []uint8{0, 50, 51, 52, 53, 54, 55, 57, 58, 59, 61, 82, 255} {
		if _, err := (Custom{Code: code, Type: "uint8", Value: "1"}).Encode(); err == nil {
			t.Errorf("code %d accepted, want refused", code)
		}
	}
}

func TestCustomReplacesTyped(t *testing.T) {
	s, err := Encode(Options{Routers: []netip.Addr{netip.MustParseAddr("10.0.0.1")},
		Custom: []Custom{{Code: CodeRouters, Type: "ip", Value: "10.0.0.254"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(CodeRouters); !bytes.Equal(got, []byte{10, 0, 0, 254}) {
		t.Errorf("routers = %v, want the custom value", got)
	}
}

func TestEncodeErrorsNameTheField(t *testing.T) {
	_, err := Encode(Options{DomainSearch: []string{"a..b"}, NetBIOSNodeType: "X",
		Custom: []Custom{{Code: 200, Type: "uint8", Value: "x"}}})
	for _, want := range []string{"domainSearch:", "netbiosNodeType:", "customOptions[0]: code 200"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to name %q", err, want)
		}
	}
}

func TestSetOver(t *testing.T) {
	base := Set{}.With(3, []byte{1}).With(6, []byte{2})
	top := Set{}.With(6, []byte{9})
	got := top.Over(base)
	if v, _ := got.Get(3); !bytes.Equal(v, []byte{1}) {
		t.Errorf("3 = %v, want the base value", v)
	}
	if v, _ := got.Get(6); !bytes.Equal(v, []byte{9}) {
		t.Errorf("6 = %v, want the override", v)
	}
	if v, _ := base.Get(6); !bytes.Equal(v, []byte{2}) {
		t.Errorf("base changed: 6 = %v", v)
	}
}
