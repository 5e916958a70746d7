package model

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeJSONRoundTrip(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"keeps key order", `{"z":1,"a":2,"m":{"y":true,"b":null}}`, `{"z":1,"a":2,"m":{"y":true,"b":null}}`},
		{"keeps number literals", `{"id":9007199254740993,"d":17.0,"e":1e3}`, `{"id":9007199254740993,"d":17.0,"e":1e3}`},
		{"compacts whitespace", "{ \"a\" : [ 1 , 2 ] ,\n \"b\" : \"x\" }", `{"a":[1,2],"b":"x"}`},
		{"duplicate key keeps first place, last value", `{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`},
		{"escapes like Rails to_json", `{"s":"<a href=\"x\">&amp;</a>\u2028"}`, `{"s":"\u003ca href=\"x\"\u003e\u0026amp;\u003c/a\u003e\u2028"}`},
		{"top-level array", `[{"b":1,"a":2}]`, `[{"b":1,"a":2}]`},
		{"top-level string", `"x"`, `"x"`},
		{"empty containers", `{"a":{},"b":[]}`, `{"a":{},"b":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := DecodeJSON([]byte(tt.in))
			if err != nil {
				t.Fatalf("DecodeJSON(%s) error: %v", tt.in, err)
			}
			got, err := EncodeJSON(v)
			if err != nil {
				t.Fatalf("EncodeJSON error: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"empty", ``},
		{"unterminated string", `{"test":"oldrev}`},
		{"trailing data", `{"a":1} x`},
		{"second value", `{"a":1}{"b":2}`},
		{"trailing comma", `{"a":1,}`},
		{"bare word", `{"a":oldrev}`},
		{"too deep", strings.Repeat("[", maxJSONDepth+2) + strings.Repeat("]", maxJSONDepth+2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := DecodeJSON([]byte(tt.in)); err == nil {
				t.Errorf("DecodeJSON(%.40q) = %v, want an error", tt.in, v)
			}
		})
	}
}

func TestJSONObjectAccessors(t *testing.T) {
	v, err := DecodeJSON([]byte(`{"project":{"id":5,"name":"Example"},"flag":true,"list":[1]}`))
	if err != nil {
		t.Fatal(err)
	}
	o := v.(*JSONObject)
	if got, want := o.String("project", "name"), "Example"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got, ok := o.Lookup("project", "id"); !ok || got.(interface{ String() string }).String() != "5" {
		t.Errorf("Lookup(project, id) = %v, %v, want 5, true", got, ok)
	}
	if _, ok := o.Lookup("list", "x"); ok {
		t.Errorf("Lookup into an array reported ok")
	}
	if !o.Bool("flag") {
		t.Errorf("Bool(flag) = false, want true")
	}
	if got, want := strings.Join(o.Keys(), ","), "project,flag,list"; got != want {
		t.Errorf("Keys = %s, want %s", got, want)
	}
	c := CloneJSON(o).(*JSONObject)
	c.Object("project").Set("name", "Changed")
	if got, want := o.String("project", "name"), "Example"; got != want {
		t.Errorf("clone shares state: original name = %q, want %q", got, want)
	}
}

func TestDecodeJSONErrorPosition(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":1,}`, "invalid character '}' looking for beginning of object key string at line 1, column 8"},
		{"{\n  \"test\":oldrev}", "invalid character 'o' looking for beginning of value at line 2, column 10"},
		{`{"a":1} x`, "invalid character 'x' after top-level value at line 1, column 9"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := DecodeJSON([]byte(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// DecodeJSON's own parser reads what encoding/json reads.
func TestDecodeJSONAgreesWithEncodingJSON(t *testing.T) {
	inputs := []string{
		`{}`, `[]`, `"x"`, `12`, `-1.5e10`, `true`, `null`,
		` { "a" : [ 1 , 2 , { "b" : null } ] , "c" : "d\"e\\u00e9\n" , "e" : false } `,
		`{"a":{"b":{"c":[[],[{}],""]}}}`,
		`{"dup":1,"dup":2}`,
	}
	for _, tr := range Triggers {
		if b, ok := SampleJSON(tr); ok {
			inputs = append(inputs, string(b))
		}
	}
	for _, in := range inputs {
		got, err := DecodeJSON([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		enc, err := EncodeJSON(got)
		if err != nil {
			t.Fatal(err)
		}
		var want, back any
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(enc, &back); err != nil {
			t.Fatalf("%s re-encoded as invalid JSON %s", in, enc)
		}
		if !reflect.DeepEqual(back, want) {
			t.Errorf("%s\n got %s", in, enc)
		}
	}
	for _, bad := range []string{`{`, `{"a":}`, `[1,]`, `{"a":1} x`, ``} {
		if _, err := DecodeJSON([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// The unescaped fast path writes exactly what json.Marshal writes.
func TestEncodeJSONStringsAsMarshal(t *testing.T) {
	for _, s := range []string{"", "plain", "é ü", "a\"b", "a\\b", "<b>&", "tab\t", "\x00", "\u2028", "\u2029x",
		"bad \xff utf8", "emoji 😀", "\x7f", "/slash"} {
		want, _ := json.Marshal(s)
		got, err := EncodeJSON(s)
		if err != nil || string(got) != string(want) {
			t.Errorf("EncodeJSON(%q) = %s, %v; want %s", s, got, err, want)
		}
	}
}
