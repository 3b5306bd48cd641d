package controllers

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/probe"
)

// EventRogueServer is the Event of another DHCP server seen on a segment.
const EventRogueServer = "RogueServer"

// Rogue is another DHCP server that answered the self-probe.
type Rogue struct {
	Interface string
	ServerID  netip.Addr
	Source    netip.Addr
	MAC       net.HardwareAddr
	Seen      time.Time
}

func (r Rogue) String() string {
	return fmt.Sprintf("DHCP server %s (MAC %s, server identifier %s) answered on %s at %s", r.Source, r.MAC, r.ServerID,
		r.Interface, r.Seen.UTC().Format(time.RFC3339))
}

// ProbeFunc probes one interface (probe.Probe).
type ProbeFunc func(ctx context.Context, iface string, hw net.HardwareAddr, window time.Duration) (probe.Result, error)

// SelfProbe probes, every Interval, each interface a Subnet is served on
// directly: it checks that this server's own OFFER comes back on the wire
// (metric kubedhcp_probe_answered, the readiness check "probe") and
// reports any OFFER from a server that is not kubedhcp (a server
// identifier that is no Subnet's of that interface): an Event on the
// Subnet and its RogueServer condition (StatusReporter.Rogues). Every
// replica probes.
type SelfProbe struct {
	Config func() *config.Snapshot
	Probe  ProbeFunc
	// Answers, when set, says whether the engine answers the probe's
	// DISCOVER on an interface: an OFFER the engine would send but that
	// was not seen leaving the interface means the serving path is
	// broken, while an engine with nothing to offer (an exhausted pool)
	// is not.
	Answers   func(iface string, hw net.HardwareAddr) bool
	Replica   string
	Interval  time.Duration
	Window    time.Duration
	Client    client.Client // Subnets, for Events
	Namespace string
	Recorder  events.EventRecorder
	Answered  *prometheus.GaugeVec
	Log       logr.Logger

	mu     sync.Mutex
	rogues map[string][]Rogue // by subnet, from the last probe of its interfaces
	failed map[string]error   // interfaces whose last probe could not be sent
	silent map[string]int     // interfaces: probes in a row the engine answered but no OFFER left
	known  map[string]bool    // rogues evented already, by interface/MAC/address
}

// silentLimit is how many probes in a row may see no OFFER of this server
// leave an interface, while its engine answers, before readiness fails.
const silentLimit = 2

// NeedLeaderElection implements manager.LeaderElectionRunnable.
func (*SelfProbe) NeedLeaderElection() bool { return false }

// Start probes until ctx ends.
func (p *SelfProbe) Start(ctx context.Context) error {
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			p.Once(ctx)
		}
	}
}

// Once probes every interface once.
func (p *SelfProbe) Once(ctx context.Context) {
	snap := p.Config()
	if snap == nil {
		return
	}
	rogues, failed, silent := map[string][]Rogue{}, map[string]error{}, map[string]int{}
	hw := probeMAC(p.Replica)
	for iface, subnets := range interfaces(snap) {
		res, err := p.Probe(ctx, iface, hw, p.Window)
		if err != nil {
			p.Log.Error(err, "probing", "interface", iface)
			failed[iface] = err
			continue
		}
		own := res.Own()
		would := p.Answers != nil && p.Answers(iface, hw)
		if would && !own {
			silent[iface] = p.silentOn(iface) + 1
			p.Log.Info("the engine answers the probe but no OFFER of this server left the interface", "interface", iface,
				"probesInARow", silent[iface])
		}
		p.Log.V(1).Info("probed", "interface", iface, "own", own, "engineAnswers", would, "offers", fmt.Sprint(res.Offers))
		if p.Answered != nil {
			p.Answered.WithLabelValues(iface).Set(b2f(own))
		}
		for _, r := range others(res, subnets) {
			for _, sn := range subnets {
				rogues[sn.Name] = append(rogues[sn.Name], r)
				p.event(ctx, sn.Name, r)
			}
		}
	}
	p.mu.Lock()
	p.rogues, p.failed, p.silent = rogues, failed, silent
	p.mu.Unlock()
}

