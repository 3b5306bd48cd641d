package translate

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// TestFiles builds the objects of each file under testdata and checks
// what its comment lines expect, as test/crd/testdata checks CEL rules:
//
//	# env interfaces: eth1, eth2         the server serves on these only
//	# problem: Pool b Overlap: <text>    exactly these objects are left out,
//	                                     with this reason and message text
//	# warning: Subnet a: <text>          a served object's warning
//	# subnets: a, b                      exactly these subnets are served
//	# pools: a: p, q                     exactly these pools of subnet a
//	# addr 10.0.0.7: a                   SubnetForAddr (none: no subnet)
//	# relay 172.16.0.1: a                SubnetForRelay
//	# interface eth1: a, b               SubnetsForInterface
//	# size a/p: 90                       Pool.Size
//	# holds a/p 10.0.0.12: no            Pool.Contains
//	# reserved a mac 02:00:00:00:00:01: r 10.0.0.5   ReservationFor (mac, client-id, circuit)
//
// The expectation follows the first ": " of a line.
//
//	# option a/p 3: 0a000001             an encoded option (none: unset)
//	# lease a/p: 1h0m0s 1m0s 24h0m0s     default, min, max lease time
//	# maxsecs a: 3                       the subnet's load balance max seconds
//	                                     (default: the server's)
//
// An object whose annotation dhcp.kubedhcp.io/unreadable is set stands in
// for one that did not decode.
func TestFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 60 {
		t.Fatalf("%d cases under testdata, want at least 60", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			c := readCase(t, f)
			got := Build(c.subnets, c.pools, c.reservations, c.env)
			checkProblems(t, got, c.expect["problem"])
			checkWarnings(t, got, c.expect["warning"])
			for _, w := range c.expect["subnets"] {
				served := make([]string, 0, len(got.Snapshot.Subnets()))
				for _, sn := range got.Snapshot.Subnets() {
					served = append(served, sn.Name)
				}
				if err := sameList(served, w); err != nil {
					t.Errorf("# subnets: %s: %v", w, err)
				}
			}
			for _, l := range c.lookups {
				if err := lookup(got.Snapshot, l.kind, l.arg, l.want); err != nil {
					t.Errorf("# %s %s: %s: %v", l.kind, l.arg, l.want, err)
				}
			}
		})
	}
}

type lookupLine struct{ kind, arg, want string }

type fileCase struct {
	subnets      []dhcpv1alpha1.Subnet
	pools        []dhcpv1alpha1.Pool
	reservations []dhcpv1alpha1.Reservation
	env          config.Env
	expect       map[string][]string
	lookups      []lookupLine
}

func readCase(t *testing.T, path string) *fileCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := &fileCase{expect: map[string][]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "# ")
		if !ok {
			continue
		}
		c.comment(line)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		var doc struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		c.add(t, doc.Kind, raw)
	}
	return c
}

// comment reads one expectation line.
func (c *fileCase) comment(line string) {
	key, rest, ok := strings.Cut(line, ": ")
	if !ok {
		return
	}
	rest = strings.TrimSpace(rest)
	switch fields := strings.Fields(key); {
	case key == "problem" || key == "warning" || key == "subnets":
		c.expect[key] = append(c.expect[key], rest)
	case key == "env interfaces":
		names := splitList(rest)
		c.env = config.Env{Interface: func(n string) bool { return slices.Contains(names, n) }}
	case len(fields) >= 2 && slices.Contains([]string{"addr", "relay", "interface", "size", "holds", "reserved", "option", "lease", "pools",
		"maxsecs"}, fields[0]):
		c.lookups = append(c.lookups, lookupLine{fields[0], strings.Join(fields[1:], " "), rest})
	}
}

func (c *fileCase) add(t *testing.T, kind string, b []byte) {
	var err error
	switch kind {
	case "Subnet":
		var o dhcpv1alpha1.Subnet
		err = json.Unmarshal(b, &o)
		c.subnets = append(c.subnets, o)
	case "Pool":
		var o dhcpv1alpha1.Pool
		err = json.Unmarshal(b, &o)
		c.pools = append(c.pools, o)
	case "Reservation":
		var o dhcpv1alpha1.Reservation
		err = json.Unmarshal(b, &o)
		c.reservations = append(c.reservations, o)
	default:
		t.Fatalf("kind %q", kind)
	}
	if err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" && p != "none" {
			out = append(out, p)
		}
	}
	return out
}

// checkProblems: exactly the listed objects are left out, each with its
// reason and message text.
func checkProblems(t *testing.T, got Built, want []string) {
	t.Helper()
	seen := map[Ref]bool{}
	for _, w := range want {
		head, text, _ := strings.Cut(w, ": ")
		f := strings.Fields(head)
		if len(f) != 3 {
			t.Fatalf("# problem: %s: want <Kind> <name> <Reason>: <text>", w)
		}
		ref := Ref{Kind: f[0], Name: f[1]}
		seen[ref] = true
		p, ok := got.Problems[ref]
		if !ok || p.Reason != f[2] || !strings.Contains(p.Message, text) {
			t.Errorf("%s %s: got %+v (left out %t), want %s: %s", ref.Kind, ref.Name, p, ok, f[2], text)
		}
	}
	for ref, p := range got.Problems {
		if !seen[ref] {
			t.Errorf("unexpected problem: %s %s %s: %s", ref.Kind, ref.Name, p.Reason, p.Message)
		}
	}
}

