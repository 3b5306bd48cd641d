package options

import "sort"

// Set is a set of encoded options, one value per code. A value may be
// longer than 255 octets; the wire encoder splits it per RFC 3396. The zero
// Set is empty and ready to use. A Set is not changed after it is built.
type Set struct {
	m map[uint8][]byte
}

// Get returns the encoded value of code and whether it is set.
func (s Set) Get(code uint8) ([]byte, bool) {
	v, ok := s.m[code]
	return v, ok
}

// Has reports whether code is set.
func (s Set) Has(code uint8) bool {
	_, ok := s.m[code]
	return ok
}

// Len returns how many options are set.
func (s Set) Len() int { return len(s.m) }

// Codes returns the codes set, in ascending order.
func (s Set) Codes() []uint8 {
	codes := make([]uint8, 0, len(s.m))
	for c := range s.m {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool { return codes[i] < codes[j] })
	return codes
}

// With returns a copy of s with code set to value.
func (s Set) With(code uint8, value []byte) Set {
	m := make(map[uint8][]byte, len(s.m)+1)
	for c, v := range s.m {
		m[c] = v
	}
	m[code] = value
	return Set{m: m}
}

// Over returns the options of s, with each option of base that s does not
// set added: s overrides base option by option.
func (s Set) Over(base Set) Set {
	m := make(map[uint8][]byte, len(s.m)+len(base.m))
	for c, v := range base.m {
		m[c] = v
	}
	for c, v := range s.m {
		m[c] = v
	}
	return Set{m: m}
}
