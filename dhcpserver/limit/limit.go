// Package limit keeps token buckets by key: how often one client, relay or
// link may be served. Time is passed in, so the engine stays
// deterministic under a fake clock. Memory is bounded: when a Limiter
// holds more keys than its cap, the buckets that have refilled (their
// keys idle) are dropped, and if that is not enough, all are.
package limit

import (
	"hash/maphash"
	"sync"
	"time"
)

// Rate is a token bucket's refill rate and depth. The zero Rate (or a
// Rate with PerSecond zero) limits nothing.
type Rate struct {
	// PerSecond is how many tokens a second the bucket refills.
	PerSecond float64
	// Burst is how many tokens it holds at most.
	Burst float64
}

// Off reports whether r limits nothing.
func (r Rate) Off() bool { return r.PerSecond <= 0 }

const shards = 16

// Limiter holds one token bucket per key.
type Limiter struct {
	rate   Rate
	cap    int // keys per shard before idle ones are dropped
	seed   maphash.Seed
	shards [shards]shard
}

type shard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   int64 // unix nanoseconds
}

// New returns a Limiter of rate r holding about maxKeys keys at most.
func New(r Rate, maxKeys int) *Limiter {
	l := &Limiter{rate: r, cap: max(1, maxKeys/shards), seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].buckets = map[string]*bucket{}
	}
	return l
}

// Off reports whether l limits nothing: nil, or of an Off Rate.
func (l *Limiter) Off() bool { return l == nil || l.rate.Off() }

// Allow takes a token from key's bucket at now and reports whether there
// was one. An Off Limiter allows everything.
func (l *Limiter) Allow(key string, now time.Time) bool {
	if l.Off() {
		return true
	}
	s := &l.shards[maphash.String(l.seed, key)%shards]
	t := now.UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[key]
	if b == nil {
		if len(s.buckets) >= l.cap {
			s.prune(l.rate, t, l.cap)
		}
		b = &bucket{tokens: l.rate.Burst, last: t}
		s.buckets[key] = b
	}
	b.refill(l.rate, t)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (b *bucket) refill(r Rate, t int64) {
	if t > b.last {
		b.tokens = min(r.Burst, b.tokens+float64(t-b.last)/1e9*r.PerSecond)
		b.last = t
	}
}

// prune drops the buckets that are full again; when that leaves the shard
// at its cap, it drops every one: a key that comes back starts with a full
// bucket, which errs on the side of serving.
func (s *shard) prune(r Rate, t int64, limit int) {
	for k, b := range s.buckets {
		b.refill(r, t)
		if b.tokens >= r.Burst {
			delete(s.buckets, k)
		}
	}
	if len(s.buckets) >= limit {
		clear(s.buckets)
	}
}
