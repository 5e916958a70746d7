package model

import (
	"encoding/json"
	"testing"
)

func TestArrayElementsRaw(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       []string // nil: no array
	}{
		{"compact", `{"events":[{"a":1},{"b":[2,3]},"x",4.5e1,null,true]}`, []string{`{"a":1}`, `{"b":[2,3]}`, `"x"`, `4.5e1`, `null`, `true`}},
		{"spaced", " {\n \"events\" : [ {\"a\" : 1} ,\t[ ] , \"s\" ]\n} ", []string{`{"a" : 1}`, `[ ]`, `"s"`}},
		{"brackets and quotes in strings", `{"events":[{"m":"a ] } \" [ {"},{"n":"\\"}]}`, []string{`{"m":"a ] } \" [ {"}`, `{"n":"\\"}`}},
		{"other keys around", `{"x":{"events":[9]},"events":[1,2],"y":[3]}`, []string{`1`, `2`}},
		{"the last key wins", `{"events":[1],"events":[2,3]}`, []string{`2`, `3`}},
		{"escaped key", `{"ev\u0065nts":[7]}`, []string{`7`}},
		{"empty array", `{"events":[]}`, []string{}},
		{"no such key", `{"event":[1]}`, nil},
		{"not an array", `{"events":{"a":[1]}}`, nil},
		{"not an object", `[{"events":[1]}]`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !json.Valid([]byte(tc.data)) {
				t.Fatalf("test data is not valid JSON: %s", tc.data)
			}
			got := ArrayElementsRaw([]byte(tc.data), "events")
			if (got == nil) != (tc.want == nil) || len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if string(got[i]) != tc.want[i] {
					t.Errorf("element %d: got %s, want %s", i, got[i], tc.want[i])
				}
			}
		})
	}
}
