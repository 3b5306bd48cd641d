package engine

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/kubedhcp/kubedhcp/dhcpserver/config"
	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
	"github.com/kubedhcp/kubedhcp/dhcpserver/probe"
)

func u32(b []byte) uint32 {
	if len(b) != 4 {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func TestDiscoverOffer(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	q := discover(mac(1), dhcpv4.WithRequestedOptions(dhcpv4.OptionDomainNameServer, dhcpv4.OptionRouter,
		dhcpv4.OptionSubnetMask, dhcpv4.OptionNTPServers, dhcpv4.OptionTimeServer))
	q.NumSeconds = 7
	q.HopCount = 0
	r := h.mustReply(q, eth1, dhcpv4.MessageTypeOffer)
	m := r.Msg
	checks := []struct {
		name      string
		got, want any
	}{
		{"op", m.OpCode, dhcpv4.OpcodeBootReply},
		{"htype", m.HWType, iana.HWTypeEthernet},
		{"hops", m.HopCount, uint8(0)},
		{"xid", m.TransactionID, q.TransactionID},
		{"secs", m.NumSeconds, uint16(0)},
		{"flags", m.Flags, q.Flags},
		{"ciaddr", addrOf(m.ClientIPAddr), netip.Addr{}},
		{"yiaddr", addrOf(m.YourIPAddr), ip("10.0.0.10")},
		{"siaddr", addrOf(m.ServerIPAddr), netip.Addr{}},
		{"giaddr", addrOf(m.GatewayIPAddr), netip.Addr{}},
		{"chaddr", m.ClientHWAddr.String(), mac(1).String()},
		{"server id", addrOf(m.ServerIdentifier()), serverIP},
		{"lease time", u32(m.Options.Get(dhcpv4.OptionIPAddressLeaseTime)), uint32(600)},
		{"T1", u32(m.Options.Get(dhcpv4.OptionRenewTimeValue)), uint32(300)},
		{"T2", u32(m.Options.Get(dhcpv4.OptionRebindingTimeValue)), uint32(525)},
		{"mask", net.IP(m.Options.Get(dhcpv4.OptionSubnetMask)).String(), "255.255.255.0"},
		{"routers", net.IP(m.Options.Get(dhcpv4.OptionRouter)).String(), "10.0.0.1"},
		{"dns", net.IP(m.Options.Get(dhcpv4.OptionDomainNameServer)).String(), "10.0.0.2"},
		{"domain", string(m.Options.Get(dhcpv4.OptionDomainName)), "corp.example"},
		{"ntp (asked, configured)", net.IP(m.Options.Get(dhcpv4.OptionNTPServers)).String(), "10.0.0.3"},
		{"time servers (asked, not configured)", m.Options.Has(dhcpv4.OptionTimeServer), false},
		{"netbios (configured, not asked)", m.Options.Has(dhcpv4.OptionNetBIOSOverTCPIPNameServer), false},
		{"client id (none sent)", m.Options.Has(dhcpv4.OptionClientIdentifier), false},
		{"dest", r.Dest.Addr, netip.MustParseAddrPort("10.0.0.10:68")},
		{"dest hw", r.Dest.HWAddr.String(), mac(1).String()},
		{"max size", r.MaxSize, 548},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// Options in the client's order, after the message type and server id,
	// then the lease times, then the mandatory ones it did not ask for.
	want := []uint8{53, 54, 51, 58, 59, 6, 3, 1, 42, 15}
	if !slices.Equal(r.Order, want) {
		t.Errorf("order %v, want %v", r.Order, want)
	}
}

func TestMaxMessageSize(t *testing.T) {
	tests := []struct {
		sent uint16 // 0: none
		want int
	}{{0, 548}, {1500, 1472}, {300, 548}, {576, 548}}
	for _, tt := range tests {
		h := newHarness(t, []*config.Subnet{office()})
		var mods []dhcpv4.Modifier
		if tt.sent > 0 {
			mods = append(mods, dhcpv4.WithOption(dhcpv4.OptMaxMessageSize(tt.sent)))
		}
		if r := h.mustReply(discover(mac(1), mods...), eth1, dhcpv4.MessageTypeOffer); r.MaxSize != tt.want {
			t.Errorf("option 57 = %d: max size %d, want %d", tt.sent, r.MaxSize, tt.want)
		}
	}
}

func TestDiscoverDestinations(t *testing.T) {
	tests := []struct {
		name  string
		mods  []dhcpv4.Modifier
		want  string
		bcast bool
		hw    bool
	}{
		{"unicast to chaddr", nil, "10.0.0.10:68", false, true},
		{"broadcast flag", []dhcpv4.Modifier{dhcpv4.WithBroadcast(true)}, "255.255.255.255:68", true, false},
		{"relayed", []dhcpv4.Modifier{relayed("10.0.0.1")}, "10.0.0.1:67", false, false},
		{"relayed with broadcast flag", []dhcpv4.Modifier{relayed("10.0.0.1"), dhcpv4.WithBroadcast(true)}, "10.0.0.1:67", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []*config.Subnet{office()})
			r := h.mustReply(discover(mac(1), tt.mods...), eth1, dhcpv4.MessageTypeOffer)
			if r.Dest.Addr.String() != tt.want || r.Dest.Broadcast != tt.bcast || (r.Dest.HWAddr != nil) != tt.hw {
				t.Errorf("dest %+v, want %s broadcast=%v hw=%v", r.Dest, tt.want, tt.bcast, tt.hw)
			}
		})
	}
}

func TestDiscoverSilence(t *testing.T) {
	reply := discover(mac(1))
	reply.OpCode = dhcpv4.OpcodeBootReply
	noType := discover(mac(1))
	noType.Options.Del(dhcpv4.OptionDHCPMessageType)
	tests := []struct {
		name   string
		m      *dhcpv4.DHCPv4
		in     Meta
		reason Reason
	}{
		{"BOOTREPLY", reply, eth1, "notRequest"},
		{"no message type (BOOTP)", noType, eth1, "noMessageType"},
		{"unknown interface", discover(mac(1)), Meta{Interface: "eth9", LocalAddr: serverIP}, "noSubnet"},
		{"unknown relay", discover(mac(1), relayed("192.168.9.1")), eth1, "noSubnet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []*config.Subnet{office()})
			h.mustSilence(tt.m, tt.in, tt.reason)
		})
	}
}

