package lease

import (
	"net"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

func TestRecordRoundTrip(t *testing.T) {
	at := time.Unix(1_700_000_000, 123_000_000)
	for name, b := range map[string]Binding{
		"empty": {},
		"every field": {Subnet: "lan", Addr: netip.MustParseAddr("10.0.0.7"), HWAddr: net.HardwareAddr{2, 0, 0, 0, 0, 7},
			ClientID: []byte{1, 2, 0, 0, 0, 0, 7}, Hostname: "node-7", State: Declined, Start: at, Renewed: at.Add(time.Minute),
			Expires: at.Add(time.Hour).UTC(), Pool: "p", Reservation: "r", Relay: netip.MustParseAddr("10.0.0.1"),
			CircuitID: []byte("eth0:7"), RemoteID: []byte{9}, VendorClass: "PXEClient:Arch:00007", UserClass: "iPXE",
			ClientArch: 7, HasArch: true},
		"empty but not nil": {HWAddr: net.HardwareAddr{}, ClientID: []byte{}, State: Bound},
		"spare":             {Subnet: "lan", Addr: netip.MustParseAddr("10.0.0.8"), State: Spare, Expires: at, Pool: "p", Replica: "kubedhcp-7d9f-x_ab12cd34"},
		"claimed":           {Subnet: "lan", Addr: netip.MustParseAddr("10.0.0.9"), State: Claimed, Start: at, Pool: "p", Claim: "machine-0-ip"},
		"fixed zone":        {Start: at.In(time.FixedZone("x", 5400)), Addr: netip.MustParseAddr("2001:db8::1")},
	} {
		rec := AppendRecord(nil, &b)
		if len(rec) > recordLen(&b) {
			t.Errorf("%s: record of %d octets, more than recordLen's %d: AppendRecord reallocates", name, len(rec), recordLen(&b))
		}
		got, err := ReadRecord(rec)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		// A time keeps its instant and offset, not its monotonic reading
		// or zone name.
		for _, p := range [][2]*time.Time{{&got.Start, &b.Start}, {&got.Renewed, &b.Renewed}, {&got.Expires, &b.Expires}} {
			_, off1 := p[0].Zone()
			_, off2 := p[1].Zone()
			if !p[0].Equal(*p[1]) || off1 != off2 {
				t.Errorf("%s: time %v read back as %v", name, *p[1], *p[0])
			}
			*p[0] = *p[1]
		}
		if !reflect.DeepEqual(got, b) {
			t.Errorf("%s: read back\n%+v\nwant\n%+v", name, got, b)
		}
	}
}

func TestRecordCorrupt(t *testing.T) {
	full := AppendRecord(nil, &Binding{Subnet: "lan", Addr: netip.MustParseAddr("10.0.0.7"), State: Bound, Expires: time.Unix(1, 0)})
	for n := range full {
		if _, err := ReadRecord(full[:n]); err != ErrRecord {
			t.Errorf("a record cut to %d of %d octets read with %v, want ErrRecord", n, len(full), err)
		}
	}
	if _, err := ReadRecord(append(full, 0)); err != ErrRecord {
		t.Errorf("a record with a trailing octet read with %v, want ErrRecord", err)
	}
}
