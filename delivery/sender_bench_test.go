package delivery

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hooklab/hooklab/model"
)

// benchReceiver answers 200 at once, as the load benchmark's receiver does.
func benchReceiver(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchRequest(b *testing.B, s *Sender, url string) Request {
	b.Helper()
	h := projectHook(url)
	h.Token = "secret-token"
	h.CustomHeaders = map[string]string{"X-Custom": "v"}
	return Request{
		Hook: h, Trigger: trigger(b, "push_hooks"), Payload: samplePayload(b, s, "push_hooks"),
		EventUUID: "3e6f2b37-2b8a-4bd3-9d5e-5c8a1f0d7a11", IdempotencyKey: "9a1f2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
		Settings: localSettings(),
	}
}

// BenchmarkSend is one attempt (push sample, token, a custom header) to a
// local receiver over a kept-alive connection: the sender's own cost per
// delivery, the baseline for the engine's load benchmark.
func BenchmarkSend(b *testing.B) {
	s := newTestSender(b)
	req := benchRequest(b, s, benchReceiver(b).URL)
	b.ReportAllocs()
	for b.Loop() {
		if a := s.Send(context.Background(), req); a.StatusCode != 200 {
			b.Fatalf("status %d: %v", a.StatusCode, a.Err)
		}
	}
}

// BenchmarkSendTemplate is BenchmarkSend for a hook with a custom template,
// which renders and redacts per attempt.
func BenchmarkSendTemplate(b *testing.B) {
	s := newTestSender(b)
	req := benchRequest(b, s, benchReceiver(b).URL)
	req.Hook.CustomWebhookTemplate = `{"event":"{{object_kind}}","project":"{{project.name}}","user":"{{user_email}}","commits":{{commits}}}`
	b.ReportAllocs()
	for b.Loop() {
		if a := s.Send(context.Background(), req); a.StatusCode != 200 {
			b.Fatalf("status %d: %v", a.StatusCode, a.Err)
		}
	}
}

// BenchmarkSendParallel sends from many goroutines over the shared pool.
func BenchmarkSendParallel(b *testing.B) {
	s := newTestSender(b)
	req := benchRequest(b, s, benchReceiver(b).URL)
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if a := s.Send(context.Background(), req); a.StatusCode != 200 {
				b.Errorf("status %d: %v", a.StatusCode, a.Err)
				return
			}
		}
	})
}

// BenchmarkRawPost posts the same body with a plain keep-alive http.Client
// and no record: the physical limit BenchmarkSendParallel is measured
// against.
func BenchmarkRawPost(b *testing.B) {
	srv := benchReceiver(b)
	p, _ := model.SamplePayload(trigger(b, "push_hooks"))
	body, _ := model.EncodeJSON(p)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	b.Cleanup(client.CloseIdleConnections)
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