func TestDiscoverChoosesAddress(t *testing.T) {
	h := newHarness(t, []*config.Subnet{office()})
	// A requested address in the pool is honoured.
	r := h.mustReply(discover(mac(1), dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.ParseIP("10.0.0.15")))), eth1, dhcpv4.MessageTypeOffer)
	if got := addrOf(r.Msg.YourIPAddr); got != ip("10.0.0.15") {
		t.Errorf("requested 10.0.0.15, offered %s", got)
	}
	// The offer is held: another client asking for it gets another one.
	r2 := h.mustReply(discover(mac(2), dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.ParseIP("10.0.0.15")))), eth1, dhcpv4.MessageTypeOffer)
	if got := addrOf(r2.Msg.YourIPAddr); got == ip("10.0.0.15") {
		t.Errorf("two clients offered %s", got)
	}
	// A requested address outside every pool is not.
	r3 := h.mustReply(discover(mac(3), dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.ParseIP("10.0.0.99")))), eth1, dhcpv4.MessageTypeOffer)
	if got := addrOf(r3.Msg.YourIPAddr); got == ip("10.0.0.99") {
		t.Errorf("offered %s outside the pool", got)
	}
	// The same client asking again gets the same offer.
	r4 := h.mustReply(discover(mac(1)), eth1, dhcpv4.MessageTypeOffer)
	if got := addrOf(r4.Msg.YourIPAddr); got != ip("10.0.0.15") {
		t.Errorf("retransmitted DISCOVER offered %s, want 10.0.0.15 again", got)
	}
}

