package migrate

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// readers are the configuration readers by the file they read.
var readers = map[string]func(io.Reader, string) (Objects, []Skipped, error){
	"dhcpd.conf": ReadDhcpdConf, "kea-dhcp4.json": ReadKeaConf, "dnsmasq.conf": ReadDnsmasqConf}

func readConf(t *testing.T, file string) (string, []Skipped) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "network", file))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	objs, skipped, err := readers[file](f, "kubedhcp")
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(objs)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), skipped
}

// One network, written for ISC dhcpd, Kea and dnsmasq (options, lease
// times, a class that chooses a pool, PXE rules, a relayed subnet and a
// reservation), imports to the same objects from each.
func TestOneNetworkInThreeFormatsImportsAlike(t *testing.T) {
	want, skipped := readConf(t, "dhcpd.conf")
	t.Logf("dhcpd.conf imports to\n%s", want)
	for _, s := range []string{"cidr: 10.0.0.0/24", "cidr: 10.1.0.0/24", "name: net-10-0-0-0-24-pool-2", "vendorClassPrefix: Polycom",
		"authoritative: true", "nextServer: 10.0.0.10", "userClass: iPXE", "bootFileName: http://10.0.0.10/boot.ipxe",
		"- 7\n", "- 9\n", "bootFileName: undionly.kpxe", "default: 10m0s", "max: 10m0s", "domainName: corp.example",
		"- 10.0.0.3", "macAddress: 00:1b:a9:12:34:56", "hostname: printer", "name: printer", "subnet: net-10-1-0-0-24"} {
		if !strings.Contains(want, s) {
			t.Errorf("dhcpd.conf imported without %q", s)
		}
	}
	if said := fmt.Sprint(skipped); !strings.Contains(said, "line 8: ddns-update-style none: not mapped") || len(skipped) != 1 {
		t.Errorf("dhcpd.conf: not imported %v, want only ddns-update-style on line 8", said)
	}
	for _, file := range []string{"kea-dhcp4.json", "dnsmasq.conf"} {
		got, skipped := readConf(t, file)
		if got != want {
			t.Errorf("%s imports to\n%s\nwant (as dhcpd.conf)\n%s", file, got, want)
		}
		t.Logf("%s: not imported or in part: %v", file, skipped)
	}
}

// What does not map is listed with its line and the reason, from each
// format; nothing is dropped without a word.
func TestUnmappedIsListedWithItsLine(t *testing.T) {
	cases := map[string]struct {
		src  string
		want []string
	}{
		"dhcpd.conf": {src: `ddns-update-style none;
class "odd" { match if option agent.circuit-id = "x"; }
subnet 10.0.0.0 netmask 255.255.255.0 {
  range 10.0.0.10 10.0.0.20;
  pool { deny members of "odd"; range 10.0.0.30 10.0.0.40; }
  option foo-bar 1;
}
shared-network lan { option domain-name "lan"; subnet 10.2.0.0 netmask 255.255.255.0 { } }
host lost { hardware ethernet 00:1b:a9:00:00:01; fixed-address 192.0.2.5; }
if option user-class = "iPXE" { filename "a"; next-server 10.0.0.9; }
`, want: []string{"line 1: ddns-update-style none: not mapped", `line 2: match if option agent.circuit-id = "x"`,
			`line 5: deny members of "odd": not mapped (in a pool)`, "line 6: option foo-bar 1: option foo-bar has no kubedhcp field",
			"line 8: shared-network lan: kubedhcp has no shared networks", `line 8: option domain-name "lan": not mapped (in a shared-network`, "line 9: host lost", "192.0.2.5 is in no subnet",
			"line 10: next-server 10.0.0.9: not mapped (under if)"}},
		"kea-dhcp4.json": {src: `{"Dhcp4": {
  "hooks-libraries": [],
  "client-classes": [ {"name": "odd", "test": "pkt4.mac == 0x0102"} ],
  "subnet4": [ {"subnet": "10.0.0.0/24", "id": 1,
    "pools": [ {"pool": "10.0.0.10 - 10.0.0.20", "client-class": "odd"} ],
    "option-data": [ {"name": "vendor-encapsulated-options", "data": "01"} ],
    "reservation-mode": "all" } ]
}}`, want: []string{`line 2: "hooks-libraries": [...]: set in kubedhcp by no hooks`, `line 3: class odd: "pkt4.mac == 0x0102"`,
			`line 5: "client-class": "odd": class odd is not one whose test maps`, "line 6: option vendor-encapsulated-options",
			`line 7: "reservation-mode": "all": not mapped`}},
		"dnsmasq.conf": {src: `interface=eth1
dhcp-range=10.0.0.10,10.0.0.20,12h
dhcp-range=10.0.0.10,10.0.0.20,255.255.255.0,12h
dhcp-match=set:ipxe,175
dhcp-boot=tag:ipxe,a.ipxe
dhcp-option=tag:ipxe,option:router,10.0.0.1
dhcp-host=00:1b:a9:00:00:02,printer
`, want: []string{"line 1: interface=eth1: not mapped", "line 2: dhcp-range=10.0.0.10,10.0.0.20,12h: no netmask",
			"line 4: dhcp-match=set:ipxe,175: only dhcp-match on option:client-arch", "line 5: dhcp-boot=tag:ipxe,a.ipxe: tag ipxe is not a class",
			"line 6: dhcp-option=tag:ipxe,option:router,10.0.0.1: options per class", "line 7: dhcp-host=00:1b:a9:00:00:02,printer: a host without an address"}},
	}
	for file, c := range cases {
		t.Run(file, func(t *testing.T) {
			_, skipped, err := readers[file](strings.NewReader(c.src), "ns")
			if err != nil {
				t.Fatal(err)
			}
			said := fmt.Sprint(skipped)
			for _, w := range c.want {
				if !strings.Contains(said, w) {
					t.Errorf("listed %s\nwant %q", said, w)
				}
			}
		})
	}
}

