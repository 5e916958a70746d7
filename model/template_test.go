package model

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

func mustPayload(t *testing.T, s string) *JSONObject {
	t.Helper()
	p, err := ParsePayload([]byte(s))
	if err != nil {
		t.Fatalf("ParsePayload(%s): %v", s, err)
	}
	return p
}

func TestRenderTemplateSpecExample(t *testing.T) {
	// GitLab's webhooks.md: the example template for a push.
	push, _ := TriggerByScope("push_hooks")
	p, _ := SamplePayload(push)
	got, err := RenderTemplate(`{"event":"{{object_kind}}","project_name":"{{project.name}}"}`, p, 1<<20)
	if err != nil {
		t.Fatalf("RenderTemplate error: %v", err)
	}
	if want := `{"event":"push","project_name":"Example"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestRenderTemplate(t *testing.T) {
	const data = `{"before":"oldrev","nested":{"key":"value","deeper":{"n":1}},"count":4,"ratio":17.0,"flag":true,
		"none":null,"commits":[{"id":"a","title":"My commit title"}],"quote":"say \"hi\"\n<b>&</b>","empty":{},"0":"zero"}`
	tests := []struct {
		name, tmpl, want string
	}{
		// GitLab's web_hook_service_spec examples.
		{"string value", `{"before":"{{before}}"}`, `{"before":"oldrev"}`},
		{"nested value", `{"before":"{{before}}","nested_key":"{{nested.key}}"}`, `{"before":"oldrev","nested_key":"value"}`},
		{"unclosed placeholder is left as text", `{"test":"{{event}"}`, `{"test":"{{event}"}`},
		// Serialization (GitLab 18.6+).
		{"number as literal", `{"n":{{count}}}`, `{"n":4}`},
		{"number literal kept", `{"r":{{ratio}}}`, `{"r":17.0}`},
		{"number inside a string", `{"n":"{{count}} commits"}`, `{"n":"4 commits"}`},
		{"boolean as literal", `{"f":{{flag}}}`, `{"f":true}`},
		{"null value", `{"x":{{none}}}`, `{"x":null}`},
		{"missing is null", `{"x":{{nope}}}`, `{"x":null}`},
		{"missing inside a string is the text null", `{"x":"{{nope}}"}`, `{"x":"null"}`},
		{"missing nested is null", `{"x":{{nested.nope.deeper}}}`, `{"x":null}`},
		{"through null is null", `{"x":{{none.a.b}}}`, `{"x":null}`},
		{"object as JSON", `{"o":{{nested}}}`, `{"o":{"key":"value","deeper":{"n":1}}}`},
		{"empty object", `{"o":{{empty}}}`, `{"o":{}}`},
		{"array as JSON", `{"commits":{{commits}}}`, `{"commits":[{"id":"a","title":"My commit title"}]}`},
		{"string escaped without quotes", `{"q":"{{quote}}"}`, `{"q":"say \"hi\"\n\u003cb\u003e\u0026\u003c/b\u003e"}`},
		{"key that looks like an index", `{"z":"{{0}}"}`, `{"z":"zero"}`},
		{"spaces are part of the key", `{"x":{{ before }}}`, `{"x":null}`},
		{"trailing dot is ignored like Ruby split", `{"x":"{{before.}}"}`, `{"x":"oldrev"}`},
		{"several placeholders", `{"a":"{{before}}-{{nested.key}}","b":{{count}}}`, `{"a":"oldrev-value","b":4}`},
		{"non-greedy match", `{"a":"{{before}}{{before}}"}`, `{"a":"oldrevoldrev"}`},
		// Compacted in place, or decoded and encoded when that differs.
		{"whitespace compacted", "{\n  \"a\" : \"{{before}}\",\n  \"o\": {{nested}}\n}", `{"a":"oldrev","o":{"key":"value","deeper":{"n":1}}}`},
		{"repeated key: the last wins in the first place", `{"a":1,"b":2,"a":{{count}}}`, `{"a":4,"b":2}`},
		{"literal escapes written as encoding/json does", `{"s":"a\/b <i> \u0041"}`, `{"s":"a/b \u003ci\u003e A"}`},
		{"placeholder does not span lines", "{\"a\":\"{{bef\nore}}\"}", ""},
		{"output is compacted", "{\n  \"a\" : \"{{before}}\"\n}", `{"a":"oldrev"}`},
		{"blank template sends the payload", "  \n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPayload(t, data)
			got, err := RenderTemplate(tt.tmpl, p, 1<<20)
			if tt.want == "" {
				// Cases whose result is checked for validity only.
				if tt.name == "blank template sends the payload" {
					want, _ := EncodeJSON(p)
					if err != nil || string(got) != string(want) {
						t.Errorf("got %s, %v; want the payload %s", got, err, want)
					}
					return
				}
				if err == nil {
					t.Errorf("got %s, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("RenderTemplate error: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRenderTemplateErrors(t *testing.T) {
	const data = `{"before":"oldrev","commits":[{"title":"My commit title"}],"count":4,"flag":false,"nested":{"list":[1]}}`
	const arrayMsg = "Error while parsing rendered custom webhook template: You may be trying to access an array value, which is not supported."
	tests := []struct {
		name, tmpl, want string
	}{
		// GitLab's spec: "when template tries to access Array property".
		{"walking into an array", `{"test":"{{commits.title}}"}`, arrayMsg},
		{"walking into an array by index", `{"test":"{{commits.0}}"}`, arrayMsg},
		{"walking into a nested array", `{"test":"{{nested.list.x}}"}`, arrayMsg},
		// Ruby's Hash#dig raises the same TypeError for strings, numbers, booleans.
		{"walking into a string", `{"test":"{{before.x}}"}`, arrayMsg},
		{"walking into a number", `{"test":"{{count.x}}"}`, arrayMsg},
		{"walking into false", `{"test":"{{flag.x}}"}`, arrayMsg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RenderTemplate(tt.tmpl, mustPayload(t, data), 1<<20)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tt.want {
				t.Errorf("got %q, want %q", err.Error(), tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error is not ErrInvalid")
			}
		})
	}

	invalid := []struct{ name, tmpl string }{
		// GitLab's spec: "when template renders invalid json".
		{"unterminated string", `{"test":"{{before}}}`},
		{"unquoted string value", `{"test":{{before}}}`},
		{"trailing comma", `{"a":1,}`},
		{"two documents", `{"a":1}{"b":2}`},
		{"not JSON at all", `event {{before}}`},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RenderTemplate(tt.tmpl, mustPayload(t, data), 1<<20)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, TemplateErrorPrefix) || len(msg) == len(TemplateErrorPrefix) {
				t.Errorf("got %q, want %q followed by the parser message", msg, TemplateErrorPrefix)
			}
		})
	}
}

