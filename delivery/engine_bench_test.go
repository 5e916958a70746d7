package delivery

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// BenchmarkEngineBacklog drains a stored backlog of push deliveries to
// five hooks on a local receiver that answers 200 at once: claims, sends
// and batched outcome writes, every log row persisted. One op is one
// delivery.
func BenchmarkEngineBacklog(b *testing.B) { dbtest.EachBackendB(b, benchEngineBacklog) }

func benchEngineBacklog(b *testing.B) {
	e := newBenchEnv(b)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	b.Cleanup(rcv.Close)
	for i := 0; i < 5; i++ {
		e.hookB(b, rcv.URL)
	}
	events := (b.N + 4) / 5
	body := []byte(pushPayload(e.project.ID, "refs/heads/main", "95790bf891e76fee5e1747ab589903a6a1f80f22", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"))
	ev, err := model.ParseEvent(body)
	if err != nil {
		b.Fatal(err)
	}
	for done := 0; done < events; {
		var batch []db.Publication
		for ; done < events && len(batch) < 100; done++ {
			batch = append(batch, db.Publication{ProjectID: e.project.ID, Events: []db.PublishEvent{{Event: ev, Payload: body, FireHooks: true}}})
		}
		if _, _, _, err := e.store.PublishBatch(context.Background(), batch, db.PublishOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.engine.Run(ctx) }()
	for {
		n, err := e.store.PendingDeliveries(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(events*5)/b.Elapsed().Seconds(), "deliveries/s")
}