// A file that is not well formed is an error naming the line.
func TestConfSyntax(t *testing.T) {
	for file, bad := range map[string][]string{
		"dhcpd.conf":     {"subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.2 }", "option routers 10.0.0.1", "}"},
		"kea-dhcp4.json": {"{\"Dhcp4\": {\n\"subnet4\": [ }", "[]", "{\"Dhcp6\": {}}", "{} {}"},
	} {
		for _, src := range bad {
			if _, _, err := readers[file](strings.NewReader(src), "ns"); err == nil {
				t.Errorf("%s %q read without an error", file, src)
			} else {
				t.Logf("%s %q: %v", file, src, err)
			}
		}
	}
}

// Hostile input never panics a reader: every prefix of each sample file.
func TestConfReadersTakeTruncatedInput(t *testing.T) {
	for file, read := range readers {
		src, err := os.ReadFile(filepath.Join("testdata", "network", file))
		if err != nil {
			t.Fatal(err)
		}
		for i := range src {
			_, _, _ = read(strings.NewReader(string(src[:i])), "ns")
		}
	}
}

// What each format has beyond the shared network: dhcpd's groups, short
// MAC octets and bad host names; Kea's interface, relay addresses outside
// the subnet, client-id reservations and hex options; dnsmasq's known
// tags, dhcp-ignore and options of codes without a field.
func TestFormatSpecifics(t *testing.T) {
	cases := map[string]struct {
		src        string
		want, said []string
	}{
		"dhcpd.conf": {src: `subnet 10.0.0.0 netmask 255.255.255.0 {
  pool { allow known-clients; range 10.0.0.10 10.0.0.20; }
  deny unknown-clients;
}
group {
  option routers 10.0.0.9;
  host Node_1 { hardware ethernet 0:1b:a9:0:0:3; fixed-address 10.0.0.7; option host-name "bad name"; filename "node1.ipxe"; option routers 10.0.0.254; }
  host id { option dhcp-client-identifier 1:0:1b:a9:0:0:4; fixed-address 10.0.0.8; }
}
option default-ip-ttl 64;
option ip-forwarding off;
option rfc3442-classless-static-routes code 121 = array of integer 8;
option rfc3442-classless-static-routes 24, 192, 168, 123, 10, 0, 0, 1, 0, 10, 0, 0, 1;
`, want: []string{"code: 23\n      type: uint8\n      value: \"64\"", "code: 19\n      type: bool\n      value: \"false\"",
			"destination: 192.168.123.0/24\n        gateway: 10.0.0.1", "destination: 0.0.0.0/0\n        gateway: 10.0.0.1", "macAddress: 00:1b:a9:00:00:03", "name: node-1", "knownClients: Only", "denyUnknownClients: true",
			"clientID: 01:00:1b:a9:00:00:04", "ipAddress: 10.0.0.8", "bootFileName: node1.ipxe", "- 10.0.0.254"},
			said: []string{"line 6: option routers 10.0.0.9: not mapped (in a group", `host name "bad name" is not a valid host name`}},
		"kea-dhcp4.json": {src: `{"Dhcp4": {"subnet4": [ {"subnet": "10.0.0.0/24", "interface": "eth1",
  "relay": {"ip-addresses": ["192.168.5.1", "10.0.0.1"]},
  "option-data": [ {"code": 150, "data": "0A000009", "csv-format": false},
    {"name": "root-path", "data": "10.0.0.1:/a\\,b\\\\c",}, {"name": "cookie-servers", "data": "10.0.0.4, 10.0.0.5"},
    {"code": 23, "data": "0x40"}, {"name": "classless-static-route", "data": "192.168.5.0/24 - 10.0.0.1, 0.0.0.0/0 - 10.0.0.254"} ],
  "reservations": [ {"client-id": "01:00:1b:a9:00:00:05", "ip-address": "10.0.0.9", "boot-file-name": "r.efi",
    "option-data": [ {"name": "routers", "data": "10.0.0.254", "always-send": true} ] } ] } ] }}`,
			want: []string{"rootPath: 10.0.0.1:/a,b\\c", "code: 8\n      type: ipList\n      value: 10.0.0.4,10.0.0.5",
				"code: 23\n      type: uint8\n      value: \"64\"", "destination: 192.168.5.0/24\n        gateway: 10.0.0.1",
				"destination: 0.0.0.0/0\n        gateway: 10.0.0.254", "- eth1", "relayAddresses:\n    - 192.168.5.1\n  status", "code: 150", "type: hex", "value: 0a:00:00:09",
				"clientID: 01:00:1b:a9:00:00:05", "name: host-10-0-0-9", "bootFileName: r.efi", "- 10.0.0.254"},
			said: []string{`line 7: "always-send": true: kubedhcp sends an option a client asks for`}},
		"dnsmasq.conf": {src: `dhcp-range=tag:!known,10.0.0.10,10.0.0.20,255.255.255.0,1h
dhcp-range=10.0.0.30,10.0.0.40,255.255.255.0,2h
dhcp-ignore=tag:!known
dhcp-option=150,10.0.0.9
dhcp-option=option:classless-static-route,192.168.7.0/24,10.0.0.1
dhcp-option=19,1
dhcp-host=id:01:00:1b:a9:00:00:06,10.0.0.9,infinite
dhcp-userclass=set:ipxe,iPXE
dhcp-match=set:bios,option:client-arch,0
dhcp-boot=tag:ipxe,http://boot/boot.ipxe
dhcp-boot=tag:!ipxe,tag:bios,undionly.kpxe
dhcp-boot=tag:!bios,other.efi
`, want: []string{"- bootFileName: http://boot/boot.ipxe\n        match:\n          userClass: iPXE\n      - bootFileName: undionly.kpxe\n        match:\n          clientArch:\n          - 0\n    cidr", "knownClients: Deny", "denyUnknownClients: true", "code: 150", "type: ipList", "value: 10.0.0.9",
			"default: 1h0m0s", "default: 2h0m0s", "clientID: 01:00:1b:a9:00:00:06"},
			said: []string{"line 7: dhcp-host=id:01:00:1b:a9:00:00:06,10.0.0.9,infinite: a lease time per host does not map",
				"line 12: dhcp-boot=tag:!bios,other.efi: its tag:! negation cannot be matched"}},
	}
	for file, c := range cases {
		t.Run(file, func(t *testing.T) {
			objs, skipped, err := readers[file](strings.NewReader(c.src), "ns")
			if err != nil {
				t.Fatal(err)
			}
			out, _ := yaml.Marshal(objs)
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("imported\n%s\nwant %q", out, w)
				}
			}
			said := fmt.Sprint(skipped)
			for _, w := range c.said {
				if !strings.Contains(said, w) {
					t.Errorf("listed %s\nwant %q", said, w)
				}
			}
		})
	}
}

