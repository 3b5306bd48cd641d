package migrate

import (
	"fmt"
	"strconv"
	"strings"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
)

// cond is what a class test or a boot rule's condition asks of a client,
// in the criteria kubedhcp matches on.
type cond struct {
	vendorClass       string
	vendorClassPrefix string
	userClass         string
	arch              []dhcpv1alpha1.ClientArch
	known             dhcpv1alpha1.KnownClients
}

func (c cond) empty() bool {
	return c.vendorClass == "" && c.vendorClassPrefix == "" && c.userClass == "" && len(c.arch) == 0 && c.known == ""
}

func (c cond) classes() *dhcpv1alpha1.ClientClasses {
	return &dhcpv1alpha1.ClientClasses{VendorClass: c.vendorClass, VendorClassPrefix: c.vendorClassPrefix, UserClass: c.userClass,
		ClientArch: c.arch, KnownClients: c.known}
}

// bootMatch is c as a boot rule's match; a boot rule cannot ask for an
// exact vendor class or known clients.
func (c cond) bootMatch() (dhcpv1alpha1.BootMatch, error) {
	if c.vendorClass != "" || c.known != "" {
		return dhcpv1alpha1.BootMatch{}, fmt.Errorf("a boot rule matches vendor class prefixes, user class and architecture only")
	}
	return dhcpv1alpha1.BootMatch{ClientArch: c.arch, UserClass: c.userClass, VendorClassPrefix: c.vendorClassPrefix}, nil
}

// and is c and d together; an error when both ask for the same criterion.
func (c cond) and(d cond) (cond, error) {
	both := func(a, b string) bool { return a != "" && b != "" && a != b }
	if both(c.vendorClass, d.vendorClass) || both(c.vendorClassPrefix, d.vendorClassPrefix) || both(c.userClass, d.userClass) ||
		(len(c.arch) > 0 && len(d.arch) > 0) || both(string(c.known), string(d.known)) {
		return c, fmt.Errorf("two tests of one criterion")
	}
	pick := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	return cond{vendorClass: pick(c.vendorClass, d.vendorClass), vendorClassPrefix: pick(c.vendorClassPrefix, d.vendorClassPrefix),
		userClass: pick(c.userClass, d.userClass), arch: append(c.arch, d.arch...),
		known: dhcpv1alpha1.KnownClients(pick(string(c.known), string(d.known)))}, nil
}

// optionCodes are the option names a test may name: ISC dhcpd's and
// Kea's, and those configurations commonly declare for option 93.
var optionCodes = map[string]int{"vendor-class-identifier": 60, "user-class": 77, "arch": 93, "pxe-system-type": 93,
	"client-arch": 93, "client-architecture": 93, "architecture-type": 93, "pxe-client-arch": 93}

// parseCond reads a class test or an if condition of ISC dhcpd or Kea: a
// conjunction ("and") of equality tests of the vendor class (option 60),
// whole or a leading substring, the user class (77) and the architecture
// (93, alternatives joined by "or"), and Kea's member('KNOWN'). names adds
// option names the file declared.
func parseCond(expr string, names map[string]int) (cond, error) {
	toks := tokenize(expr)
	var out cond
	for _, part := range splitTop(toks, "and") {
		part = unparen(part)
		var c cond
		var err error
		if alts := splitTop(part, "or"); len(alts) > 1 {
			c, err = archAlternatives(alts, names)
		} else {
			c, err = atom(part, names)
		}
		if err != nil {
			return out, err
		}
		if out, err = out.and(c); err != nil {
			return out, err
		}
	}
	return out, nil
}

func archAlternatives(alts [][]string, names map[string]int) (cond, error) {
	var c cond
	for _, a := range alts {
		one, err := atom(unparen(a), names)
		if err != nil {
			return c, err
		}
		if len(one.arch) != 1 || one.userClass != "" || one.vendorClass != "" || one.vendorClassPrefix != "" {
			return c, fmt.Errorf("\"or\" is matched only between architectures")
		}
		c.arch = append(c.arch, one.arch...)
	}
	return c, nil
}

// atom reads one test: [substring(] option NAME | option[CODE].hex|.text
// [, 0, N)] =|== VALUE, exists NAME, or member('KNOWN'|'UNKNOWN').
func atom(t []string, names map[string]int) (cond, error) {
	text := strings.Join(t, " ")
	if c, ok := existsOrMember(t); ok {
		return c, nil
	}
	sub := -1
	if len(t) > 2 && t[0] == "substring" && t[1] == "(" {
		t = t[2:]
		sub = 0
	}
	code, rest, ok := optionRef(t, names)
	if !ok {
		return cond{}, fmt.Errorf("%q: not a test kubedhcp can match", text)
	}
	if sub == 0 {
		if len(rest) < 5 || rest[0] != "," || rest[1] != "0" || rest[2] != "," || rest[4] != ")" {
			return cond{}, fmt.Errorf("%q: only a leading substring can be matched", text)
		}
		n, err := strconv.Atoi(rest[3])
		if err != nil {
			return cond{}, fmt.Errorf("%q: substring length", text)
		}
		sub, rest = n, rest[5:]
	}
	if len(rest) != 2 || (rest[0] != "=" && rest[0] != "==") {
		return cond{}, fmt.Errorf("%q: not an equality test", text)
	}
	return equalTest(code, sub, rest[1], text)
}