func TestCheckTemplate(t *testing.T) {
	push, _ := TriggerByScope("push_hooks")
	issue, _ := TriggerByScope("issue_hooks")
	member, _ := TriggerByScope("member_hooks")

	if err := CheckTemplate(`{"event":"{{object_kind}}"}`, []Trigger{push, issue, member}); err != nil {
		t.Errorf("valid template: %v", err)
	}
	if err := CheckTemplate("", []Trigger{push}); err != nil {
		t.Errorf("blank template: %v", err)
	}
	// object_attributes.title exists for issues; push has no object_attributes → null, still valid.
	if err := CheckTemplate(`{"t":{{object_attributes.title}}}`, []Trigger{push}); err != nil {
		t.Errorf("template with null for push: %v", err)
	}
	// An issue's title is a string: unquoted it renders invalid JSON.
	err := CheckTemplate(`{"t":{{object_attributes.title}}}`, []Trigger{push, issue})
	v, ok := AsValidation(err)
	if !ok {
		t.Fatalf("got %v, want a validation error", err)
	}
	msgs := v.For("custom_webhook_template")
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], TemplateErrorPrefix) || !strings.HasSuffix(msgs[0], "(with a sample Issue Hook event)") {
		t.Errorf("messages = %q", msgs)
	}
	if err := CheckTemplate(`{"c":"{{commits.id}}"}`, []Trigger{push}); err == nil {
		t.Errorf("array walk on push sample: no error")
	}
}

