package dnsrecords

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

// Only host names that are one valid label are published; hostile ones
// are refused.
func TestLabel(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"pc-57", "pc-57", true},
		{"PC-57", "pc-57", true},
		{"pc-57.corp.example", "pc-57", true},
		{"", "", false},
		{".corp", "", false},
		{"-pc", "", false},
		{"pc-", "", false},
		{strings.Repeat("a", 64), "", false},
		{strings.Repeat("a", 63), strings.Repeat("a", 63), true},
		{"pc;rm -rf /", "", false},
		{"pc$(reboot)", "", false},
		{"pc\x00x", "", false},
		{"pc\nx", "", false},
		{"pc_57", "", false},
		{"ünïcode", "", false},
	}
	for _, tt := range tests {
		got, ok := Label(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Label(%q) = %q, %t; want %q, %t", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// Records: A and PTR for each valid name, the first client to hold a
// name keeps it, the rest are counted as refused.
func TestRecords(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	b := func(ip, host string, start time.Duration) lease.Binding {
		return lease.Binding{Subnet: "lan", Addr: netip.MustParseAddr(ip), Hostname: host, State: lease.Bound, Start: t0.Add(start)}
	}
	bs := []lease.Binding{b("10.0.0.11", "pc-1", 0), b("10.0.0.12", "PC-1", time.Minute), b("10.0.0.13", "bad name", 0),
		b("10.0.0.14", "", 0), b("10.0.0.15", "printer.corp", 0)}
	eps, refused := Records(&dhcpv1alpha1.LeaseDNS{Domain: "lab.example", Reverse: true, TTL: ptr.To(int32(60))}, bs)
	got := make([]string, 0, len(eps))
	for _, e := range eps {
		got = append(got, e.DNSName+" "+e.RecordType+" "+strings.Join(e.Targets, ",")+" "+fmt.Sprint(int64(e.RecordTTL)))
	}
	want := []string{"11.0.0.10.in-addr.arpa PTR pc-1.lab.example 60", "15.0.0.10.in-addr.arpa PTR printer.lab.example 60",
		"pc-1.lab.example A 10.0.0.11 60", "printer.lab.example A 10.0.0.15 60"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || refused != 2 {
		t.Errorf("records\n%s\nrefused %d; want\n%s\nrefused 2 (a taken name, a bad one)", strings.Join(got, "\n"), refused, strings.Join(want, "\n"))
	}
}
