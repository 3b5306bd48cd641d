package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/test/loadgen"
)

// The starvation flood: perfdhcp floods a 512-address pool with 5,000
// client MACs through one relay, while 20 clients with Reservations and
// 20 already bound renew through another. kubedhcp runs with the Lease
// store and its default rate limits.
const (
	floodMACs     = 5000
	floodRate     = 2000 // DORAs a second perfdhcp offers
	floodFor      = 20 * time.Second
	floodPoolSize = 512
	floodReserved = 20
	floodBound    = 20
	floodLease    = 30 * time.Second
	// floodRelayIP is the second relay, in perfdhcp's namespace, that the
	// real clients come through.
	floodRelayIP = "10.200.0.3"
)

// floodBench runs the flood and returns its report.
func floodBench(o opts) (string, error) {
	env, err := sharedControlPlane()
	if err != nil {
		return "", err
	}
	k := &kubedhcpServer{bin: o.bin, store: "kubernetes", env: env, ns: "flood", limits: true}
	toTear = append(toTear, k)
	if err := createFloodObjects(k); err != nil {
		return "", err
	}
	if err := k.startProcess(); err != nil {
		return "", err
	}
	defer func() { _ = k.Stop() }()
	if err := run("ip", "-n", clientNS, "addr", "add", floodRelayIP+"/24", "dev", clientIf); err != nil {
		return "", err
	}
	relay, err := clientRelay(floodRelayIP)
	if err != nil {
		return "", err
	}
	defer func() { _ = relay.Close() }()
	ctx := context.Background()
	reserved, bound := relay.Clients(floodReserved, 0x7e), relay.Clients(floodBound, 0x7f)
	all := append(append([]*loadgen.Client{}, reserved...), bound...)
	if ok := loadgen.RunAll(ctx, all, 10, time.Second); ok != len(all) {
		return "", fmt.Errorf("%d of %d real clients bound before the flood", ok, len(all))
	}
	held := map[*loadgen.Client]netip.Addr{}
	for i, c := range all {
		held[c] = c.Addr()
		if i < floodReserved && c.Addr() != reservedAddr(i) {
			return "", fmt.Errorf("reserved client %d got %s, want %s", i, c.Addr(), reservedAddr(i))
		}
	}
	say("flood: %d MACs at %d DORA/s for %s on a %d-address pool; %d reserved and %d bound clients renew every 2s meanwhile",
		floodMACs, floodRate, floodFor, floodPoolSize, floodReserved, floodBound)
	renewals := renewDuring(ctx, all)
	start := time.Now()
	r, err := perfdhcpFlood()
	renewals.stop()
	if err != nil {
		return "", err
	}
	exhausted, got, err := floodBindings(k, start)
	if err != nil {
		return "", err
	}
	kept := 0
	for _, c := range all {
		if c.Addr() == held[c] {
			kept++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nStarvation flood with the Lease store and the default rate limits (%s):\n", limitsLine())
	fmt.Fprintf(&b, "perfdhcp: %d MACs through one relay at %d DORA/s offered for %s: %d DISCOVERs sent, %d OFFERs, %d REQUESTs, %d ACKs\n",
		floodMACs, floodRate, floodFor, r.DO.Sent, r.DO.Received, r.RA.Sent, r.RA.Received)
	fmt.Fprintf(&b, "the flood bound %d of the pool's %d addresses (%d reserved aside); the pool was full %s after the flood began\n",
		got, floodPoolSize, floodReserved, exhausted)
	fmt.Fprintf(&b, "real clients: %d of %d renewals ACKed during the flood, %d NAKed, %d unanswered; %d of %d kept their address (%d reserved, %d dynamic)\n",
		renewals.acks, renewals.sent, renewals.naks, renewals.sent-renewals.acks-renewals.naks, kept, len(all), floodReserved, floodBound)
	return b.String(), nil
}

func limitsLine() string {
	return "per client 2/s, burst 30; new clients per relay 1000/s, burst 2000"
}

func reservedAddr(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 210, 3, byte(10 + i)}) }