// bigTemplateCase is the issue's multiplication: a 1 MB field pasted by 500
// placeholders would render 500 MB.
func bigTemplateCase(t testing.TB) (string, *JSONObject) {
	p := NewJSONObject()
	p.Set("object_kind", "push")
	p.Set("big", strings.Repeat("x", 1<<20))
	return `{"a":"` + strings.Repeat("{{big}}", 500) + `"}`, p
}

func TestRenderTemplateStopsAtLimit(t *testing.T) {
	const limit = 25 << 20
	tmpl, p := bigTemplateCase(t)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	out, err := RenderTemplate(tmpl, p, limit)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTemplateTooLarge) || out != nil {
		t.Fatalf("got %d bytes, error %v; want ErrTemplateTooLarge", len(out), err)
	}
	if !strings.HasPrefix(err.Error(), "Request body is too large") || !strings.Contains(err.Error(), "25 MiB") {
		t.Errorf("message %q", err.Error())
	}
	// One encoding of the field (1 MiB and encoding/json's buffer growth),
	// not the 500 MiB product nor the 25 MiB limit.
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 { // -race allocates more
		t.Errorf("render allocated %d bytes, want under 16 MiB", got)
	}

	// Within the limit the same template renders in full.
	small := `{"a":"` + strings.Repeat("{{big}}", 3) + `"}`
	if out, err := RenderTemplate(small, p, limit); err != nil || len(out) != 3<<20+8 {
		t.Errorf("3 placeholders: %d bytes, %v", len(out), err)
	}
	// The limit counts the whole text: one byte short fails.
	exact := int64(3<<20 + 8)
	if _, err := RenderTemplate(small, p, exact); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	if _, err := RenderTemplate(small, p, exact-1); !errors.Is(err, ErrTemplateTooLarge) {
		t.Errorf("a byte over the limit: %v, want ErrTemplateTooLarge", err)
	}
}

func TestTemplateOutputBound(t *testing.T) {
	const limit = 25 << 20
	tmpl, p := bigTemplateCase(t)
	payload, _ := EncodeJSON(p)
	if got := TemplateOutputBound(tmpl, int64(len(payload)), limit); got != limit+int64(len(tmpl))*6 {
		t.Errorf("500 placeholders of 1 MiB: bound %d, want the limit plus the template's escapes", got)
	}
	two := `{"a":"{{big}}","b":"{{big}}"}`
	bound := TemplateOutputBound(two, int64(len(payload)), limit)
	if want := int64(len(two))*6 + 2*int64(len(payload))*6; bound != want {
		t.Errorf("2 placeholders: bound %d, want %d", bound, want)
	}
	// The bound holds for a payload that escaping grows the most.
	worst := NewJSONObject()
	worst.Set("big", strings.Repeat("<", 1000))
	wp, _ := EncodeJSON(worst)
	out, err := RenderTemplate(two, worst, limit)
	if err != nil {
		t.Fatal(err)
	}
	if b := TemplateOutputBound(two, int64(len(wp)), limit); int64(len(out)) > b {
		t.Errorf("rendered %d bytes over the bound %d", len(out), b)
	}
	if got := TemplateOutputBound("  ", 1234, limit); got != 1234 {
		t.Errorf("blank template: %d, want the payload size", got)
	}
	if got := TemplateOutputBound(`{"a":1}`, 1<<40, limit); got != 7*6 {
		t.Errorf("no placeholders: %d, want the template's escapes", got)
	}
}

// BenchmarkRenderTemplateOverLimit reports the bytes one render of the
// 500 MB product allocates before it is refused (B/op): about one encoding
// of the 1 MB field.
func BenchmarkRenderTemplateOverLimit(b *testing.B) {
	tmpl, p := bigTemplateCase(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderTemplate(tmpl, p, 25<<20); !errors.Is(err, ErrTemplateTooLarge) {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderTemplateAtLimit renders 24 placeholders of the 1 MB field
// (24 MiB, just under the limit): B/op is what a render the limit allows
// can take.
func BenchmarkRenderTemplateAtLimit(b *testing.B) {
	_, p := bigTemplateCase(b)
	tmpl := `{"a":"` + strings.Repeat("{{big}}", 24) + `"}`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderTemplate(tmpl, p, 25<<20); err != nil {
			b.Fatal(err)
		}
	}
}
