package model

import "encoding/json"

// ArrayElementsRaw returns the bytes of each element of the array that is
// the value of key in the JSON object data, or nil when data has no such
// array. data must be valid JSON (as the decoder has checked). When the
// key appears more than once the last one counts, as in JSONObject. A
// publish batch keeps each event's bytes this way instead of encoding its
// decoded tree again.
func ArrayElementsRaw(data []byte, key string) [][]byte {
	p := jsonParser{data: data}
	p.space()
	if p.i >= len(data) || data[p.i] != '{' {
		return nil
	}
	p.i++
	var found [][]byte
	for {
		p.space()
		if p.i >= len(data) || data[p.i] == '}' {
			return found
		}
		start := p.i
		p.skipString()
		name := data[start:p.i]
		p.space()
		p.i++ // ':'
		p.space()
		vstart := p.i
		p.skipValue()
		if jsonStringIs(name, key) {
			found = nil
			if data[vstart] == '[' {
				found = p.elements(vstart)
			}
		}
		p.space()
		if p.i < len(data) && data[p.i] == ',' {
			p.i++
		}
	}
}

// jsonStringIs reports whether the quoted JSON string lit is s.
func jsonStringIs(lit []byte, s string) bool {
	for _, c := range lit {
		if c == '\\' {
			var v string
			return json.Unmarshal(lit, &v) == nil && v == s
		}
	}
	return len(lit) == len(s)+2 && string(lit[1:len(lit)-1]) == s
}

// skipValue steps over the value at p.i of valid JSON without decoding it.
func (p *jsonParser) skipValue() {
	switch p.data[p.i] {
	case '"':
		p.skipString()
	case '{', '[':
		depth := 0
		for p.i < len(p.data) {
			switch p.data[p.i] {
			case '"':
				p.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			p.i++
			if depth == 0 {
				return
			}
		}
	default:
		for p.i < len(p.data) {
			switch p.data[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			p.i++
		}
	}
}

// elements returns the bytes of each element of the array at start.
func (p *jsonParser) elements(start int) [][]byte {
	e := jsonParser{data: p.data, i: start + 1}
	out := [][]byte{}
	for {
		e.space()
		if e.i >= len(e.data) || e.data[e.i] == ']' {
			return out
		}
		from := e.i
		e.skipValue()
		out = append(out, e.data[from:e.i])
		e.space()
		if e.i < len(e.data) && e.data[e.i] == ',' {
			e.i++
		}
	}
}