// createFloodObjects makes the flood namespace: Subnet 10.210.0.0/16
// reached through both relays, a Pool of 512 addresses, and a Reservation
// for each reserved client.
func createFloodObjects(k *kubedhcpServer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := createNamespace(k.env, k.ns); err != nil {
		return err
	}
	lt := &metav1.Duration{Duration: floodLease}
	objs := []client.Object{
		&dhcpv1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "flood", Namespace: k.ns}, Spec: dhcpv1alpha1.SubnetSpec{
			CIDR: "10.210.0.0/16", ServerIdentifier: serverIP, RelayAddresses: []dhcpv1alpha1.IPv4Address{relayIP, floodRelayIP},
			LeaseTime: &dhcpv1alpha1.LeaseTimes{Default: lt, Min: lt}}},
		&dhcpv1alpha1.Pool{ObjectMeta: metav1.ObjectMeta{Name: "flood", Namespace: k.ns}, Spec: dhcpv1alpha1.PoolSpec{
			Subnet: "flood", Ranges: []dhcpv1alpha1.AddressRange{{Start: "10.210.0.0", End: "10.210.1.255"}}}},
	}
	for i := range floodReserved {
		hw := net.HardwareAddr{0x7e, 0, 0, 0, 0, byte(i)}
		objs = append(objs, &dhcpv1alpha1.Reservation{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("reserved-%02d", i), Namespace: k.ns},
			Spec: dhcpv1alpha1.ReservationSpec{Subnet: "flood", MACAddress: dhcpv1alpha1.MACAddress(hw.String()),
				IPAddress: dhcpv1alpha1.IPv4Address(reservedAddr(i).String())}})
	}
	for _, o := range objs {
		if err := k.env.Client.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %s: %w", o.GetName(), err)
		}
	}
	return nil
}

// renewing counts the real clients' renewals during the flood.
type renewing struct {
	mu               sync.Mutex
	sent, acks, naks int
	done             chan struct{}
	wg               sync.WaitGroup
}

// renewDuring renews every client every 2 s until stop.
func renewDuring(ctx context.Context, clients []*loadgen.Client) *renewing {
	r := &renewing{done: make(chan struct{})}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			select {
			case <-r.done:
				return
			case <-time.After(2 * time.Second):
			}
			for _, c := range clients {
				got, err := c.Renew(ctx, time.Second)
				r.mu.Lock()
				r.sent++
				switch {
				case err == nil && got == dhcpv4.MessageTypeAck:
					r.acks++
				case err == nil:
					r.naks++
				}
				r.mu.Unlock()
			}
		}
	}()
	return r
}

func (r *renewing) stop() {
	close(r.done)
	r.wg.Wait()
}

// perfdhcpFlood runs perfdhcp at floodRate with floodMACs clients.
func perfdhcpFlood() (result, error) {
	return perfdhcpArgs(floodRate, floodFor, "-R", fmt.Sprint(floodMACs))
}

// floodBindings reads the flood's Leases: when the pool was full (the
// newest start among the flood's bindings) and how many it bound.
func floodBindings(k *kubedhcpServer, start time.Time) (time.Duration, int, error) {
	var list dhcpv1alpha1.LeaseList
	if err := k.env.Client.List(context.Background(), &list, client.InNamespace(k.ns)); err != nil {
		return 0, 0, err
	}
	got, last := 0, start
	for _, l := range list.Items {
		if strings.HasPrefix(string(l.Spec.MACAddress), "7e:") || strings.HasPrefix(string(l.Spec.MACAddress), "7f:") ||
			l.Spec.State != dhcpv1alpha1.LeaseBound || l.Spec.Start == nil || l.Spec.Start.Time.Before(start.Add(-time.Second)) {
			continue
		}
		got++
		if l.Spec.Start.After(last) {
			last = l.Spec.Start.Time
		}
	}
	return last.Sub(start).Round(100 * time.Millisecond), got, nil
}
