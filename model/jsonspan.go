package model

import "encoding/json"

// ArrayElementsRaw returns the bytes of each element of the array that is
// the value of key in the JSON object data, or nil when data has no such
// array. data must be valid JSON (as the decoder has checked). When the
// key appears more than once the last one counts, as in JSONObject. A
// publish batch keeps each event's bytes this way instead of encoding its
// decoded tree again.
func ArrayElementsRaw(data []byte, key string) [][]byte {
	s := jsonScanner{data: data}
	s.space()
	if s.done() || data[s.i] != '{' {
		return nil
	}
	s.i++
	var found [][]byte
	for {
		s.space()
		if s.done() || data[s.i] == '}' {
			return found
		}
		start := s.i
		s.skipString()
		name := data[start:s.i]
		s.space()
		s.i++ // ':'
		s.space()
		vstart := s.i
		s.skipValue()
		if jsonStringIs(name, key) {
			found = nil
			if data[vstart] == '[' {
				found = s.elements(vstart)
			}
		}
		s.space()
		if !s.done() && data[s.i] == ',' {
			s.i++
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

// jsonScanner steps over valid JSON without decoding it.
type jsonScanner struct {
	data []byte
	i    int
}

func (s *jsonScanner) done() bool { return s.i >= len(s.data) }

func (s *jsonScanner) space() {
	for !s.done() {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// skipString steps over the string starting at s.i.
func (s *jsonScanner) skipString() {
	s.i++
	for !s.done() && s.data[s.i] != '"' {
		if s.data[s.i] == '\\' {
			s.i++
		}
		s.i++
	}
	s.i++
}

// skipValue steps over the value starting at s.i.
func (s *jsonScanner) skipValue() {
	switch s.data[s.i] {
	case '"':
		s.skipString()
	case '{', '[':
		depth := 0
		for !s.done() {
			switch s.data[s.i] {
			case '"':
				s.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return
			}
		}
	default:
		for !s.done() {
			switch s.data[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			s.i++
		}
	}
}

// elements returns the bytes of each element of the array at start.
func (s *jsonScanner) elements(start int) [][]byte {
	e := jsonScanner{data: s.data, i: start + 1}
	out := [][]byte{}
	for {
		e.space()
		if e.done() || e.data[e.i] == ']' {
			return out
		}
		from := e.i
		e.skipValue()
		out = append(out, e.data[from:e.i])
		e.space()
		if !e.done() && e.data[e.i] == ',' {
			e.i++
		}
	}
}
