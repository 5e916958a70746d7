package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// BenchmarkPublishBatch measures storing published push events with five
// hooks each, 16 publications per transaction.
func BenchmarkPublishBatch(b *testing.B) { dbtest.EachBackendB(b, benchPublishBatch) }

func benchPublishBatch(b *testing.B) {
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
	pubs := make([]db.Publication, 16)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range pubs {
			pubs[j] = db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: body, FireHooks: true}}}
		}
		if _, _, _, err := s.PublishBatch(context.Background(), pubs, db.PublishOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*16), "µs/event")
}
