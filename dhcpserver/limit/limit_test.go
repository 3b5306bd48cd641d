package limit

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func TestBucketRefillsAtItsRate(t *testing.T) {
	l := New(Rate{PerSecond: 2, Burst: 5}, 100)
	got := 0
	for range 10 {
		if l.Allow("a", t0) {
			got++
		}
	}
	if got != 5 {
		t.Fatalf("burst allowed %d, want 5", got)
	}
	if l.Allow("a", t0.Add(400*time.Millisecond)) {
		t.Error("allowed before a token refilled (0.8 of one after 400ms at 2/s)")
	}
	if !l.Allow("a", t0.Add(500*time.Millisecond)) {
		t.Error("refused after a token refilled")
	}
	if !l.Allow("b", t0) {
		t.Error("another key shares the bucket")
	}
	// A long pause refills to the burst, no more.
	got = 0
	for range 10 {
		if l.Allow("a", t0.Add(time.Hour)) {
			got++
		}
	}
	if got != 5 {
		t.Errorf("after an hour allowed %d, want the burst of 5", got)
	}
}

func TestOffAllowsEverything(t *testing.T) {
	var nilL *Limiter
	off := New(Rate{}, 10)
	for range 100 {
		if !nilL.Allow("a", t0) || !off.Allow("a", t0) {
			t.Fatal("an off limiter refused")
		}
	}
}

func TestKeysStayBounded(t *testing.T) {
	l := New(Rate{PerSecond: 1, Burst: 2}, 1600)
	for i := range 100_000 {
		l.Allow(fmt.Sprint(i), t0.Add(time.Duration(i)*time.Microsecond))
	}
	n := 0
	for i := range l.shards {
		n += len(l.shards[i].buckets)
	}
	if n > 1600 {
		t.Errorf("%d keys held, want at most 1600", n)
	}
	// A key over its limit stays limited while it is among the kept ones.
	for range 3 {
		l.Allow("hot", t0.Add(time.Second))
	}
	if l.Allow("hot", t0.Add(time.Second)) {
		t.Error("an exhausted key was allowed")
	}
}
