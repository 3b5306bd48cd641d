package migrate

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ReadDhcpdLeases reads an ISC dhcpd.leases file: the last block of each
// address wins, and only those in binding state active are leases.
func ReadDhcpdLeases(r io.Reader) ([]Entry, []Skipped, error) {
	var out []Entry
	var skipped []Skipped
	var cur *Entry
	isActive := false
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		switch {
		case strings.HasPrefix(line, "lease ") && strings.HasSuffix(line, "{"):
			a, err := netip.ParseAddr(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "lease "), "{")))
			if err != nil || !a.Is4() {
				skipped = append(skipped, Skipped{Line: n, Text: line, Why: "not an IPv4 lease"})
				cur = nil
				continue
			}
			cur, isActive = &Entry{Addr: a, Line: n}, false
		case line == "}":
			if cur != nil {
				if isActive {
					out = append(out, *cur)
				} else {
					// A later free block ends an earlier active one.
					out = append(out, Entry{Addr: cur.Addr, Line: -cur.Line})
				}
			}
			cur = nil
		case cur != nil:
			if dhcpdStatement(cur, strings.TrimSuffix(line, ";")) {
				isActive = true
			}
		}
	}
	return active(latest(out)), skipped, sc.Err()
}

// dhcpdStatement applies one statement of a lease block to e, and reports
// whether it says the lease is active.
func dhcpdStatement(e *Entry, s string) bool {
	key, val, _ := strings.Cut(s, " ")
	switch key {
	case "starts":
		e.Start = dhcpdTime(val)
	case "ends":
		e.Expires = dhcpdTime(val)
	case "binding":
		return strings.TrimSpace(val) == "state active"
	case "hardware":
		if f := strings.Fields(val); len(f) == 2 && f[0] == "ethernet" {
			e.MAC, _ = net.ParseMAC(f[1])
		}
	case "uid":
		e.ClientID = dhcpdOctets(strings.TrimSpace(val))
	case "client-hostname":
		e.Hostname, _ = strconv.Unquote(strings.TrimSpace(val))
	}
	return false
}

// dhcpdTime reads "W YYYY/MM/DD HH:MM:SS" (UTC), "epoch N" or "never".
func dhcpdTime(v string) time.Time {
	f := strings.Fields(v)
	switch {
	case len(f) == 3:
		t, _ := time.Parse("2006/01/02 15:04:05", f[1]+" "+f[2])
		return t
	case len(f) == 2 && f[0] == "epoch":
		n, _ := strconv.ParseInt(f[1], 10, 64)
		return time.Unix(n, 0)
	}
	return time.Time{} // never
}

// dhcpdOctets reads a uid: a quoted string with octal escapes, or hex
// octets separated by colons.
func dhcpdOctets(v string) []byte {
	if !strings.HasPrefix(v, `"`) {
		b, _ := parseHex(v)
		return b
	}
	v = strings.TrimSuffix(strings.TrimPrefix(v, `"`), `"`)
	var out []byte
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+3 < len(v) && isOctal(v[i+1:i+4]) {
			n, _ := strconv.ParseUint(v[i+1:i+4], 8, 8)
			out = append(out, byte(n))
			i += 3
			continue
		}
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		out = append(out, v[i])
	}
	return out
}

func isOctal(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return true
}