// existsOrMember reads "exists NAME" (implied by the equality test beside
// it) and Kea's member('KNOWN') and member('UNKNOWN').
func existsOrMember(t []string) (cond, bool) {
	switch {
	case len(t) == 2 && t[0] == "exists":
		return cond{}, true
	case len(t) == 4 && t[0] == "member" && t[1] == "(" && t[3] == ")":
		switch strings.Trim(t[2], `'"`) {
		case "KNOWN":
			return cond{known: dhcpv1alpha1.KnownClientsOnly}, true
		case "UNKNOWN":
			return cond{known: dhcpv1alpha1.KnownClientsDeny}, true
		}
	}
	return cond{}, false
}

// optionRef reads "option NAME" or "option [ CODE|NAME ] [.hex|.text]".
func optionRef(t []string, names map[string]int) (int, []string, bool) {
	if len(t) < 2 || t[0] != "option" {
		return 0, nil, false
	}
	name, rest := t[1], t[2:]
	if name == "[" {
		if len(t) < 4 || t[3] != "]" {
			return 0, nil, false
		}
		name, rest = t[2], t[4:]
		if len(rest) > 0 && (rest[0] == ".hex" || rest[0] == ".text") {
			rest = rest[1:]
		}
	}
	if code, err := strconv.Atoi(name); err == nil {
		return code, rest, true
	}
	if code, ok := names[name]; ok {
		return code, rest, true
	}
	code, ok := optionCodes[name]
	return code, rest, ok
}

// equalTest is option code (its first sub octets when sub >= 0) equal to
// value.
func equalTest(code, sub int, value, text string) (cond, error) {
	quoted := len(value) >= 2 && (value[0] == '"' || value[0] == '\'')
	s := strings.Trim(value, `'"`)
	switch {
	case code == 93 && !quoted && sub < 0:
		n, err := archNumber(s)
		if err != nil {
			return cond{}, fmt.Errorf("%q: %w", text, err)
		}
		return cond{arch: []dhcpv1alpha1.ClientArch{dhcpv1alpha1.ClientArch(n)}}, nil
	case !quoted:
		return cond{}, fmt.Errorf("%q: compared with a string only", text)
	case code == 60 && sub < 0:
		return cond{vendorClass: s}, nil
	case code == 60 && sub == len(s):
		return cond{vendorClassPrefix: s}, nil
	case code == 77 && sub < 0:
		return cond{userClass: s}, nil
	}
	return cond{}, fmt.Errorf("%q: not a test kubedhcp can match", text)
}

// archNumber reads an architecture written 7, 0x0007 or 00:07.
func archNumber(s string) (uint16, error) {
	var n uint64
	var err error
	switch {
	case strings.HasPrefix(s, "0x"):
		n, err = strconv.ParseUint(s[2:], 16, 16)
	case strings.Contains(s, ":"):
		n, err = strconv.ParseUint(strings.ReplaceAll(s, ":", ""), 16, 16)
	default:
		n, err = strconv.ParseUint(s, 10, 16)
	}
	if err != nil {
		return 0, fmt.Errorf("%q is not an architecture number", s)
	}
	return uint16(n), nil
}

// tokenize splits an expression into words, quoted strings and the
// punctuation ( ) [ ] , = ==.
func tokenize(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'':
			end := len(s)
			if j := strings.IndexByte(s[i+1:], c); j >= 0 {
				end = i + j + 2
			}
			out = append(out, s[i:end])
			i = end
		case c == '=' && i+1 < len(s) && s[i+1] == '=':
			out = append(out, "==")
			i += 2
		case strings.IndexByte("()[],=", c) >= 0:
			out = append(out, string(c))
			i++
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t\r\n\"'()[],=", s[j]) < 0 {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

// splitTop splits t at the word sep outside parentheses.
func splitTop(t []string, sep string) [][]string {
	var out [][]string
	depth, start := 0, 0
	for i, w := range t {
		switch {
		case w == "(":
			depth++
		case w == ")":
			depth--
		case w == sep && depth == 0:
			out = append(out, t[start:i])
			start = i + 1
		}
	}
	return append(out, t[start:])
}

// unparen strips parentheses around the whole of t.
func unparen(t []string) []string {
	for len(t) >= 2 && t[0] == "(" && t[len(t)-1] == ")" {
		depth := 0
		closesAtEnd := true
		for i, w := range t {
			if w == "(" {
				depth++
			} else if w == ")" {
				depth--
				if depth == 0 && i != len(t)-1 {
					closesAtEnd = false
					break
				}
			}
		}
		if !closesAtEnd {
			break
		}
		t = t[1 : len(t)-1]
	}
	return t
}