func TestDiscoverRequestedLeaseTime(t *testing.T) {
	tests := []struct {
		asked time.Duration
		want  uint32
	}{
		{0, 600},
		{30 * time.Minute, 1800},
		{10 * time.Second, 60},           // below min
		{48 * time.Hour, 3600},           // above max
		{0xffffffff * time.Second, 3600}, // infinite, capped
	}
	for _, tt := range tests {
		h := newHarness(t, []*config.Subnet{office()})
		mods := []dhcpv4.Modifier{}
		if tt.asked > 0 {
			mods = append(mods, dhcpv4.WithLeaseTime(uint32(tt.asked/time.Second)))
		}
		r := h.mustReply(discover(mac(1), mods...), eth1, dhcpv4.MessageTypeOffer)
		if got := u32(r.Msg.Options.Get(dhcpv4.OptionIPAddressLeaseTime)); got != tt.want {
			t.Errorf("asked %v: lease %d, want %d", tt.asked, got, tt.want)
		}
	}
}

func TestDiscoverExhausted(t *testing.T) {
	sn := office()
	sn.Pools[0].Ranges = []config.Range{{Start: ip("10.0.0.10"), End: ip("10.0.0.11")}}
	h := newHarness(t, []*config.Subnet{sn})
	h.dora(mac(1))
	offered := h.mustReply(discover(mac(2)), eth1, dhcpv4.MessageTypeOffer)
	h.mustSilence(discover(mac(3)), eth1, "noFreeAddress")
	if len(h.obs.exhausted) != 1 {
		t.Errorf("exhausted events %v, want one", h.obs.exhausted)
	}
	// Offers lapse: an offered, never requested address frees up.
	h.clock.Advance(31 * time.Second)
	r := h.mustReply(discover(mac(3)), eth1, dhcpv4.MessageTypeOffer)
	if addrOf(r.Msg.YourIPAddr) != addrOf(offered.Msg.YourIPAddr) {
		t.Errorf("offered %s, want the lapsed offer's %s", r.Msg.YourIPAddr, offered.Msg.YourIPAddr)
	}
}

func TestReservationAndDenyUnknown(t *testing.T) {
	sn := office()
	sn.DenyUnknownClients = true
	sn.Reservations = []*config.Reservation{
		{Name: "printer", MAC: mac(5), Addr: ip("10.0.0.5"), Hostname: "printer-2f"},
		{Name: "pc01", ClientID: []byte{1, 0, 0x16, 0x41, 0xe0, 0xf9, 0x1c}, Addr: ip("10.0.0.50"), Hostname: "MyClientPC01",
			Options: options.Options{DNSServers: []netip.Addr{ip("10.0.0.3")}}},
	}
	h := newHarness(t, []*config.Subnet{sn})
	ack := h.dora(mac(5))
	if got := addrOf(ack.Msg.YourIPAddr); got != ip("10.0.0.5") {
		t.Errorf("reserved MAC got %s, want 10.0.0.5", got)
	}
	if got := string(ack.Msg.Options.Get(dhcpv4.OptionHostName)); got != "printer-2f" {
		t.Errorf("hostname %q, want printer-2f", got)
	}
	cid := dhcpv4.WithOption(dhcpv4.OptClientIdentifier([]byte{1, 0, 0x16, 0x41, 0xe0, 0xf9, 0x1c}))
	ack = h.dora(mac(0x1c), cid)
	if got := addrOf(ack.Msg.YourIPAddr); got != ip("10.0.0.50") {
		t.Errorf("reserved client ID got %s, want 10.0.0.50", got)
	}
	if got := net.IP(ack.Msg.Options.Get(dhcpv4.OptionDomainNameServer)).String(); got != "10.0.0.3" {
		t.Errorf("reservation's DNS override: got %s, want 10.0.0.3", got)
	}
	if got := ack.Msg.Options.Get(dhcpv4.OptionClientIdentifier); !bytes.Equal(got, []byte{1, 0, 0x16, 0x41, 0xe0, 0xf9, 0x1c}) {
		t.Errorf("client id not echoed (RFC 6842): %v", got)
	}
	h.mustSilence(discover(mac(9)), eth1, "unknownClient")
	if len(h.obs.refused) != 1 {
		t.Errorf("refused events %v, want one", h.obs.refused)
	}
	b, ok := h.store.Get("office", ip("10.0.0.5"))
	if !ok || b.Reservation != "printer" || b.Hostname != "printer-2f" {
		t.Errorf("stored binding %+v, want reservation printer and hostname printer-2f", b)
	}
}

