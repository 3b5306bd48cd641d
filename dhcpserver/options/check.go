package options

import "fmt"

// Required are the configuration options a client cannot do without:
// the subnet mask, routers, DNS servers, domain name and host name. A
// reply that cannot hold every option leaves others out first.
var Required = []uint8{CodeSubnetMask, CodeRouters, CodeDNSServers, CodeDomainName, CodeHostname}

// typedFields names the field of each code a typed option sets.
var typedFields = map[uint8]string{CodeTimeOffset: "timeOffset", CodeRouters: "routers", CodeTimeServers: "timeServers",
	CodeDNSServers: "dnsServers", CodeLogServers: "logServers", CodeDomainName: "domainName", CodeRootPath: "rootPath",
	CodeInterfaceMTU: "interfaceMTU", CodeBroadcastAddress: "broadcastAddress", CodeNTPServers: "ntpServers",
	CodeNetBIOSNameServers: "netbiosNameServers", CodeNetBIOSNodeType: "netbiosNodeType", CodeTFTPServerName: "tftpServerName",
	CodeBootFileName: "bootFileName", CodeDomainSearch: "domainSearch", CodeClasslessRoutes: "classlessStaticRoutes"}

// Check reports the first custom option that sets a code the server owns,
// repeats another custom option's code, or sets the code of a typed
// option set beside it (which of the two would apply is then unclear).
// The error names the field, as customOptions[2].code.
func (o Options) Check() error {
	typed, err := Encode(Options{Routers: o.Routers, DNSServers: o.DNSServers, DomainName: o.DomainName,
		DomainSearch: o.DomainSearch, NTPServers: o.NTPServers, TimeOffset: o.TimeOffset, InterfaceMTU: o.InterfaceMTU,
		BroadcastAddress: o.BroadcastAddress, ClasslessRoutes: o.ClasslessRoutes, TFTPServerName: o.TFTPServerName,
		BootFileName: o.BootFileName, NetBIOSNameServers: o.NetBIOSNameServers, NetBIOSNodeType: o.NetBIOSNodeType,
		TimeServers: o.TimeServers, LogServers: o.LogServers, RootPath: o.RootPath})
	if err != nil {
		return err
	}
	seen := map[uint8]int{}
	for i, c := range o.Custom {
		switch j, dup := seen[c.Code]; {
		case ServerOwned(c.Code):
			return fmt.Errorf("customOptions[%d].code: %d is set by the server and cannot be configured", i, c.Code)
		case dup:
			return fmt.Errorf("customOptions[%d].code: %d is also set by customOptions[%d]", i, c.Code, j)
		case typed.Has(c.Code):
			return fmt.Errorf("customOptions[%d].code: %d is also set by options.%s: set it in one place", i, c.Code, typedFields[c.Code])
		}
		seen[c.Code] = i
	}
	return nil
}
