package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// startRates are where the search starts for each server: near what this
// machine measured, so few steps are needed.
var startRates = map[string]int{"kubedhcp-memory": 25000, "kea-memfile": 20000, "kubedhcp-leases": 800, "kea-pgsql": 1000}

func newServer(name string, o opts) (server, error) {
	switch name {
	case "kubedhcp-memory":
		return &kubedhcpServer{bin: o.bin, store: "memory"}, nil
	case "kubedhcp-leases":
		return &kubedhcpServer{bin: o.bin, store: "kubernetes"}, nil
	case "kea-memfile":
		return &keaServer{db: "memfile"}, nil
	case "kea-pgsql":
		return &keaServer{db: "postgresql"}, nil
	}
	return nil, fmt.Errorf("unknown server %q", name)
}

// runInner runs inside the server namespace on the server CPU.
func runInner(o opts) int {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-stop
		fmt.Fprintln(os.Stderr, "bench: interrupted; stopping")
		teardownAll()
		os.Exit(1)
	}()
	defer teardownAll()
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	var rows []row
	for _, name := range strings.Split(o.servers, ",") {
		if name == "" {
			continue
		}
		r, err := benchServer(name, o)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", name, err)
			return 1
		}
		rows = append(rows, r)
	}
	report := ""
	if len(rows) > 0 {
		report = table(rows, o)
	}
	extra, err := extras(o)
	report += extra
	fmt.Print("\n" + report)
	_ = os.WriteFile(o.out+"/report.txt", []byte(report), 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

var toTear []server

func teardownAll() {
	for _, s := range toTear {
		_ = s.Stop()
		s.Teardown()
	}
	toTear = nil
	if controlPlane != nil {
		_ = controlPlane.Stop()
		controlPlane = nil
	}
}

func benchServer(name string, o opts) (row, error) {
	s, err := newServer(name, o)
	if err != nil {
		return row{}, err
	}
	toTear = append(toTear, s)
	say("%s: setting up", name)
	if err := s.Setup(); err != nil {
		return row{}, err
	}
	say("%s: stepping the offered rate, %d runs of %s each, a fresh server every run", name, o.repeats, o.duration)
	best, ok, err := search(s, startRates[name], o)
	if err != nil {
		return row{}, err
	}
	if k, isKubedhcp := s.(*kubedhcpServer); o.profile && ok && isKubedhcp {
		if err := profileUnder(k, int(best.Rate()), o); err != nil {
			return row{}, err
		}
	}
	return row{Name: name, Best: best, Found: ok}, nil
}

// table prints the servers' lines and the kubedhcp/Kea ratios.
func table(rows []row, o opts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "DORA benchmark: perfdhcp 2.2 relay mode, unique clients, %s runs, median of %d, at most %.1f%% of clients lost\n",
		o.duration, o.repeats, 100*maxLost)
	fmt.Fprintf(&b, "server on CPU %s (with its apiserver+etcd or PostgreSQL), perfdhcp on CPU %s\n\n", serverCPU, clientCPU)
	header := []string{"server", "DORA/s", "lost", "REQ->ACK avg", "REQ->ACK max", "server CPU", "CPU us/lease"}
	lines := make([][]string, 0, 1+len(rows))
	lines = append(lines, header)
	by := map[string]row{}
	for _, r := range rows {
		lines = append(lines, r.cells())
		by[r.Name] = r
	}
	writeAligned(&b, lines)
	b.WriteString("\n")
	for _, pair := range [][2]string{{"kubedhcp-memory", "kea-memfile"}, {"kubedhcp-leases", "kea-pgsql"}} {
		k, kok := by[pair[0]]
		e, eok := by[pair[1]]
		if !kok || !eok || !k.Found || !e.Found {
			continue
		}
		fmt.Fprintf(&b, "%s / %s: %.2fx DORA/s, %.2fx CPU per lease\n", pair[0], pair[1],
			k.Best.Rate()/e.Best.Rate(), float64(k.Best.CPUPerLease())/float64(e.Best.CPUPerLease()))
	}
	return b.String()
}

func writeAligned(b *strings.Builder, lines [][]string) {
	widths := make([]int, len(lines[0]))
	for _, l := range lines {
		for i, c := range l {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, l := range lines {
		for i, c := range l {
			if i == 0 {
				fmt.Fprintf(b, "%-*s", widths[i], c)
			} else {
				fmt.Fprintf(b, "  %*s", widths[i], c)
			}
		}
		b.WriteString("\n")
	}
}