func (p *SelfProbe) silentOn(iface string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.silent[iface]
}

// interfaces maps each interface a Subnet names to its Subnets.
func interfaces(snap *config.Snapshot) map[string][]*config.Subnet {
	out := map[string][]*config.Subnet{}
	for _, sn := range snap.Subnets() {
		for _, i := range sn.Interfaces {
			out[i] = append(out[i], sn)
		}
	}
	return out
}

// others are the OFFERs of servers that are not kubedhcp: received, with
// a server identifier no Subnet of the interface has.
func others(res probe.Result, subnets []*config.Subnet) []Rogue {
	ours := map[netip.Addr]bool{}
	for _, sn := range subnets {
		ours[sn.ServerID] = true
	}
	seen := map[string]bool{}
	var out []Rogue
	for _, o := range res.Offers {
		if o.Outgoing || ours[o.ServerID] || seen[o.MAC.String()+o.Source.String()] {
			continue
		}
		seen[o.MAC.String()+o.Source.String()] = true
		out = append(out, Rogue{Interface: res.Interface, ServerID: o.ServerID, Source: o.Source, MAC: o.MAC, Seen: time.Now()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source.Less(out[j].Source) })
	return out
}

// event records a RogueServer Event on the Subnet the first time a rogue
// is seen.
func (p *SelfProbe) event(ctx context.Context, subnet string, r Rogue) {
	key := subnet + "/" + r.Interface + "/" + r.MAC.String() + "/" + r.Source.String()
	p.mu.Lock()
	if p.known == nil {
		p.known = map[string]bool{}
	}
	seen := p.known[key]
	p.known[key] = true
	p.mu.Unlock()
	if seen {
		return
	}
	p.Log.Info("another DHCP server answers on a served segment", "subnet", subnet, "interface", r.Interface,
		"server", r.Source.String(), "mac", r.MAC.String(), "serverID", r.ServerID.String())
	sn := &dhcpv1alpha1.Subnet{}
	if p.Recorder == nil || p.Client.Get(ctx, client.ObjectKey{Namespace: p.Namespace, Name: subnet}, sn) != nil {
		return
	}
	p.Recorder.Eventf(sn, nil, corev1.EventTypeWarning, EventRogueServer, "Probe", "%s", r.String())
}

// Rogues returns the other servers the last probe saw on the subnet's
// interfaces.
func (p *SelfProbe) Rogues(subnet string) []Rogue {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rogues[subnet]
}

// Check is the readiness check "probe": it fails while the last probe of
// an interface could not be sent (the interface is gone, or the socket
// refused), and after silentLimit probes in a row in which the engine
// answered but no OFFER of this server left the interface (the serving
// path is broken). An engine with nothing to offer, such as an exhausted
// pool, does not make a replica unready.
func (p *SelfProbe) Check(_ *http.Request) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(p.failed))
	for i := range p.failed {
		names = append(names, i)
	}
	if len(names) > 0 {
		sort.Strings(names)
		return fmt.Errorf("cannot probe %s: %v", names[0], p.failed[names[0]])
	}
	for _, i := range slices.Sorted(maps.Keys(p.silent)) {
		if p.silent[i] >= silentLimit {
			return fmt.Errorf("no OFFER of this server left %s in the last %d probes, though the engine answers them", i, p.silent[i])
		}
	}
	return nil
}

// probeMAC is the replica's probe hardware address: locally administered,
// from its name.
func probeMAC(replica string) net.HardwareAddr {
	h := fnv.New32a()
	_, _ = h.Write([]byte(replica))
	s := h.Sum32()
	return net.HardwareAddr{0x02, 0x6b, byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