func TestClientClasses(t *testing.T) {
	sn := office()
	sn.Pools = append(sn.Pools, &config.Pool{Name: "windows", Ranges: []config.Range{{Start: ip("10.0.0.200"), End: ip("10.0.0.209")}},
		Classes:    &config.Classes{VendorClass: "MSFT 5.0"},
		LeaseTimes: config.LeaseTimes{Default: 30 * time.Minute}},
		&config.Pool{Name: "pxe", Ranges: []config.Range{{Start: ip("10.0.0.100"), End: ip("10.0.0.109")}},
			Classes: &config.Classes{VendorClassPrefix: "PXEClient", ClientArch: []uint16{0, 7}}},
		&config.Pool{Name: "rack1", Ranges: []config.Range{{Start: ip("10.0.0.150"), End: ip("10.0.0.159")}},
			Classes: &config.Classes{CircuitID: []byte("ge-0/0/1")}},
		&config.Pool{Name: "ipxe", Ranges: []config.Range{{Start: ip("10.0.0.160"), End: ip("10.0.0.169")}},
			Classes: &config.Classes{UserClass: "iPXE"}})
	tests := []struct {
		name   string
		mods   []dhcpv4.Modifier
		lo, hi string
		lease  uint32
	}{
		{"no class", nil, "10.0.0.10", "10.0.0.19", 600},
		{"MSFT 5.0", []dhcpv4.Modifier{dhcpv4.WithOption(dhcpv4.OptClassIdentifier("MSFT 5.0"))}, "10.0.0.200", "10.0.0.209", 1800},
		{"MSFT 98 (not exact)", []dhcpv4.Modifier{dhcpv4.WithOption(dhcpv4.OptClassIdentifier("MSFT 98"))}, "10.0.0.10", "10.0.0.19", 600},
		{"PXE arch 7", []dhcpv4.Modifier{dhcpv4.WithOption(dhcpv4.OptClassIdentifier("PXEClient:Arch:00007:UNDI:003016")),
			dhcpv4.WithOption(dhcpv4.OptClientArch(iana.EFI_X86_64))}, "10.0.0.100", "10.0.0.109", 600},
		{"PXE arch 11 (not listed)", []dhcpv4.Modifier{dhcpv4.WithOption(dhcpv4.OptClassIdentifier("PXEClient:Arch:00011")),
			dhcpv4.WithOption(dhcpv4.OptClientArch(iana.EFI_ARM64))}, "10.0.0.10", "10.0.0.19", 600},
		{"circuit id", []dhcpv4.Modifier{relayed("10.0.0.1"), dhcpv4.WithOption(dhcpv4.OptRelayAgentInfo(
			dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(1), []byte("ge-0/0/1"))))}, "10.0.0.150", "10.0.0.159", 600},
		{"iPXE user class", []dhcpv4.Modifier{dhcpv4.WithOption(dhcpv4.OptUserClass("iPXE"))}, "10.0.0.160", "10.0.0.169", 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []*config.Subnet{sn})
			r := h.mustReply(discover(mac(1), tt.mods...), eth1, dhcpv4.MessageTypeOffer)
			got := addrOf(r.Msg.YourIPAddr)
			if got.Less(ip(tt.lo)) || ip(tt.hi).Less(got) {
				t.Errorf("offered %s, want %s-%s", got, tt.lo, tt.hi)
			}
			if l := u32(r.Msg.Options.Get(dhcpv4.OptionIPAddressLeaseTime)); l != tt.lease {
				t.Errorf("lease %d, want %d", l, tt.lease)
			}
		})
	}
}

func TestClassedClientFallsBackWhenItsPoolIsFull(t *testing.T) {
	sn := office()
	sn.Pools = append(sn.Pools, &config.Pool{Name: "windows", Ranges: []config.Range{{Start: ip("10.0.0.200"), End: ip("10.0.0.200")}},
		Classes: &config.Classes{VendorClass: "MSFT 5.0"}})
	h := newHarness(t, []*config.Subnet{sn})
	win := dhcpv4.WithOption(dhcpv4.OptClassIdentifier("MSFT 5.0"))
	if got := addrOf(h.dora(mac(1), win).Msg.YourIPAddr); got != ip("10.0.0.200") {
		t.Fatalf("first windows client got %s, want 10.0.0.200", got)
	}
	if got := addrOf(h.dora(mac(2), win).Msg.YourIPAddr); got != ip("10.0.0.10") {
		t.Errorf("second windows client got %s, want the general pool's 10.0.0.10", got)
	}
}

