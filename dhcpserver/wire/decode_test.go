package wire

import (
	"errors"
	"reflect"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// FuzzDecodeMatchesLibrary checks that decode reads every input exactly as
// dhcpv4.FromBytes does: the same message, or an error for both.
func FuzzDecodeMatchesLibrary(f *testing.F) {
	for _, seed := range decodeSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want, wantErr := dhcpv4.FromBytes(b)
		got, err := decode(b)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("decode error %v, library error %v", err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decode:\n%s\nlibrary:\n%s", got.Summary(), want.Summary())
		}
	})
}

func decodeSeeds(t testing.TB) [][]byte {
	d, err := dhcpv4.NewDiscovery([]byte{2, 0, 0, 0, 0, 1},
		dhcpv4.WithOption(dhcpv4.OptHostName("pxe-01")),
		dhcpv4.WithOption(dhcpv4.OptClientIdentifier([]byte{1, 2, 0, 0, 0, 0, 1})))
	if err != nil {
		t.Fatal(err)
	}
	full := d.ToBytes()
	head := full[: headerLen+cookieLen : headerLen+cookieLen]
	// The same option twice (concatenated), an empty option, pads.
	twice := append(head, 53, 1, 1, 12, 6, 'p', 'x', 'e', '-', '0', '1', 0, 0, 77, 0, 12, 3, 'a', 'b', 'c', 255, 0, 0)
	noEnd := twice[:len(twice)-3]
	truncated := append(head, 12, 6, 'p', 'x')
	return [][]byte{full, twice, noEnd, truncated, head, full[:headerLen]}
}

// TestDecode checks the fields and the errors one by one.
func TestDecode(t *testing.T) {
	seeds := decodeSeeds(t)
	m, err := decode(seeds[1])
	if err != nil {
		t.Fatal(err)
	}
	if got := string(m.Options.Get(dhcpv4.OptionHostName)); got != "pxe-01abc" {
		t.Errorf("host name %q, want the repeated option concatenated: pxe-01abc", got)
	}
	if v, ok := m.Options[77]; !ok || len(v) != 0 {
		t.Errorf("empty option 77: %v %v, want present and empty", v, ok)
	}
	if m.ClientHWAddr.String() != "02:00:00:00:00:01" || m.OpCode != dhcpv4.OpcodeBootRequest {
		t.Errorf("header: chaddr %s op %v", m.ClientHWAddr, m.OpCode)
	}
	if _, err := decode(seeds[2]); err == nil {
		t.Error("no End option: want an error")
	}
	if _, err := decode(seeds[3]); err == nil {
		t.Error("an option running past the end: want an error")
	}
	if m, err := decode(seeds[4]); err != nil || len(m.Options) != 0 {
		t.Errorf("no options at all: %v, %v; want a message without options", m, err)
	}
	if _, err := decode(seeds[5]); !errors.Is(err, ErrTooShort) {
		t.Errorf("header only: %v, want ErrTooShort", err)
	}
	bad := append([]byte(nil), seeds[0]...)
	bad[headerLen] = 0
	if _, err := decode(bad); !errors.Is(err, ErrBadCookie) {
		t.Errorf("bad cookie: %v, want ErrBadCookie", err)
	}
	// The values must not alias the input buffer, which the transport reuses.
	in := append([]byte(nil), seeds[0]...)
	m, _ = decode(in)
	for i := range in {
		in[i] = 0xee
	}
	if got := string(m.Options.Get(dhcpv4.OptionHostName)); got != "pxe-01" {
		t.Errorf("host name after the buffer was reused: %q", got)
	}
}

// FuzzDecoderReuseMatchesLibrary checks that a Decoder reused for a second
// message reads it exactly as dhcpv4.FromBytes does: nothing of the first
// (options, hardware address, option values) shows through.
func FuzzDecoderReuseMatchesLibrary(f *testing.F) {
	seeds := decodeSeeds(f)
	for _, a := range seeds {
		for _, b := range seeds {
			f.Add(a, b)
		}
	}
	f.Fuzz(func(t *testing.T, first, second []byte) {
		var d Decoder
		_, _ = d.decode(first)
		want, wantErr := dhcpv4.FromBytes(second)
		got, err := d.decode(second)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("decode error %v, library error %v", err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("after another message, decode:\n%s\nlibrary:\n%s", got.Summary(), want.Summary())
		}
	})
}
