package main

import (
	"fmt"
	"sort"
	"time"
)

// maxLost is the share of clients a run may lose and still count.
const maxLost = 0.025

// maxRate ends the search upwards: beyond it perfdhcp cannot keep up.
const maxRate = 150000

// server is one server under test.
type server interface {
	Name() string
	// Setup prepares what every run shares (control plane, database).
	Setup() error
	// Start starts the server with no leases and returns once it answers.
	Start() error
	Stop() error
	Teardown()
	// Comms are the commands whose CPU time is the server's.
	Comms() []string
}

// point is the median of the runs at one offered rate.
type point struct {
	result
	Runs []result
}

// measure runs perfdhcp repeats times at rate against a fresh server each
// time and returns the median run (by clients lost).
func measure(s server, rate int, o opts) (point, error) {
	var runs []result
	for range o.repeats {
		if err := s.Start(); err != nil {
			return point{}, err
		}
		before := cpuOf(s.Comms())
		r, err := perfdhcp(rate, 0, o.duration)
		r.CPU = cpuOf(s.Comms()) - before
		if stopErr := s.Stop(); err == nil {
			err = stopErr
		}
		if err != nil {
			return point{}, err
		}
		runs = append(runs, r)
	}
	sorted := append([]result(nil), runs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Lost() < sorted[j].Lost() })
	p := point{result: sorted[len(sorted)/2], Runs: runs}
	fmt.Printf("    %-16s offered %6d/s: %s\n", s.Name(), rate, describeRuns(runs))
	return p, nil
}

func describeRuns(runs []result) string {
	s := ""
	for i, r := range runs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%.0f/s lost %.2f%%", r.Rate(), 100*r.Lost())
		if r.SrvDrops+r.CliDrops > 0 {
			s += fmt.Sprintf(" (socket drops: server %d, perfdhcp %d)", r.SrvDrops, r.CliDrops)
		}
	}
	return s
}

// search finds the highest rate completed by a median run that loses at
// most maxLost: the offered rate goes up by a quarter from start while
// runs pass, down by a fifth while they fail, then two bisections between
// the last pass and the first failure. It stops going up once perfdhcp
// completes less than nine tenths of what it offers while still passing:
// beyond that perfdhcp, not the server, is the limit. It returns the
// passing point that completed the most; ok is false when none passed.
func search(s server, start int, o opts) (best point, ok bool, err error) {
	round := func(r int) int {
		unit := 100
		if r >= 10000 {
			unit = 500
		}
		return max(unit, (r+unit/2)/unit*unit)
	}
	passed := func(p point) {
		if !ok || p.Rate() > best.Rate() {
			best, ok = p, true
		}
	}
	pass, fail := 0, 0
	rate := round(start)
	for pass == 0 || fail == 0 {
		p, err := measure(s, rate, o)
		if err != nil {
			return best, false, err
		}
		if p.Lost() <= maxLost {
			passed(p)
			pass = rate
			if p.Rate() < 0.9*float64(rate) {
				fmt.Printf("    %-16s perfdhcp completed %.0f/s of %d/s offered: its ceiling, not the server's\n", s.Name(), p.Rate(), rate)
				return best, ok, nil
			}
			rate = round(rate * 5 / 4)
		} else {
			fail = rate
			rate = round(rate * 4 / 5)
		}
		if (rate <= 100 && pass == 0) || rate > maxRate {
			return best, ok, nil
		}
	}
	for range 2 {
		mid := round((pass + fail) / 2)
		if mid <= pass || mid >= fail {
			break
		}
		p, err := measure(s, mid, o)
		if err != nil {
			return best, ok, err
		}
		if p.Lost() <= maxLost {
			passed(p)
			pass = mid
		} else {
			fail = mid
		}
	}
	return best, ok, nil
}

// row is one server's line of the report.
type row struct {
	Name  string
	Best  point
	Found bool
}

func (r row) cells() []string {
	if !r.Found {
		return []string{r.Name, "-", "-", "-", "-", "-", "-"}
	}
	b := r.Best
	return []string{r.Name,
		fmt.Sprintf("%.0f", b.Rate()),
		fmt.Sprintf("%.2f%%", 100*b.Lost()),
		ms(b.RA.AvgDelay), ms(b.RA.MaxDelay),
		fmt.Sprintf("%.0f%%", 100*b.CPU.Seconds()/b.Wall.Seconds()),
		fmt.Sprintf("%.1f", float64(b.CPUPerLease())/float64(time.Microsecond)),
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
