package migrate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// jnode is one JSON value of a Kea configuration with the line it starts
// on, so that what does not map can be listed by line.
type jnode struct {
	line   int
	fields []jfield // an object's members, in order
	items  []*jnode // an array's items
	value  any      // a scalar: string, json.Number, bool or nil
	kind   byte     // '{', '[' or 'v'
}

// jfield is one member of an object.
type jfield struct {
	key  string
	line int
	val  *jnode
}

// str is n as a string, empty when it is not one.
func (n *jnode) str() string {
	if n == nil {
		return ""
	}
	s, _ := n.value.(string)
	return s
}

// text is a short rendering of n for a listing.
func (n *jnode) text() string {
	switch n.kind {
	case '{':
		return "{...}"
	case '[':
		return "[...]"
	}
	if s, ok := n.value.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(n.value)
}

// parseJSONC reads JSON with the comments Kea allows (#, // and /* */)
// and the trailing commas its own sample configuration has.
func parseJSONC(src []byte) (*jnode, error) {
	clean := stripTrailingCommas(stripComments(src))
	newlines := []int{}
	for i, c := range clean {
		if c == '\n' {
			newlines = append(newlines, i)
		}
	}
	p := &jparser{dec: json.NewDecoder(bytes.NewReader(clean)), newlines: newlines}
	p.dec.UseNumber()
	n, err := p.value()
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", p.line(), err)
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("line %d: more after the configuration's end", p.line())
	}
	return n, nil
}

type jparser struct {
	dec      *json.Decoder
	newlines []int
}

// line is the line of the decoder's position.
func (p *jparser) line() int {
	off := int(p.dec.InputOffset())
	return sort.SearchInts(p.newlines, off) + 1
}

func (p *jparser) value() (*jnode, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, err
	}
	n := &jnode{line: p.line(), kind: 'v'}
	switch tok {
	case json.Delim('{'):
		n.kind = '{'
		for p.dec.More() {
			k, err := p.dec.Token()
			if err != nil {
				return nil, err
			}
			f := jfield{key: fmt.Sprint(k), line: p.line()}
			if f.val, err = p.value(); err != nil {
				return nil, err
			}
			n.fields = append(n.fields, f)
		}
		_, err = p.dec.Token()
	case json.Delim('['):
		n.kind = '['
		for p.dec.More() {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
		}
		_, err = p.dec.Token()
	default:
		n.value = tok
	}
	return n, err
}

// stripComments blanks out comments outside strings, keeping newlines so
// that lines still count.
func stripComments(src []byte) []byte {
	out := bytes.Clone(src)
	eachOutsideStrings(out, func(i int) int {
		switch {
		case out[i] == '#' || bytes.HasPrefix(out[i:], []byte("//")):
			for ; i < len(out) && out[i] != '\n'; i++ {
				out[i] = ' '
			}
			return i
		case bytes.HasPrefix(out[i:], []byte("/*")):
			stop := len(out)
			if end := bytes.Index(out[i+2:], []byte("*/")); end >= 0 {
				stop = i + 2 + end + 2
			}
			for ; i < stop; i++ {
				if out[i] != '\n' {
					out[i] = ' '
				}
			}
			return stop
		}
		return i + 1
	})
	return out
}

// stripTrailingCommas blanks out each comma outside strings that only
// space separates from the '}' or ']' after it.
func stripTrailingCommas(src []byte) []byte {
	eachOutsideStrings(src, func(i int) int {
		if src[i] == ',' {
			rest := bytes.TrimLeft(src[i+1:], " \t\r\n")
			if len(rest) > 0 && (rest[0] == '}' || rest[0] == ']') {
				src[i] = ' '
			}
		}
		return i + 1
	})
	return src
}

// eachOutsideStrings calls f with the index of each byte outside JSON
// strings; f returns the index to go on from, past i.
func eachOutsideStrings(src []byte, f func(i int) int) {
	inString := false
	for i := 0; i < len(src); {
		switch c := src[i]; {
		case inString && c == '\\':
			i += 2
		case inString:
			inString = c != '"'
			i++
		case c == '"':
			inString = true
			i++
		default:
			i = f(i)
		}
	}
}

// ignorable are members that document rather than configure.
func ignorable(key string) bool {
	return key == "comment" || key == "user-context" || strings.HasPrefix(key, "//")
}
