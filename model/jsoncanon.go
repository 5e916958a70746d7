package model

import (
	"encoding/json"
	"unicode/utf8"
)

// compactCanonical returns valid JSON data exactly as EncodeJSON(DecodeJSON
// (data)) would write it, compacted in place, when that is only a matter of
// dropping whitespace between tokens: every string is already escaped the
// way encoding/json escapes it and no object repeats a key (decoding keeps
// the last value). Otherwise ok is false, data is untouched, and the caller
// decodes and encodes. A rendered custom template is the case: its values
// were inserted escaped by encoding/json, so it is nearly always canonical,
// and compacting it in place saves building a tree and a second copy of up
// to 25 MiB.
func compactCanonical(data []byte) (out []byte, ok bool) {
	c := canonChecker{data: data}
	if !c.value() {
		return nil, false
	}
	w, inString := 0, false
	for i := 0; i < len(data); i++ {
		b := data[i]
		if inString {
			data[w] = b
			w++
			switch b {
			case '\\':
				i++
				data[w] = data[i]
				w++
			case '"':
				inString = false
			}
			continue
		}
		switch b {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			inString = true
		}
		data[w] = b
		w++
	}
	return data[:w], true
}

// shortBF says encoding/json writes \b and \f as such (Go 1.22 and later)
// rather than as \u0008 and \u000c.
var shortBF = func() bool {
	b, _ := json.Marshal("\b\f")
	return string(b) == `"\b\f"`
}()

// canonChecker walks valid JSON and reports whether it is canonical in the
// sense of compactCanonical.
type canonChecker struct {
	data []byte
	i    int
}

func (c *canonChecker) space() {
	for c.i < len(c.data) {
		switch c.data[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *canonChecker) value() bool {
	c.space()
	switch c.data[c.i] {
	case '{':
		c.i++
		c.space()
		if c.data[c.i] == '}' {
			c.i++
			return true
		}
		var keys keySet
		for {
			c.space()
			start := c.i
			if !c.str() || !keys.add(c.data[start:c.i]) {
				return false
			}
			c.space()
			c.i++ // ':'
			if !c.value() {
				return false
			}
			c.space()
			if c.data[c.i] == ',' {
				c.i++
				continue
			}
			c.i++ // '}'
			return true
		}
	case '[':
		c.i++
		c.space()
		if c.data[c.i] == ']' {
			c.i++
			return true
		}
		for {
			if !c.value() {
				return false
			}
			c.space()
			if c.data[c.i] == ',' {
				c.i++
				continue
			}
			c.i++ // ']'
			return true
		}
	case '"':
		return c.str()
	case 't', 'n':
		c.i += 4
	case 'f':
		c.i += 5
	default: // a number, kept as written
		for c.i < len(c.data) {
			switch c.data[c.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return true
			}
			c.i++
		}
	}
	return true
}

// str steps over the string at c.i and reports whether encoding/json
// would write its value the same way.
func (c *canonChecker) str() bool {
	d := c.data
	c.i++
	for {
		b := d[c.i]
		switch {
		case b == '"':
			c.i++
			return true
		case b == '\\':
			switch d[c.i+1] {
			case '"', '\\', 'n', 'r', 't':
				c.i += 2
			case 'b', 'f':
				if !shortBF {
					return false
				}
				c.i += 2
			case 'u':
				cp, ok := lowerHex4(d[c.i+2 : c.i+6])
				if !ok || !escapedByEncoder(cp) {
					return false
				}
				c.i += 6
			default: // "\/" decodes to "/", which is written as is
				return false
			}
		case b == '<', b == '>', b == '&':
			return false
		case b < utf8.RuneSelf:
			c.i++
		default:
			r, size := utf8.DecodeRune(d[c.i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				return false
			}
			c.i += size
		}
	}
}

// escapedByEncoder reports whether encoding/json writes the code point as
// a \u escape: control characters without a short form, HTML's <, > and &,
// and U+2028/U+2029.
func escapedByEncoder(cp rune) bool {
	switch cp {
	case '\n', '\r', '\t':
		return false
	case '\b', '\f':
		return !shortBF
	case '<', '>', '&', '\u2028', '\u2029':
		return true
	}
	return cp < 0x20
}

// lowerHex4 reads four lower-case hex digits, the way encoding/json writes
// them.
func lowerHex4(b []byte) (rune, bool) {
	var r rune
	for _, h := range b {
		switch {
		case '0' <= h && h <= '9':
			r = r<<4 | rune(h-'0')
		case 'a' <= h && h <= 'f':
			r = r<<4 | rune(h-'a'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// keySet holds an object's keys as written (canonical, so equal keys are
// equal bytes); a handful are compared directly, more go in a map.
type keySet struct {
	few  [][]byte
	many map[string]struct{}
}

func (s *keySet) add(key []byte) bool {
	if s.many == nil {
		for _, k := range s.few {
			if string(k) == string(key) {
				return false
			}
		}
		if len(s.few) < 16 {
			s.few = append(s.few, key)
			return true
		}
		s.many = make(map[string]struct{}, 32)
		for _, k := range s.few {
			s.many[string(k)] = struct{}{}
		}
	}
	if _, dup := s.many[string(key)]; dup {
		return false
	}
	s.many[string(key)] = struct{}{}
	return true
}
