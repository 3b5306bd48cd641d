package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubedhcp/kubedhcp/controllers/leasestore"
	"github.com/kubedhcp/kubedhcp/dhcpserver/lease"
	"github.com/kubedhcp/kubedhcp/test/testenv"
)

// extras runs the renewal and start-up benchmarks and returns their report.
func extras(o opts) (string, error) {
	var b strings.Builder
	if o.renewN > 0 {
		s, err := renewBench(o)
		b.WriteString(s)
		if err != nil {
			return b.String(), err
		}
		s, err = steadyRenewals(o)
		b.WriteString(s)
		if err != nil {
			return b.String(), err
		}
	}
	if o.startupLeases > 0 {
		s, err := startupBench(o)
		b.WriteString(s)
		if err != nil {
			return b.String(), err
		}
	}
	if o.flood {
		s, err := floodBench(o)
		b.WriteString(s)
		if err != nil {
			return b.String(), err
		}
	}
	for _, p := range profiles {
		b.WriteString(p)
	}
	return b.String(), nil
}

// leaseWrites is how many creates, updates and patches of Leases the
// apiserver has answered, from its own metrics.
func leaseWrites(env *testenv.Env) (int, error) {
	out, err := exec.Command(filepath.Join(env.Assets, "kubectl"), "--kubeconfig", env.Kubeconfig, "get", "--raw", "/metrics").Output()
	if err != nil {
		return 0, fmt.Errorf("reading the apiserver's metrics: %w", err)
	}
	total := 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") || !strings.Contains(line, `resource="dhcpleases"`) {
			continue
		}
		if !strings.Contains(line, `verb="POST"`) && !strings.Contains(line, `verb="PUT"`) && !strings.Contains(line, `verb="PATCH"`) {
			continue
		}
		f := strings.Fields(line)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		total += int(v)
	}
	return total, sc.Err()
}

// renewTimes are the renewal benchmark's lease time and length: perfdhcp
// binds new clients and renews ones it bound at the same rate for three
// lease times, so renewals reach leases of every age.
const (
	renewLease  = 20 * time.Second
	renewPeriod = 60 * time.Second
)

// renewBench binds and renews clients through the Lease store and counts
// the apiserver's Lease writes.
func renewBench(o opts) (string, error) {
	k, err := startLeaseServer(o, "renewals", renewLease)
	if err != nil {
		return "", err
	}
	defer func() { _ = k.Stop() }()
	env := k.env
	rate := max(1, o.renewN/int(renewPeriod.Seconds()))
	say("renewals: perfdhcp binds %d new clients/s and renews %d/s for %s, lease time %s", rate, rate, renewPeriod, renewLease)
	before, err := leaseWrites(env)
	if err != nil {
		return "", err
	}
	r, err := perfdhcp(rate, rate, renewPeriod)
	if err != nil {
		return "", err
	}
	time.Sleep(time.Second) // let the last writes land in the metrics
	after, err := leaseWrites(env)
	if err != nil {
		return "", err
	}
	writes := after - before
	renewWrites := writes - r.RA.Received
	var b strings.Builder
	fmt.Fprintf(&b, "\nRenewals with the Lease store (lease time %s, %s): %d new clients bound, %d renewals ACKed of %d sent\n",
		renewLease, renewPeriod, r.RA.Received, r.Renew.Received, r.Renew.Sent)
	fmt.Fprintf(&b, "apiserver Lease writes: %d; less one create per new client: %d for renewals = %.2f writes per renewal\n",
		writes, renewWrites, float64(renewWrites)/float64(max(1, r.Renew.Received)))
	return b.String(), nil
}

// startupBench stores n Lease objects, then times kubedhcp from process
// start to ready and reads its resident memory once it has served.
func startupBench(o opts) (string, error) {
	env, err := sharedControlPlane()
	if err != nil {
		return "", err
	}
	const ns = "startup"
	if err := createBenchSubnet(env, ns, benchLease); err != nil {
		return "", err
	}
	say("start-up: creating %d Lease objects", o.startupLeases)
	took, err := createLeases(env, ns, o.startupLeases)
	if err != nil {
		return "", err
	}
	settled := settle([]string{"kube-apiserver", "etcd"}, time.Minute)
	k := &kubedhcpServer{bin: o.bin, store: "kubernetes", env: env, ns: ns}
	toTear = append(toTear, k)
	start := time.Now()
	if err := k.startProcess(); err != nil {
		return "", err
	}
	defer func() { _ = k.Stop() }()
	ready := time.Since(start)
	r, err := perfdhcp(200, 0, 2*time.Second)
	if err != nil {
		return "", err
	}
	rss, err := rssOf(k.pid())
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nStart-up with %d Lease objects (created in %s, %.0f/s, 64 in flight; apiserver and etcd idle %s later):\n",
		o.startupLeases, took.Round(time.Second), float64(o.startupLeases)/took.Seconds(), settled.Round(time.Second))
	fmt.Fprintf(&b, "kubedhcp ready %s after its process started; after serving %d new clients: %.0f MiB resident\n",
		ready.Round(10*time.Millisecond), r.RA.Received, float64(rss)/(1<<20))
	return b.String(), nil
}

// settle waits until the processes named comms use under a tenth of a CPU
// over a second, as after a bulk write their background work (watch cache,
// compaction, consistency checks) ends, or until within; it returns how
// long it waited. A server restarting meets an idle control plane.
func settle(comms []string, within time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < within {
		before := cpuOf(comms)
		time.Sleep(time.Second)
		if cpuOf(comms)-before < 100*time.Millisecond {
			break
		}
	}
	return time.Since(start)
}

// createLeases stores n Bound Leases for the bench subnet in namespace ns
// through the Lease store, 64 at a time.
func createLeases(env *testenv.Env, ns string, n int) (time.Duration, error) {
	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = -1, 0
	c, err := client.New(cfg, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		return 0, err
	}
	st := &leasestore.Store{Client: c, Lister: c, Namespace: ns}
	base := netip.MustParseAddr(poolFirst).As4()
	first := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	now := time.Now()
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				v := first + uint32(i)
				addr := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
				mac := net.HardwareAddr{0x02, 0x5b, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
				_, err := st.Commit(context.Background(), lease.Binding{Subnet: "bench", Addr: addr, HWAddr: mac, State: lease.Bound,
					Start: now, Renewed: now, Expires: now.Add(benchLease), Pool: "bench"})
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				if (i+1)%20000 == 0 {
					fmt.Printf("    %d Leases stored\n", i+1)
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start), firstErr
}