func checkWarnings(t *testing.T, got Built, want []string) {
	t.Helper()
	for _, w := range want {
		head, text, _ := strings.Cut(w, ": ")
		f := strings.Fields(head)
		if len(f) != 2 {
			t.Fatalf("# warning: %s: want <Kind> <name>: <text>", w)
		}
		if msg, ok := got.Warnings[Ref{Kind: f[0], Name: f[1]}]; !ok || !strings.Contains(msg, text) {
			t.Errorf("warning of %s %s: %q, want one containing %q", f[0], f[1], msg, text)
		}
	}
	if len(want) == 0 && len(got.Warnings) > 0 {
		t.Errorf("unexpected warnings %v", got.Warnings)
	}
}

// lookup checks one lookup line against the snapshot.
func lookup(s *config.Snapshot, kind, arg, want string) error {
	name := func(sn *config.Subnet) string {
		if sn == nil {
			return "none"
		}
		return sn.Name
	}
	switch kind {
	case "addr":
		return same(name(s.SubnetForAddr(netip.MustParseAddr(arg))), want)
	case "relay":
		return same(name(s.SubnetForRelay(netip.MustParseAddr(arg))), want)
	case "interface":
		var got []string
		for _, sn := range s.SubnetsForInterface(arg) {
			got = append(got, sn.Name)
		}
		return sameList(got, want)
	case "pools":
		sn := s.Subnet(arg)
		if sn == nil {
			return errors.New("no such subnet")
		}
		var got []string
		for _, p := range sn.Pools {
			got = append(got, p.Name)
		}
		return sameList(got, want)
	case "reserved":
		return reserved(s, arg, want)
	case "maxsecs":
		sn := s.Subnet(arg)
		if sn == nil {
			return errors.New("no such subnet")
		}
		got := strconv.Itoa(int(sn.LoadBalanceMaxSecs))
		if sn.LoadBalanceMaxSecs < 0 {
			got = "default"
		}
		return same(got, want)
	}
	return poolLookup(s, kind, arg, want)
}

func same(got, want string) error {
	if got != want {
		return fmt.Errorf("got %s", got)
	}
	return nil
}

func sameList(got []string, want string) error {
	w := splitList(want)
	sort.Strings(got)
	sort.Strings(w)
	if !slices.Equal(got, w) {
		return fmt.Errorf("got %v", got)
	}
	return nil
}

// reserved checks "a mac|client-id|circuit <id>: <name> <ip>" (or none).
func reserved(s *config.Snapshot, arg, want string) error {
	f := strings.Fields(arg)
	if len(f) != 3 {
		return errors.New("want <subnet> mac|client-id|circuit <id>")
	}
	sn := s.Subnet(f[0])
	if sn == nil {
		return errors.New("no such subnet")
	}
	var r *config.Reservation
	switch f[1] {
	case "mac":
		hw, _ := net.ParseMAC(f[2])
		r = sn.ReservationFor(nil, hw, nil)
	case "client-id":
		id, _ := options.ParseHex(f[2])
		r = sn.ReservationFor(id, nil, nil)
	case "circuit":
		r = sn.ReservationFor(nil, nil, []byte(f[2]))
	}
	got := "none"
	if r != nil {
		got = r.Name + " " + r.Addr.String()
	}
	return same(got, want)
}

// poolLookup checks size, holds, option and lease lines: their first
// argument is <subnet> or <subnet>/<pool>.
func poolLookup(s *config.Snapshot, kind, arg, want string) error {
	f := strings.Fields(arg)
	subnet, pool, _ := strings.Cut(f[0], "/")
	sn := s.Subnet(subnet)
	if sn == nil {
		return errors.New("no such subnet")
	}
	var p *config.Pool
	for _, x := range sn.Pools {
		if x.Name == pool {
			p = x
		}
	}
	if pool != "" && p == nil {
		return errors.New("no such pool")
	}
	switch kind {
	case "size":
		return same(fmt.Sprint(p.Size()), want)
	case "holds":
		got := "no"
		if p.Contains(netip.MustParseAddr(f[1])) {
			got = "yes"
		}
		return same(got, want)
	case "option":
		set := sn.Opts()
		if p != nil {
			set = p.Opts()
		}
		var code uint8
		_, _ = fmt.Sscan(f[1], &code)
		got := "none"
		if v, ok := set.Get(code); ok {
			got = hex.EncodeToString(v)
		}
		return same(got, want)
	case "lease":
		lt := sn.Lease()
		if p != nil {
			lt = p.Lease()
		}
		return same(fmt.Sprintf("%s %s %s", lt.Default, lt.Min, lt.Max), want)
	}
	return fmt.Errorf("unknown lookup %q", kind)
}