func TestKnownClientsPools(t *testing.T) {
	sn := office()
	sn.Pools = []*config.Pool{
		{Name: "known", Ranges: []config.Range{{Start: ip("10.0.0.10"), End: ip("10.0.0.19")}}, Classes: &config.Classes{Known: config.KnownOnly}},
		{Name: "guests", Ranges: []config.Range{{Start: ip("10.0.0.100"), End: ip("10.0.0.109")}}, Classes: &config.Classes{Known: config.KnownDeny}},
	}
	// A known client whose reserved address is taken gets a known-only address.
	sn.Reservations = []*config.Reservation{{Name: "r", MAC: mac(5), Addr: ip("10.0.0.250")}}
	h := newHarness(t, []*config.Subnet{sn})
	if got := addrOf(h.mustReply(discover(mac(9)), eth1, dhcpv4.MessageTypeOffer).Msg.YourIPAddr); got != ip("10.0.0.100") {
		t.Errorf("unknown client got %s, want the guest pool", got)
	}
	if got := addrOf(h.mustReply(discover(mac(5)), eth1, dhcpv4.MessageTypeOffer).Msg.YourIPAddr); got != ip("10.0.0.250") {
		t.Errorf("known client got %s, want its reservation", got)
	}
}

func TestPXEBoot(t *testing.T) {
	sn := office()
	sn.Boot = &config.Boot{NextServer: ip("10.0.0.4"), ServerName: "boot.corp.example", Rules: []config.BootRule{
		{UserClass: "iPXE", File: "http://10.0.0.4/boot.ipxe"},
		{ClientArch: []uint16{0}, File: "undionly.kpxe"},
		{ClientArch: []uint16{6, 7, 9}, File: "ipxe.efi"},
	}}
	pxe := func(arch iana.Arch) []dhcpv4.Modifier {
		return []dhcpv4.Modifier{dhcpv4.WithOption(dhcpv4.OptClassIdentifier("PXEClient:Arch:00000:UNDI:002001")),
			dhcpv4.WithOption(dhcpv4.OptClientArch(arch))}
	}
	tests := []struct {
		name string
		mods []dhcpv4.Modifier
		file string
		vc   string
	}{
		{"BIOS", pxe(iana.INTEL_X86PC), "undionly.kpxe", "PXEClient"},
		{"UEFI x64", pxe(iana.EFI_X86_64), "ipxe.efi", "PXEClient"},
		{"iPXE", append(pxe(iana.INTEL_X86PC), dhcpv4.WithOption(dhcpv4.OptUserClass("iPXE")),
			dhcpv4.WithRequestedOptions(dhcpv4.OptionBootfileName)), "http://10.0.0.4/boot.ipxe", "PXEClient"},
		{"no PXE", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []*config.Subnet{sn})
			m := h.mustReply(discover(mac(1), tt.mods...), eth1, dhcpv4.MessageTypeOffer).Msg
			if m.BootFileName != tt.file {
				t.Errorf("file %q, want %q", m.BootFileName, tt.file)
			}
			if got := addrOf(m.ServerIPAddr); got != ip("10.0.0.4") || m.ServerHostName != "boot.corp.example" {
				t.Errorf("siaddr %s sname %q, want 10.0.0.4 boot.corp.example", got, m.ServerHostName)
			}
			if got := string(m.Options.Get(dhcpv4.OptionClassIdentifier)); got != tt.vc {
				t.Errorf("vendor class echoed %q, want %q", got, tt.vc)
			}
			if tt.name == "iPXE" && string(m.Options.Get(dhcpv4.OptionBootfileName)) != tt.file {
				t.Errorf("option 67 %q, want %q (asked for)", m.Options.Get(dhcpv4.OptionBootfileName), tt.file)
			}
		})
	}
}

