// Command kubedhcp is the kubedhcp manager: it serves DHCP from the
// Subnets, Pools and Reservations of its namespace and records every
// binding as a Lease object.
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kubedhcp/kubedhcp/cmd/kubedhcp/app"
	"github.com/kubedhcp/kubedhcp/dhcpserver/engine"
)

func main() {
	o := app.Defaults()
	var interfaces, dhcpAddr string
	var qps, leaseQPS float64
	flag.StringVar(&o.Namespace, "namespace", app.OwnNamespace(), "Namespace whose Subnets, Pools and Reservations are served, and where Leases are written.")
	flag.StringVar(&interfaces, "interfaces", "", "Comma-separated host interfaces to answer directly attached clients on; empty: every interface.")
	flag.StringVar(&dhcpAddr, "dhcp-address", o.DHCPAddr.String(), "Address and port the DHCP listeners bind.")
	flag.IntVar(&o.Workers, "workers", 0, "DHCP workers per listener; 0: 256 with the Lease store (commits wait on the "+
		"apiserver), else two per CPU, at least 4.")
	flag.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, "Address of the Prometheus metrics endpoint; 0 disables it.")
	flag.BoolVar(&o.MetricsSecure, "metrics-secure", o.MetricsSecure, "Serve metrics over HTTPS to clients the apiserver authenticates and authorizes (get on "+
		"/metrics); false: plain HTTP to anyone who can reach the address.")
	flag.StringVar(&o.PprofAddr, "pprof-bind-address", "", "Address to serve net/http/pprof on (CPU and allocation profiles), "+
		"unauthenticated: keep it on 127.0.0.1; empty: off.")
	flag.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "Address of the liveness and readiness probes; the kubelet of a "+
		"host-network pod reaches 127.0.0.1.")
	flag.StringVar(&o.ReplicaName, "replica-name", o.ReplicaName, "This replica's name among the deployment's, for sharing clients "+
		"(default $POD_NAME, else the host name with a random suffix).")
	flag.StringVar(&o.ReplicaGroup, "replica-group", o.ReplicaGroup, "Name of the group of replicas that share clients: one per deployment "+
		"in a namespace.")
	flag.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "Run the Lease sweeper and the status writer on one elected replica; "+
		"every replica answers DHCP either way.")
	flag.StringVar(&o.LeaderElectionID, "leader-election-id", o.LeaderElectionID, "Name of the coordination Lease of that election.")
	flag.Float64Var(&qps, "kube-api-qps", float64(o.QPS), "Requests per second to the apiserver, Lease writes aside.")
	flag.IntVar(&o.Burst, "kube-api-burst", o.Burst, "Burst of requests to the apiserver.")
	flag.Float64Var(&leaseQPS, "lease-api-qps", float64(o.LeaseQPS), "Lease writes per second the Lease store may send (its own client).")
	flag.IntVar(&o.LeaseBurst, "lease-api-burst", o.LeaseBurst, "Burst of Lease writes.")
	flag.StringVar(&o.LeaseStore, "lease-store", o.LeaseStore, "Where bindings are committed: kubernetes (Lease objects) or memory (benchmarks only).")
	flag.BoolVar(&o.Ping, "ping-check", o.Ping, "Allow subnets with pingCheck to probe addresses (needs NET_RAW).")
	flag.DurationVar(&o.Engine.OfferHold, "offer-hold", 0, "How long an offered address is held for its client (default 30s).")
	flag.DurationVar(&o.Engine.Probation, "probation", 0, "How long a declined or conflicting address stays out of service (default 1h).")
	flag.DurationVar(&o.Retention, "lease-retention", o.Retention, "How long Released and Expired Leases are kept before they are deleted.")
	flag.IntVar(&o.Spares, "spare-addresses", o.Spares, "Addresses of each pool this replica claims in advance (at most a quarter of the "+
		"pool among all replicas) to bind new clients while the apiserver is out of reach; handed out last otherwise. 0: none.")
	flag.DurationVar(&o.SpareTTL, "spare-ttl", o.SpareTTL, "How long a spare address is stored for between renewals: a replica that "+
		"dies leaves its spares claimed this long at most, and a lease bound from one ends before it does.")
	maxSecs := flag.Uint("load-balance-max-seconds", uint(engine.DefaultMaxSeconds), "Secs (the field of a client's messages) at which "+
		"every replica answers a client outside its share, for Subnets that do not set loadBalanceMaxSeconds.")
	clientRate, linkRate := engine.DefaultClientRate, engine.DefaultLinkRate
	flag.Float64Var(&clientRate.PerSecond, "client-rate", clientRate.PerSecond, "Messages a second one client (client identifier or MAC) may send on "+
		"average; more get no answer. 0: no limit.")
	flag.Float64Var(&clientRate.Burst, "client-burst", clientRate.Burst, "Messages one client may send at once.")
	flag.Float64Var(&linkRate.PerSecond, "new-client-rate", linkRate.PerSecond, "New clients (DISCOVERs, and REQUESTs of clients "+
		"without a binding) a second one relay or interface may bring; renewals never count. 0: no limit.")
	flag.Float64Var(&linkRate.Burst, "new-client-burst", linkRate.Burst, "New clients one relay or interface may bring at once.")
	zo := zap.Options{Development: false}
	flag.DurationVar(&o.ProbeInterval, "probe-interval", o.ProbeInterval, "How often each replica broadcasts a DISCOVER (never a "+
		"REQUEST) on each interface a Subnet names, checks that its own OFFER comes back (readiness check \"probe\") and reports "+
		"any other DHCP server that answers (the Subnet's RogueServer condition); 0: never.")
	flag.BoolVar(&o.BindingLog, "binding-log", o.BindingLog, "Log every binding change (bound, renewed with a write, released, "+
		"declined, expired, revoked, claimed) as one line of logger \"history\": who had which address when.")
	flag.BoolVar(&o.IPAM, "ipam", o.IPAM, "Answer Cluster API IPAddressClaims (ipam.cluster.x-k8s.io) whose poolRef names a Pool, "+
		"with IPAddresses from the same allocator as DHCP; needs the Cluster API IPAM CRDs.")
	zo.BindFlags(flag.CommandLine)
	flag.Parse()
	o.Log = zap.New(zap.UseFlagOptions(&zo))
	ctrl.SetLogger(o.Log)
	klog.SetLogger(o.Log) // client-go's leader election and reflectors
	o.QPS, o.LeaseQPS = float32(qps), float32(leaseQPS)
	o.Engine.ClientRate, o.Engine.LinkRate = &clientRate, &linkRate
	if *maxSecs > 65535 {
		fmt.Fprintf(os.Stderr, "--load-balance-max-seconds %d: at most 65535\n", *maxSecs)
		os.Exit(2)
	}
	secs := uint16(*maxSecs)
	o.Engine.MaxSeconds = &secs
	if interfaces != "" {
		o.Interfaces = strings.Split(interfaces, ",")
	}
	ap, err := netip.ParseAddrPort(dhcpAddr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "--dhcp-address %q: %v\n", dhcpAddr, err)
		os.Exit(2)
	}
	o.DHCPAddr = ap
	if err := app.Run(ctrl.SetupSignalHandler(), o); err != nil {
		o.Log.Error(err, "exiting")
		os.Exit(1)
	}
}
