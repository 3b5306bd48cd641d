package migrate

import (
	"fmt"
	"strings"
)

// statement is one dhcpd.conf statement: its words, its block (if it
// opens one) and its line.
type statement struct {
	words []string
	block []statement
	line  int
}

// parseConf splits dhcpd.conf into statements: words up to ';', or up to
// '{' with the block that follows. Comments (#) and quoted strings are
// respected.
func parseConf(src string) ([]statement, error) {
	p := &confParser{src: src, line: 1}
	return p.block(true)
}

type confParser struct {
	src  string
	pos  int
	line int
}

func (p *confParser) block(top bool) ([]statement, error) {
	var out []statement
	cur := statement{}
	for {
		tok, kind := p.next()
		switch kind {
		case 0: // end of input
			if len(cur.words) > 0 {
				return out, fmt.Errorf("line %d: statement without ';'", cur.line)
			}
			if !top {
				return out, fmt.Errorf("line %d: block without '}'", p.line)
			}
			return out, nil
		case '}':
			if top {
				return out, fmt.Errorf("line %d: '}' without a block", p.line)
			}
			if len(cur.words) > 0 {
				return out, fmt.Errorf("line %d: statement without ';'", cur.line)
			}
			return out, nil
		case ';':
			if len(cur.words) > 0 {
				out = append(out, cur)
			}
			cur = statement{}
		case '{':
			inner, err := p.block(false)
			if err != nil {
				return out, err
			}
			if len(cur.words) == 0 {
				return out, fmt.Errorf("line %d: block without a statement", p.line)
			}
			cur.block = inner
			out = append(out, cur)
			cur = statement{}
		default:
			if len(cur.words) == 0 {
				cur.line = p.line
			}
			cur.words = append(cur.words, tok)
		}
	}
}

// next returns the next word (kind 'w'), or one of ; { } as its kind, or
// kind 0 at the end.
func (p *confParser) next() (string, byte) {
	for p.pos < len(p.src) {
		ch := p.src[p.pos]
		switch ch {
		case '\n':
			p.line++
			p.pos++
		case ' ', '\t', '\r':
			p.pos++
		case '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		case ';', '{', '}':
			p.pos++
			return string(ch), ch
		case '"':
			end := len(p.src) // an unterminated string runs to the end
			if i := strings.IndexByte(p.src[p.pos+1:], '"'); i >= 0 {
				end = p.pos + i + 2
			}
			tok := p.src[p.pos:end]
			p.line += strings.Count(tok, "\n")
			p.pos = end
			return tok, 'w'
		default:
			start := p.pos
			for p.pos < len(p.src) && !strings.ContainsRune(" \t\r\n;{}#\"", rune(p.src[p.pos])) {
				p.pos++
			}
			return p.src[start:p.pos], 'w'
		}
	}
	return "", 0
}
