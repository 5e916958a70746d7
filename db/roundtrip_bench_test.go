package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// BenchmarkStoreRoundTrip measures what the store does per delivery under
// load: a group commit of 32 published push events with five hooks each,
// then their outcomes — a log row apiece like the engine's, the outbox rows
// finished and the hooks' state read — in one batch.
func BenchmarkStoreRoundTrip(b *testing.B) { dbtest.EachBackendB(b, benchStoreRoundTrip) }

func benchStoreRoundTrip(b *testing.B) {
	s := dbtest.Open(b)
	g := dbtest.Group(b, s, "acme", nil, nil)
	p := dbtest.Project(b, s, "api", g)
	for i := 0; i < 5; i++ {
		h := model.NewHook(model.ProjectHookKind)
		h.ProjectID, h.URL = &p.ID, fmt.Sprintf("https://hooks.example.com/%d", i)
		if err := s.CreateHook(context.Background(), &h); err != nil {
			b.Fatal(err)
		}
	}
	tr, _ := model.TriggerByScope("push_hooks")
	body, _ := model.SampleJSON(tr)
	ev, err := model.ParseEvent(body)
	if err != nil {
		b.Fatal(err)
	}
	headers := func() []model.Header {
		return []model.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Idempotency-Key", Value: uuid.NewString()},
			{Name: "User-Agent", Value: "GitLab/18.0.0"}, {Name: "X-Gitlab-Event", Value: "Push Hook"},
			{Name: "X-Gitlab-Event-UUID", Value: uuid.NewString()}, {Name: "X-Gitlab-Instance", Value: "https://hooklab.example.com"},
			{Name: "X-Gitlab-Token", Value: model.Redacted}, {Name: "X-Gitlab-Webhook-UUID", Value: uuid.NewString()}}
	}
	const perCommit = 32
	pubs := make([]db.Publication, perCommit)
	deliveries := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range pubs {
			pubs[j] = db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: body, FireHooks: true}}}
		}
		// Created leased, as the engine's hot path does.
		_, created, _, err := s.PublishBatch(context.Background(), pubs, db.PublishOptions{
			Admit: func([]int64, int64) bool { return true }, LeaseOwner: "bench", LeaseUntil: time.Now().Add(time.Minute)})
		if err != nil {
			b.Fatal(err)
		}
		outs := make([]db.Outcome, len(created))
		for k, d := range created {
			eventID := d.EventID
			outs[k] = db.Outcome{DeliveryID: d.ID, Success: true, CountsForState: true, Log: &model.HookLog{
				HookID: d.HookID, EventID: &eventID, Trigger: "push_hooks", URL: "https://hooks.example.com/0",
				URLHash: "eSI3cuMyUGxUCOisqaOMHexkgUzrVfwsD5Yfs666+2s=", RequestHeaders: headers(), ResponseStatus: "200",
				ResponseHeaders:   []model.Header{{Name: "Content-Length", Value: "0"}, {Name: "Date", Value: "Sun, 22 Nov 2026 16:30:49 GMT"}},
				ResponseBody:      []byte{},
				ExecutionDuration: 0.0012, IdempotencyKey: d.IdempotencyKey,
			}}
		}
		if _, err := s.RecordOutcomes(context.Background(), "bench", outs); err != nil {
			b.Fatal(err)
		}
		deliveries += len(created)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(deliveries), "µs/delivery")
}
