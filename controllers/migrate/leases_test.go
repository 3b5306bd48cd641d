package migrate

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// One network's leases, as dhcpd, Kea and dnsmasq keep them, import to
// the same Lease objects: the active leases of the served subnet, the
// freed and expired ones and those of no subnet skipped and said.
func TestLeasesOfEveryServerImportAlike(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	subnets := []Subnet{{Name: "office", Prefix: netip.MustParsePrefix("10.0.0.0/24")}}
	want := strings.Join([]string{
		"office-10-0-0-57 10.0.0.57 mac=00:16:41:e0:f9:1c id=01:00:16:41:e0:f9:1c host=pc-57 expires=2026-12-01T20:00:00Z",
		"office-10-0-0-58 10.0.0.58 mac=00:16:41:e0:f9:2d id= host= expires=2026-12-01T20:00:00Z"}, "\n")
	readers := map[string]func(io.Reader) ([]Entry, []Skipped, error){
		"dhcpd.leases": ReadDhcpdLeases, "kea-leases4.csv": ReadKeaLeases, "dnsmasq.leases": ReadDnsmasqLeases}
	for file, read := range readers {
		t.Run(file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = f.Close() }()
			entries, skippedRead, err := read(f)
			if err != nil {
				t.Fatal(err)
			}
			leases, skipped := ToLeases(entries, subnets, "kubedhcp", now)
			var got []string
			for _, l := range leases {
				s := l.Spec
				got = append(got, fmt.Sprintf("%s %s mac=%s id=%s host=%s expires=%s", l.Name, s.IPAddress, s.MACAddress, s.ClientID,
					s.Hostname, s.Expires.UTC().Format(time.RFC3339)))
				if s.State != "Bound" || s.Subnet != "office" || l.Namespace != "kubedhcp" {
					t.Errorf("%s: %+v", l.Name, s)
				}
			}
			if strings.Join(got, "\n") != want {
				t.Errorf("imported\n%s\nwant\n%s", strings.Join(got, "\n"), want)
			}
			all := append(skippedRead, skipped...)
			if !strings.Contains(fmt.Sprint(all), "192.0.2.9: in no Subnet") {
				t.Errorf("skipped %v, want 192.0.2.9 said to be in no Subnet", all)
			}
			t.Logf("%s: %d Leases, skipped %v", file, len(leases), all)
		})
	}
}

func TestDhcpdUID(t *testing.T) {
	if got := fmt.Sprintf("% x", dhcpdOctets(`"\001\000\026A\340\371\034"`)); got != "01 00 16 41 e0 f9 1c" {
		t.Errorf("uid %s", got)
	}
	if got := fmt.Sprintf("% x", dhcpdOctets(`01:00:16`)); got != "01 00 16" {
		t.Errorf("uid %s", got)
	}
}
