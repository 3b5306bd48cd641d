package controllers

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/probe"
)

// The readiness check "probe" follows the wire: it fails when a probe
// cannot be sent, and when the engine answers the probe but no OFFER of
// this server is seen leaving the interface twice in a row; an engine
// with nothing to offer (an exhausted pool) keeps the replica ready. The
// metric kubedhcp_probe_answered is what the wire showed.
func TestSelfProbeReadinessFollowsTheWire(t *testing.T) {
	sn := &config.Subnet{Name: "office", Prefix: netip.MustParsePrefix("10.0.0.0/24"), ServerID: netip.MustParseAddr("10.0.0.2"),
		Interfaces: []string{"eth1"}, Pools: []*config.Pool{{Name: "p", Ranges: []config.Range{{Start: netip.MustParseAddr("10.0.0.10"),
			End: netip.MustParseAddr("10.0.0.20")}}}}}
	snap, err := config.New(sn)
	if err != nil {
		t.Fatal(err)
	}
	var onWire, engine bool
	var sendErr error
	own := probe.Offer{ServerID: netip.MustParseAddr("10.0.0.2"), Outgoing: true}
	answered := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kubedhcp_probe_answered"}, []string{"interface"})
	p := &SelfProbe{Config: func() *config.Snapshot { return snap }, Replica: "r1", Log: logr.Discard(), Answered: answered,
		Probe: func(context.Context, string, net.HardwareAddr, time.Duration) (probe.Result, error) {
			res := probe.Result{Interface: "eth1"}
			if onWire {
				res.Offers = []probe.Offer{own}
			}
			return res, sendErr
		},
		Answers: func(string, net.HardwareAddr) bool { return engine }}
	steps := []struct {
		name      string
		wire, eng bool
		sendErr   error
		ready     bool
		metric    float64
	}{
		{"own OFFER seen", true, true, nil, true, 1},
		{"engine answers, nothing left: once", false, true, nil, true, 0},
		{"engine answers, nothing left: twice", false, true, nil, false, 0},
		{"seen again", true, true, nil, true, 1},
		{"exhausted pool: no answer anywhere", false, false, nil, true, 0},
		{"still exhausted", false, false, nil, true, 0},
		{"cannot send", false, false, errors.New("no such device"), false, 0},
	}
	for _, s := range steps {
		onWire, engine, sendErr = s.wire, s.eng, s.sendErr
		p.Once(context.Background())
		err := p.Check(nil)
		if (err == nil) != s.ready {
			t.Errorf("%s: readiness %v, want ready=%v", s.name, err, s.ready)
		}
		if s.sendErr == nil {
			if got := testutil.ToFloat64(answered.WithLabelValues("eth1")); got != s.metric {
				t.Errorf("%s: kubedhcp_probe_answered %v, want %v", s.name, got, s.metric)
			}
		}
		t.Logf("%s: readiness %v", s.name, err)
	}
}
