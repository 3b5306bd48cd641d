package metrics

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
)

func TestHandledCountsOutcomesAndReasons(t *testing.T) {
	m := New(prometheus.NewRegistry())
	m.Handled(engine.Result{Type: "DISCOVER", Outcome: engine.OutcomeOffer, Reason: engine.ReasonDeclined}, time.Millisecond)
	m.Handled(engine.Result{Type: "REQUEST", Outcome: engine.OutcomeNak, Reason: engine.ReasonWrongNetwork}, time.Millisecond)
	m.Handled(engine.Result{Outcome: engine.OutcomeSilent, Reason: engine.ReasonNoMessageType}, time.Millisecond)
	m.Dropped("badHeader")

	for _, c := range []struct {
		got  float64
		want float64
		what string
	}{
		{testutil.ToFloat64(m.packets.WithLabelValues("DISCOVER", "offer")), 1, "DISCOVER offers"},
		{testutil.ToFloat64(m.packets.WithLabelValues("NONE", "silent")), 1, "silences of messages without a type"},
		{testutil.ToFloat64(m.reasons.WithLabelValues("nak", "wrongNetwork")), 1, "NAKs for wrongNetwork"},
		{testutil.ToFloat64(m.reasons.WithLabelValues("silent", "noMessageType")), 1, "silences for noMessageType"},
		{float64(testutil.CollectAndCount(m.reasons)), 2, "reason series (offers have none)"},
		{testutil.ToFloat64(m.dropped.WithLabelValues("badHeader")), 1, "badHeader drops"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	// Silences send nothing, so they have no reply latency.
	if n := histogramCount(t, m.replyLatency); n != 2 {
		t.Errorf("reply latency observations = %d, want 2", n)
	}
}

// failing is a Store whose writes all fail.
type failing struct{ lease.Store }

func (failing) Commit(context.Context, lease.Binding) (lease.Binding, error) {
	return lease.Binding{}, errors.New("apiserver unreachable")
}

func TestInstrumentStoreTimesWritesAndReportsResults(t *testing.T) {
	m := New(prometheus.NewRegistry())
	var heard []error
	observe := func(err error) { heard = append(heard, err) }
	b := lease.Binding{Subnet: "office", Addr: netip.MustParseAddr("10.0.0.10"),
		HWAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1}, State: lease.Bound,
		Start: time.Now(), Renewed: time.Now(), Expires: time.Now().Add(time.Hour)}

	ok := m.InstrumentStore(lease.NewMemory(), observe)
	stored, err := ok.Commit(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ok.Release(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
	if _, err := m.InstrumentStore(failing{lease.NewMemory()}, observe).Commit(context.Background(), b); err == nil {
		t.Fatal("the failing store's error was lost")
	}

	if n := histogramCount(t, m.commitLatency.WithLabelValues("ok").(prometheus.Histogram)); n != 2 {
		t.Errorf("ok writes timed = %d, want 2", n)
	}
	if n := histogramCount(t, m.commitLatency.WithLabelValues("error").(prometheus.Histogram)); n != 1 {
		t.Errorf("failed writes timed = %d, want 1", n)
	}
	if v := testutil.ToFloat64(m.inFlight); v != 0 {
		t.Errorf("writes in flight after all returned = %v", v)
	}
	if len(heard) != 3 || heard[0] != nil || heard[1] != nil || heard[2] == nil {
		t.Errorf("observe heard %v, want nil, nil, an error", heard)
	}
}

func histogramCount(t *testing.T, h prometheus.Histogram) uint64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	h.Collect(ch)
	var pb dto.Metric
	if err := (<-ch).Write(&pb); err != nil {
		t.Fatal(err)
	}
	return pb.GetHistogram().GetSampleCount()
}
