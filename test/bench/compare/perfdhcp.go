package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// exchange is perfdhcp's report of one exchange: DISCOVER-OFFER,
// REQUEST-ACK or REQUEST-ACK (renewal).
type exchange struct {
	Sent, Received     int
	AvgDelay, MaxDelay time.Duration
}

// result is one perfdhcp run.
type result struct {
	Offered       int // DORA/s asked for
	DO, RA, Renew exchange
	Elapsed       time.Duration // sending time (perfdhcp -p)
	Wall          time.Duration // perfdhcp's whole run, its final wait included
	CPU           time.Duration // used by the server's processes during Wall
	// SrvDrops and CliDrops are the datagrams the kernel dropped for want
	// of receive buffer in the server's and perfdhcp's namespaces: who
	// lost what perfdhcp counts as lost.
	SrvDrops, CliDrops int
}

// Lost is the share of clients that started and never got their ACK.
func (r result) Lost() float64 {
	if r.DO.Sent == 0 {
		return 1
	}
	return 1 - float64(r.RA.Received)/float64(r.DO.Sent)
}

// Rate is the DORAs completed per second.
func (r result) Rate() float64 { return float64(r.RA.Received) / r.Elapsed.Seconds() }

// CPUPerLease is the server CPU each completed DORA cost.
func (r result) CPUPerLease() time.Duration {
	if r.RA.Received == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.RA.Received)
}

// perfdhcp runs perfdhcp in the client namespace on the client CPU, as a
// relay (giaddr relayIP) with unique clients, at rate new DORAs a second
// (and renew renewals a second) for d.
func perfdhcp(rate, renew int, d time.Duration) (result, error) {
	extra := []string{"-R", "100000000"}
	if renew > 0 {
		extra = append(extra, "-f", strconv.Itoa(renew))
	}
	return perfdhcpArgs(rate, d, extra...)
}

// perfdhcpArgs runs perfdhcp as perfdhcp does, with extra arguments.
func perfdhcpArgs(rate int, d time.Duration, extra ...string) (result, error) {
	args := []string{"netns", "exec", clientNS, "taskset", "-c", clientCPU, "perfdhcp", "-4", "-g", "single",
		"-l", relayIP, "-r", strconv.Itoa(rate), "-p", strconv.Itoa(int(d.Seconds())), "-W", "500000"}
	args = append(append(args, extra...), serverIP)
	srv0, cli0 := rcvbufErrors(""), rcvbufErrors(clientNS)
	start := time.Now()
	out, err := exec.Command("ip", args...).CombinedOutput()
	wall := time.Since(start)
	srvDrops, cliDrops := rcvbufErrors("")-srv0, rcvbufErrors(clientNS)-cli0
	// perfdhcp exits with 3 when packets were dropped: a result like any.
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 3) {
		return result{}, fmt.Errorf("perfdhcp: %w: %s", err, out)
	}
	r, err := parsePerfdhcp(string(out))
	r.Offered, r.Elapsed, r.Wall = rate, d, wall
	r.SrvDrops, r.CliDrops = srvDrops, cliDrops
	return r, err
}

// rcvbufErrors is the Udp RcvbufErrors counter of network namespace ns
// ("" for the current one); -1 when it cannot be read.
func rcvbufErrors(ns string) int {
	out, err := os.ReadFile("/proc/net/snmp")
	if ns != "" {
		out, err = exec.Command("ip", "netns", "exec", ns, "cat", "/proc/net/snmp").Output()
	}
	if err != nil {
		return -1
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(f) {
				v, _ := strconv.Atoi(f[i])
				return v
			}
		}
	}
	return -1
}

// parsePerfdhcp reads the statistics blocks of perfdhcp's report.
func parsePerfdhcp(out string) (result, error) {
	var r result
	var cur *exchange
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch line {
		case "***Statistics for: DISCOVER-OFFER***":
			cur = &r.DO
			continue
		case "***Statistics for: REQUEST-ACK***":
			cur = &r.RA
			continue
		case "***Statistics for: REQUEST-ACK (renewal)***":
			cur = &r.Renew
			continue
		}
		if cur == nil {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "sent packets":
			cur.Sent, _ = strconv.Atoi(val)
		case "received packets":
			cur.Received, _ = strconv.Atoi(val)
		case "avg delay":
			cur.AvgDelay = parseMs(val)
		case "max delay":
			cur.MaxDelay = parseMs(val)
		}
	}
	if r.DO.Sent == 0 {
		return r, fmt.Errorf("perfdhcp printed no DISCOVER-OFFER statistics:\n%s", out)
	}
	return r, nil
}

func parseMs(s string) time.Duration {
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, " ms"), 64)
	if err != nil {
		return 0
	}
	return time.Duration(f * float64(time.Millisecond))
}