func TestRelayAgentInfoEchoedAndLinkSelection(t *testing.T) {
	branch := &config.Subnet{Name: "branch", Prefix: netip.MustParsePrefix("10.20.0.0/24"), ServerID: ip("172.16.0.10"),
		Pools: []*config.Pool{{Name: "b", Ranges: []config.Range{{Start: ip("10.20.0.100"), End: ip("10.20.0.199")}}}}}
	h := newHarness(t, []*config.Subnet{office(), branch})
	rai := dhcpv4.OptRelayAgentInfo(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(1), []byte("port7")),
		dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(5), []byte{10, 20, 0, 0}))
	// The relay's giaddr is in office's relay list, but RFC 3527 link
	// selection names the branch network.
	r := h.mustReply(discover(mac(1), relayed("172.16.0.1"), dhcpv4.WithOption(rai)), eth1, dhcpv4.MessageTypeOffer)
	if got := addrOf(r.Msg.YourIPAddr); got.Less(ip("10.20.0.100")) {
		t.Errorf("offered %s, want one of the branch pool", got)
	}
	if got := r.Msg.Options.Get(dhcpv4.OptionRelayAgentInformation); !bytes.Equal(got, rai.Value.ToBytes()) {
		t.Errorf("option 82 echoed %v, want %v", got, rai.Value.ToBytes())
	}
	if r.Order[len(r.Order)-1] != 82 {
		t.Errorf("option 82 is not last: %v", r.Order)
	}
	if r.Dest.Addr.String() != "172.16.0.1:67" {
		t.Errorf("dest %s, want the relay 172.16.0.1:67", r.Dest.Addr)
	}
	if got := addrOf(r.Msg.ServerIdentifier()); got != ip("172.16.0.10") {
		t.Errorf("server id %s, want the branch's 172.16.0.10", got)
	}
	// Without link selection, the listed relay address selects office.
	r = h.mustReply(discover(mac(2), relayed("172.16.0.1")), eth1, dhcpv4.MessageTypeOffer)
	if got := addrOf(r.Msg.YourIPAddr); !netip.MustParsePrefix("10.0.0.0/24").Contains(got) {
		t.Errorf("offered %s, want one of office", got)
	}
}

func TestServerIDDefaultsToInterfaceAddress(t *testing.T) {
	sn := office()
	sn.ServerID = netip.Addr{}
	h := newHarness(t, []*config.Subnet{sn})
	r := h.mustReply(discover(mac(1)), Meta{Interface: "eth1", LocalAddr: ip("10.0.0.3")}, dhcpv4.MessageTypeOffer)
	if got := addrOf(r.Msg.ServerIdentifier()); got != ip("10.0.0.3") {
		t.Errorf("server id %s, want the interface's 10.0.0.3", got)
	}
}

// The self-probe's DISCOVER is answered, but its OFFER holds no address:
// the last free address offered to a probe goes to the next real client.
func TestProbeOfferHoldsNoAddress(t *testing.T) {
	sn := office()
	sn.Pools[0].Ranges = []config.Range{config.Single(ip("10.0.0.10"))}
	h := newHarness(t, []*config.Subnet{sn})
	pm, err := probe.Discover(net.HardwareAddr{0x02, 0x6b, 0, 0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if r := h.mustReply(pm, eth1, dhcpv4.MessageTypeOffer); addrOf(r.Msg.YourIPAddr) != ip("10.0.0.10") {
		t.Fatalf("probe offered %s, want 10.0.0.10", r.Msg.YourIPAddr)
	}
	if r := h.mustReply(discover(mac(1)), eth1, dhcpv4.MessageTypeOffer); addrOf(r.Msg.YourIPAddr) != ip("10.0.0.10") {
		t.Fatalf("a client after the probe was offered %s, want the one address, 10.0.0.10", r.Msg.YourIPAddr)
	}
	// A real client's OFFER does hold it.
	if _, res := h.handle(discover(mac(2)), eth1); res.Reason != ReasonNoFreeAddress {
		t.Errorf("a second client: %s, want %s while the first client's OFFER holds the address", res.Reason, ReasonNoFreeAddress)
	}
	// The probe finding the pool exhausted is no Event naming it.
	if _, res := h.handle(pm, eth1); res.Reason != ReasonNoFreeAddress {
		t.Errorf("probe on the exhausted pool: %s, want %s", res.Reason, ReasonNoFreeAddress)
	}
	if len(h.obs.exhausted) != 1 {
		t.Errorf("exhausted events %v, want only the second client's", h.obs.exhausted)
	}
}
