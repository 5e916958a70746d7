package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// JSONObject is a decoded JSON object that remembers the order of its keys.
// Payloads are decoded into a tree of JSONObject, []any, string, json.Number,
// bool and nil so that a payload re-encodes with GitLab's key order and with
// every number literal exactly as it arrived (a float64 would turn an ID
// like 9007199254740993 into something else, and a map would sort keys).
type JSONObject struct {
	keys   []string
	values map[string]any
}

// NewJSONObject returns an empty object.
func NewJSONObject() *JSONObject {
	return &JSONObject{values: make(map[string]any)}
}

// Len is the number of keys.
func (o *JSONObject) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// Keys returns the keys in document order.
func (o *JSONObject) Keys() []string {
	if o == nil {
		return nil
	}
	return append([]string(nil), o.keys...)
}

// Get returns the value stored under key.
func (o *JSONObject) Get(key string) (any, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.values[key]
	return v, ok
}

// Set stores v under key. A new key goes last; an existing key keeps its
// place, as a Ruby Hash does.
func (o *JSONObject) Set(key string, v any) {
	if o.values == nil {
		o.values = make(map[string]any)
	}
	if _, ok := o.values[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.values[key] = v
}

// Lookup walks nested objects: Lookup("project", "id"). It reports false
// when a key is missing or a step is not an object.
func (o *JSONObject) Lookup(path ...string) (any, bool) {
	var cur any = o
	for _, k := range path {
		obj, ok := cur.(*JSONObject)
		if !ok || obj == nil {
			return nil, false
		}
		if cur, ok = obj.values[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// String returns the string at path, or "" when it is absent or not a string.
func (o *JSONObject) String(path ...string) string {
	v, _ := o.Lookup(path...)
	s, _ := v.(string)
	return s
}

// Bool returns the boolean at path, or false when it is absent or not a boolean.
func (o *JSONObject) Bool(path ...string) bool {
	v, _ := o.Lookup(path...)
	b, _ := v.(bool)
	return b
}

// Object returns the object at path, or nil.
func (o *JSONObject) Object(path ...string) *JSONObject {
	v, _ := o.Lookup(path...)
	obj, _ := v.(*JSONObject)
	return obj
}

// MarshalJSON encodes the object compactly, keys in order.
func (o *JSONObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeJSON(&buf, o); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// UnmarshalJSON decodes an object, keeping key order and number literals.
func (o *JSONObject) UnmarshalJSON(data []byte) error {
	v, err := DecodeJSON(data)
	if err != nil {
		return err
	}
	obj, ok := v.(*JSONObject)
	if !ok {
		return errors.New("json: not an object")
	}
	*o = *obj
	return nil
}

// maxJSONDepth bounds nesting so a hostile body cannot exhaust the stack
// (encoding/json uses the same bound).
const maxJSONDepth = 10000

// DecodeJSON decodes one JSON value into the ordered tree described at
// JSONObject. Trailing data after the value is an error.
func DecodeJSON(data []byte) (any, error) {
	v, _, err := decodeJSON(data)
	return v, err
}

// decodeJSON is DecodeJSON that also reports whether data is compact: no
// whitespace between tokens.
func decodeJSON(data []byte) (v any, compact bool, err error) {
	// encoding/json validates (and words syntax errors with a position);
	// the valid input is then read by a small parser that keeps key order
	// and number literals — several times faster than a token stream, and
	// every published event goes through it.
	if !json.Valid(data) {
		var raw json.RawMessage
		err := json.Unmarshal(data, &raw)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return nil, false, describeJSONError(data, err)
	}
	p := jsonParser{data: data}
	p.space()
	if v, err = p.value(0); err != nil {
		return nil, false, err
	}
	p.space()
	return v, !p.spaced, nil
}

// describeJSONError adds the line and column of a syntax error.
func describeJSONError(data []byte, err error) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	line, col := 1, 1
	for _, b := range data[:min(max(int(se.Offset)-1, 0), len(data))] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Errorf("%s at line %d, column %d", se.Error(), line, col)
}

// jsonParser reads JSON that encoding/json has already validated.
type jsonParser struct {
	data   []byte
	i      int
	spaced bool // whitespace was skipped between tokens
}

func (p *jsonParser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
			p.spaced = true
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("exceeded max depth")
	}
	switch c := p.data[p.i]; {
	case c == '{':
		p.i++
		obj := &JSONObject{values: make(map[string]any)}
		p.space()
		if p.data[p.i] == '}' {
			p.i++
			return obj, nil
		}
		for {
			p.space()
			key, err := p.str()
			if err != nil {
				return nil, err
			}
			p.space()
			p.i++ // ':'
			p.space()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			obj.Set(key, v)
			p.space()
			if p.data[p.i] == ',' {
				p.i++
				continue
			}
			p.i++ // '}'
			return obj, nil
		}
	case c == '[':
		p.i++
		arr := []any{}
		p.space()
		if p.data[p.i] == ']' {
			p.i++
			return arr, nil
		}
		for {
			p.space()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			p.space()
			if p.data[p.i] == ',' {
				p.i++
				continue
			}
			p.i++ // ']'
			return arr, nil
		}
	case c == '"':
		return p.str()
	case c == 't':
		p.i += 4
		return true, nil
	case c == 'f':
		p.i += 5
		return false, nil
	case c == 'n':
		p.i += 4
		return nil, nil
	default:
		start := p.i
		for p.i < len(p.data) {
			switch p.data[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return json.Number(p.data[start:p.i]), nil
			}
			p.i++
		}
		return json.Number(p.data[start:p.i]), nil
	}
}

// skipString steps over the string at p.i and reports whether it has
// escapes.
func (p *jsonParser) skipString() (escaped bool) {
	p.i++
	for p.i < len(p.data) && p.data[p.i] != '"' {
		if p.data[p.i] == '\\' {
			escaped = true
			p.i++
		}
		p.i++
	}
	p.i++
	return escaped
}

// str reads a string at p.i; only strings with escapes go through
// encoding/json.
func (p *jsonParser) str() (string, error) {
	start := p.i
	if !p.skipString() {
		return string(p.data[start+1 : p.i-1]), nil
	}
	var s string
	err := json.Unmarshal(p.data[start:p.i], &s)
	return s, err
}

// EncodeJSON encodes a tree built of JSONObject, []any, string, json.Number,
// bool, nil and plain Go numbers compactly. Strings are escaped as
// encoding/json does, which matches Rails' to_json (<, > and & as \u003c …).
func EncodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeJSON(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encodeJSON(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case *JSONObject:
		if x == nil {
			buf.WriteString("null")
			return nil
		}
		buf.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			buf.Write(kb)
			buf.WriteByte(':')
			if err := encodeJSON(buf, x.values[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeJSON(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case string:
		if plainJSONString(x) {
			// Nothing to escape: what json.Marshal would write, without
			// its buffer and copy (a template can render tens of MiB).
			buf.WriteByte('"')
			buf.WriteString(x)
			buf.WriteByte('"')
			return nil
		}
		b, err := json.Marshal(x)
		if err != nil {
			return err
		}
		buf.Write(b)
	case json.Number:
		if !json.Valid([]byte(x)) {
			return fmt.Errorf("json: invalid number literal %q", string(x))
		}
		buf.WriteString(string(x))
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	return nil
}

// plainJSONString reports whether encoding/json writes s unescaped between
// quotes: valid UTF-8 without control characters, '"', '\\', HTML's <, >
// and & or U+2028/U+2029.
func plainJSONString(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		case c >= 0x80:
			ascii = false
		}
	}
	return ascii || utf8.ValidString(s) && !strings.ContainsAny(s, "\u2028\u2029")
}

// CloneJSON deep-copies a decoded tree.
func CloneJSON(v any) any {
	switch x := v.(type) {
	case *JSONObject:
		if x == nil {
			return x
		}
		c := &JSONObject{keys: append([]string(nil), x.keys...), values: make(map[string]any, len(x.values))}
		for k, e := range x.values {
			c.values[k] = CloneJSON(e)
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = CloneJSON(e)
		}
		return c
	}
	return v
}
