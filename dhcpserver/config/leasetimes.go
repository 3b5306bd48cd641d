package config

import (
	"fmt"
	"time"
)

// Default lease times, used where neither a Pool nor its Subnet sets one.
const (
	DefaultLeaseTime = time.Hour
	DefaultMinLease  = time.Minute
	DefaultMaxLease  = 24 * time.Hour
	DefaultPingWait  = 500 * time.Millisecond
)

// Bounds of every lease time. A lease is never shorter than MinLeaseTime,
// so its renewal and rebinding times (half and seven eighths of it) are
// distinct whole seconds before its end, and never longer than
// MaxLeaseTime, so that every time computed from it (the stored expiry
// runs up to a lease time past what the client is told) is far from
// overflowing. No lease is infinite: RFC 2131's 0xffffffff is never sent.
const (
	MinLeaseTime = 4 * time.Second
	MaxLeaseTime = 87600 * time.Hour
	// MinTimer is the shortest renewal or rebinding time.
	MinTimer = time.Second
	// maxWireSecs is the longest finite lease option 51 can say; one more
	// means infinite.
	maxWireSecs = 0xfffffffe
)

// LeaseTimes bound lease times; a zero field is unset.
type LeaseTimes struct {
	Default, Min, Max time.Duration
	// Renew and Rebind are T1 and T2; zero means half and seven eighths of
	// the lease granted.
	Renew, Rebind time.Duration
}

// Over returns l with each unset field taken from base.
func (l LeaseTimes) Over(base LeaseTimes) LeaseTimes {
	pick := func(a, b time.Duration) time.Duration {
		if a != 0 {
			return a
		}
		return b
	}
	return LeaseTimes{pick(l.Default, base.Default), pick(l.Min, base.Min), pick(l.Max, base.Max),
		pick(l.Renew, base.Renew), pick(l.Rebind, base.Rebind)}
}

// check returns an error naming the first field outside its bounds.
func (l LeaseTimes) check() error {
	for _, f := range []struct {
		name   string
		d, min time.Duration
	}{{"default", l.Default, MinLeaseTime}, {"min", l.Min, MinLeaseTime}, {"max", l.Max, MinLeaseTime},
		{"renew", l.Renew, MinTimer}, {"rebind", l.Rebind, MinTimer}} {
		if f.d == 0 {
			continue
		}
		if f.d < f.min || f.d > MaxLeaseTime {
			return fmt.Errorf("spec.leaseTime.%s: %s is not from %s to %s", f.name, f.d, f.min, MaxLeaseTime)
		}
	}
	return nil
}

// Grant returns the lease time for a client that asked for requested
// (zero: no request): requested within [Min, Max], else Default; never
// outside [MinLeaseTime, MaxLeaseTime].
func (l LeaseTimes) Grant(requested time.Duration) time.Duration {
	d := l.Default
	if requested > 0 {
		d = requested
	}
	if d < l.Min {
		d = l.Min
	}
	if l.Max > 0 && d > l.Max {
		d = l.Max
	}
	return ClampLease(d)
}

// ClampLease returns d within [MinLeaseTime, MaxLeaseTime].
func ClampLease(d time.Duration) time.Duration {
	return min(max(d, MinLeaseTime), MaxLeaseTime)
}

// Timers returns T1 and T2 for a lease of d: the configured ones when they
// fall inside it in order, otherwise d/2 and 7d/8 (RFC 2131 §4.4.5).
func (l LeaseTimes) Timers(d time.Duration) (t1, t2 time.Duration) {
	t1, t2 = d/2, d/8*7
	if l.Renew > 0 && l.Renew < d {
		t1 = l.Renew
	}
	if l.Rebind > 0 && l.Rebind < d && l.Rebind > t1 {
		t2 = l.Rebind
	}
	if t2 <= t1 {
		t1, t2 = d/2, d/8*7
	}
	return t1, t2
}

// WireSecs returns d in whole seconds as option 51, 58 or 59 carries it:
// never 0xffffffff, which means infinite.
func WireSecs(d time.Duration) uint32 {
	s := d / time.Second
	switch {
	case s < 0:
		return 0
	case s > maxWireSecs:
		return maxWireSecs
	}
	return uint32(s)
}
