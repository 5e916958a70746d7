package model_test

import (
	"bytes"
	"testing"

	"github.com/hooklab/hooklab/model"
)

// benchmarkParseEvents parses a publish body of n sample push events (one
// event, or {"events": [...]}) and produces each event's body to send, as
// publishing does: the bytes kept from parsing, else the payload encoded.
func benchmarkParseEvents(b *testing.B, n int) {
	tr, _ := model.TriggerByScope("push_hooks")
	p, _ := model.SamplePayload(tr)
	one, err := model.EncodeJSON(p)
	if err != nil {
		b.Fatal(err)
	}
	body := one
	if n > 1 {
		body = append([]byte(`{"events":[`), bytes.Repeat(append(one, ','), n)...)
		body = append(body[:len(body)-1], "]}"...)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		evs, err := model.ParseEvents(body)
		if err != nil || len(evs) != n {
			b.Fatalf("%d events, %v", len(evs), err)
		}
		for _, ev := range evs {
			if ev.Raw == nil {
				if _, err := model.EncodeJSON(ev.Payload); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1e3, "µs/event")
}

func BenchmarkParseEventsOne(b *testing.B)    { benchmarkParseEvents(b, 1) }
func BenchmarkParseEventsBatch3(b *testing.B) { benchmarkParseEvents(b, 3) }
