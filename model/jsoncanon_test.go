package model

import (
	"encoding/json"
	"strings"
	"testing"
)

// compactCanonical agrees with decoding and encoding whenever it says ok,
// and says ok for what a template usually renders.
func TestCompactCanonicalMatchesTheTree(t *testing.T) {
	many := `{` + strings.TrimSuffix(strings.Repeat(`"k":1,`, 1), ",")
	for i := 1; i <= 40; i++ {
		many += `,"k` + strings.Repeat("x", i) + `":` + "1"
	}
	many += `}`
	tests := []struct {
		in   string
		want bool // compacted in place
	}{
		{`{"a":1}`, true},
		{"{\n  \"a\" : [1, 2.50, -0, 1E5, true, false, null],\n\t\"b\": {\"c\": \"d\"}\n}", true},
		{`"top"`, true},
		{`[]`, true},
		{`{}`, true},
		{`{"q":"say \"hi\"\\ \n\r\t\b\f \u0001 \u001f \u003cb\u003e \u0026 \u2028\u2029"}`, true},
		{`{"s":"é ü 😀 \u007f"}`, false}, // DEL is written raw
		{`{"s":"a\/b"}`, false},
		{`{"s":"\u0041"}`, false},
		{`{"s":"\u003C"}`, false},
		{`{"s":"\u0008"}`, false},
		{`{"s":"\ufffd"}`, false},
		{`{"s":"\ud83d\ude00"}`, false},
		{`{"s":"<b>"}`, false},
		{"{\"s\":\"\u2028\"}", false},
		{"{\"s\":\"bad \xff\"}", false},
		{`{"a":1,"a":2}`, false},
		{`{"a":{"b":1},"c":{"b":2}}`, true},
		{many, true},
		{strings.TrimSuffix(many, "}") + `,"k":2}`, false},
		{`{"n":12345678901234567890.5e-7}`, true},
	}
	for _, tt := range tests {
		if !json.Valid([]byte(tt.in)) {
			t.Fatalf("not valid JSON: %s", tt.in)
		}
		v, err := DecodeJSON([]byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := EncodeJSON(v)
		buf := []byte(tt.in)
		got, ok := compactCanonical(buf)
		if ok != tt.want {
			t.Errorf("%s: ok = %v, want %v", tt.in, ok, tt.want)
		}
		if ok && string(got) != string(want) {
			t.Errorf("%s: compacted %s, the tree gives %s", tt.in, got, want)
		}
		if !ok && string(buf) != tt.in {
			t.Errorf("%s: changed to %s though not compacted", tt.in, buf)
		}
	}
}

// Whatever JSON the fuzzer finds, an ok answer is the tree's.
func FuzzCompactCanonical(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":"\u003c"}`, "[1, {\"b\": \"\\n\"}]", `{"a":1,"a":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return
		}
		v, err := DecodeJSON([]byte(in))
		if err != nil {
			return
		}
		want, err := EncodeJSON(v)
		if err != nil {
			return
		}
		if got, ok := compactCanonical([]byte(in)); ok && string(got) != string(want) {
			t.Fatalf("%q: compacted %s, the tree gives %s", in, got, want)
		}
	})
}
