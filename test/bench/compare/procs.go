package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ).
const clockTick = 10 * time.Millisecond

// proc is one line of /proc/PID/stat, the fields this program uses.
type proc struct {
	pid, ppid int
	comm      string
	cpu       time.Duration // user + system
}

func readProc(pid int) (proc, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return proc{}, false
	}
	s := string(b)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return proc{}, false
	}
	f := strings.Fields(s[closing+2:]) // f[0] is field 3, state
	if len(f) < 13 {
		return proc{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return proc{pid: pid, ppid: ppid, comm: s[open+1 : closing], cpu: time.Duration(ut+st) * clockTick}, true
}

// descendants returns this process's descendants.
func descendants() []proc {
	entries, _ := filepath.Glob("/proc/[0-9]*")
	all := map[int]proc{}
	for _, e := range entries {
		pid, err := strconv.Atoi(filepath.Base(e))
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok {
			all[pid] = p
		}
	}
	self := os.Getpid()
	var out []proc
	for _, p := range all {
		for q, ok := p, true; ok; q, ok = all[q.ppid] {
			if q.ppid == self {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// cpuOf is the CPU time used so far by the descendants whose command is
// one of comms.
func cpuOf(comms []string) time.Duration {
	var total time.Duration
	for _, p := range descendants() {
		for _, c := range comms {
			if p.comm == c {
				total += p.cpu
			}
		}
	}
	return total
}

// rssOf is the resident memory of pid in bytes.
func rssOf(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}