// FuzzConfReaders: no input panics a configuration reader. The seeds are
// the sample files; go test -fuzz FuzzConfReaders ./controllers/migrate
// searches further.
func FuzzConfReaders(f *testing.F) {
	files := []string{"dhcpd.conf", "kea-dhcp4.json", "dnsmasq.conf"}
	for i, file := range files {
		src, err := os.ReadFile(filepath.Join("testdata", "network", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), string(src))
	}
	f.Fuzz(func(t *testing.T, which uint8, src string) {
		objs, _, err := readers[files[int(which)%len(files)]](strings.NewReader(src), "ns")
		if err == nil {
			_, _ = yaml.Marshal(objs)
		}
	})
}

// Debian's sample dhcpd.conf: the pools of a shared-network land in the
// Subnet of their range, a class on a substring of the vendor class
// becomes a prefix, and host names, DNS names as addresses and hosts
// without an address are listed.
func TestDebianSampleDhcpdConf(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "dhcpd-debian.conf"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	objs, skipped, err := ReadDhcpdConf(f, "ns")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs.Subnets) != 3 || len(objs.Pools) != 3 || len(objs.Reservations) != 0 {
		t.Errorf("%d Subnets, %d Pools, %d Reservations; want 3, 3, 0", len(objs.Subnets), len(objs.Pools), len(objs.Reservations))
	}
	out, _ := yaml.Marshal(objs)
	for _, w := range []string{"vendorClassPrefix: SUNW", "subnet: net-10-17-224-0-24", "subnet: net-10-0-29-0-24", "cidr: 10.5.5.0/27",
		"domainName: internal.example.org", "broadcastAddress: 10.5.5.31", "max: 2h0m0s"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("imported\n%s\nwant %q", out, w)
		}
	}
	said := fmt.Sprint(skipped)
	for _, w := range []string{`line 3: option domain-name-servers ns1.example.org, ns2.example.org: "ns1.example.org" is not an IPv4 address`,
		"line 12: option subnet-mask 255.255.255.224: the subnet mask is sent from the Subnet's cidr", "line 18: host passacaglia: no address",
		`line 23: host fantasia: "fantasia.example.com" is not an IPv4 address`, `line 42: deny members of "foo": not mapped (in a pool)`} {
		if !strings.Contains(said, w) {
			t.Errorf("listed %s\nwant %q", said, w)
		}
	}
	t.Logf("listed: %d statements", len(skipped))
}
