package controllers

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// flakyReader fails its first reads, then finds every Subnet.
type flakyReader struct {
	client.Reader
	fails int
}

func (r *flakyReader) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	if r.fails > 0 {
		r.fails--
		return errors.New("apiserver unreachable")
	}
	obj.SetName(key.Name)
	obj.SetNamespace(key.Namespace)
	return nil
}

// recorded counts the Events recorded.
type recorded struct{ n int }

func (r *recorded) Eventf(runtime.Object, runtime.Object, string, string, string, string, ...any) {
	r.n++
}

// An Event whose Subnet cannot be read is counted as a failure and does
// not use up the subnet's interval: the next one within it is recorded.
func TestEventRateLimitNotUsedByAFailedRead(t *testing.T) {
	rec := &recorded{}
	m := NewMetrics(prometheus.NewRegistry())
	o := &EventObserver{Reader: &flakyReader{fails: 1}, Recorder: rec, Namespace: "ns", Interval: time.Hour, Metrics: m}
	ctx := context.Background()
	hw := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	o.record(ctx, pending{"lan", EventNoFreeAddress, "no free address for " + hw.String()})
	o.record(ctx, pending{"lan", EventNoFreeAddress, "no free address for " + hw.String()})
	o.record(ctx, pending{"lan", EventNoFreeAddress, "no free address for " + hw.String()})
	if rec.n != 1 {
		t.Errorf("%d Events recorded, want 1: the failed read must not use up the hour", rec.n)
	}
	if got := testutil.ToFloat64(m.JobErrors.WithLabelValues("events")); got != 1 {
		t.Errorf("event failures counted %v, want 1", got)
	}
}
