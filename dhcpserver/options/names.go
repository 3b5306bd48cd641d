package options

import (
	"fmt"
	"strings"
)

// DomainList encodes names as RFC 1035 §3.1 names, one after another. With
// compress, a name's suffix already written is replaced by a pointer to it
// (RFC 1035 §4.1.4), as RFC 3397 asks for option 119; offsets count from
// the start of the option data.
func DomainList(names []string, compress bool) ([]byte, error) {
	var b []byte
	seen := map[string]int{}
	for _, name := range names {
		labels, err := splitName(name)
		if err != nil {
			return nil, err
		}
		b = appendName(b, labels, seen, compress)
	}
	return b, nil
}

func appendName(b []byte, labels []string, seen map[string]int, compress bool) []byte {
	for i := range labels {
		suffix := strings.Join(labels[i:], ".")
		if off, ok := seen[suffix]; ok && compress {
			return append(b, 0xc0|byte(off>>8), byte(off))
		}
		if len(b) < 0x3fff {
			seen[suffix] = len(b)
		}
		b = append(b, byte(len(labels[i])))
		b = append(b, labels[i]...)
	}
	return append(b, 0)
}

// splitName splits a domain name into its labels, checking RFC 1035 limits.
func splitName(name string) ([]string, error) {
	name = strings.TrimSuffix(strings.TrimSpace(name), ".")
	if name == "" {
		return nil, fmt.Errorf("empty domain name")
	}
	if len(name) > 253 {
		return nil, fmt.Errorf("domain name %q is longer than 253 characters", name)
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return nil, fmt.Errorf("domain name %q has a label of %d characters (1-63 allowed)", name, len(l))
		}
	}
	return labels, nil
}
