package migrate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// An ISC dhcpd.conf imports to a Subnet (options and lease times), a Pool
// per range and a Reservation per host; what does not map is listed with
// its line.
func TestDhcpdConf(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "dhcpd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	objs, skipped, err := ReadDhcpdConf(f, "kubedhcp")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := yaml.Marshal(objs)
	got := string(out)
	for _, want := range []string{"cidr: 10.0.0.0/24", "name: net-10-0-0-0-24", "- 10.0.0.1", "domainName: corp.example",
		"- 10.0.0.2", "- 10.0.0.3", "- 10.0.0.4", "default: 10m0s", "max: 2h0m0s", "start: 10.0.0.100", "end: 10.0.0.199",
		"macAddress: 00:1b:a9:12:34:56", "ipAddress: 10.0.0.5", "name: printer"} {
		if !strings.Contains(got, want) {
			t.Errorf("imported\n%s\nwant %q", got, want)
		}
	}
	if len(objs.Subnets) != 1 || len(objs.Pools) != 1 || len(objs.Reservations) != 1 {
		t.Errorf("%d subnets, %d pools, %d reservations; want 1 each", len(objs.Subnets), len(objs.Pools), len(objs.Reservations))
	}
	said := fmt.Sprint(skipped)
	for _, want := range []string{"line 6: authoritative: not mapped", "line 7: ddns-update-style none: not mapped",
		`line 13: filename "pxelinux.0": not mapped`, "line 20: host lost: 192.0.2.5 is in no subnet"} {
		if !strings.Contains(said, want) {
			t.Errorf("skipped %s\nwant %q", said, want)
		}
	}
	t.Logf("skipped: %s", said)
}

func TestDhcpdConfSyntax(t *testing.T) {
	for _, bad := range []string{"subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.2 }", "option routers 10.0.0.1", "}"} {
		if _, _, err := ReadDhcpdConf(strings.NewReader(bad), "ns"); err == nil {
			t.Errorf("%q read without an error", bad)
		}
	}
}
