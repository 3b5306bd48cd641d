package config

import (
	"fmt"
	"sort"

	"github.com/kubedhcp/kubedhcp/dhcpserver/options"
)

// Room for options in a reply to a client that accepts only the smallest
// message RFC 2131 allows (576 octets with IP and UDP headers): the
// options field, less the end option, and the file and sname fields when
// a boot file or server name does not fill them (RFC 2132 §9.3), less
// option 52 that says so. The server's own options (53, 54, 51, 58, 59)
// always go, and room is kept for the client identifier and relay agent
// information it echoes.
const (
	optionsRoom   = 576 - 28 - 236 - 4 - 1
	fileRoom      = 128 - 1
	snameRoom     = 64 - 1
	overloadCost  = 3
	serverOptions = 3 + 6 + 6 + 6 + 6
	echoReserve   = 64
)

// replyRoom is the room for configured options in a smallest reply, with
// boot settings b.
func replyRoom(b *Boot) int {
	room := optionsRoom - serverOptions - echoReserve - overloadCost
	if b == nil || len(b.Rules) == 0 {
		room += fileRoom
	}
	if b == nil || b.ServerName == "" {
		room += snameRoom
	}
	return room
}

// encodedLen is the length of an option on the wire, split into parts of
// 255 octets (RFC 3396).
func encodedLen(v []byte) int { return len(v) + 2*(len(v)/255+1) }

// checkSize fails when the required options of set (options.Required) do
// not fit a smallest reply, and adds a Warning when all of set does not:
// such a client then gets the required options and what fits of the rest.
func (sn *Subnet) checkSize(set options.Set, kind, name string, boot *Boot, fs *faults) error {
	room := replyRoom(boot)
	required, total := 0, 0
	type sized struct{ code, n int }
	var others []sized
	for _, c := range set.Codes() {
		v, _ := set.Get(c)
		n := encodedLen(v)
		total += n
		if isRequired(c) {
			required += n
		} else {
			others = append(others, sized{int(c), n})
		}
	}
	if required > room {
		return fmt.Errorf("spec.options: the subnet mask, routers, DNS servers, domain name and host name take %d octets; "+
			"a reply to a client that accepts only 576-octet messages has room for %d", required, room)
	}
	if total > room {
		sort.Slice(others, func(i, j int) bool { return others[i].n > others[j].n })
		fs.add(kind, name, Warning, "spec.customOptions: the options take %d octets, more than the %d a reply to a client "+
			"that accepts only 576-octet messages holds: such a client gets the subnet mask, routers, DNS servers, domain "+
			"and host name, and of the others what fits (largest: code %d, %d octets)", total, room, others[0].code, others[0].n)
	}
	return nil
}

func isRequired(code uint8) bool {
	for _, c := range options.Required {
		if c == code {
			return true
		}
	}
	return false
}

// check says what is wrong with boot settings, naming the field.
func (b *Boot) check(custom []options.Custom) error {
	if b == nil {
		return nil
	}
	if b.NextServer.IsValid() && !b.NextServer.Is4() {
		return fmt.Errorf("spec.boot.nextServer: %s is not IPv4", b.NextServer)
	}
	if len(b.ServerName) >= snameRoom+1 {
		return fmt.Errorf("spec.boot.serverName: longer than %d octets", snameRoom)
	}
	for i, c := range custom {
		if c.Code == options.CodeBootFileName {
			return fmt.Errorf("spec.customOptions[%d].code: 67 is also set by spec.boot: choose boot files with spec.boot.rules", i)
		}
	}
	return nil
}
