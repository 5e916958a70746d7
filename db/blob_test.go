package db_test

import (
	"bytes"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// Event payloads are stored once and compressed; what is read back is the
// payload as published, a log row shows it redacted, and a payload stored
// uncompressed (small ones, or written before compression) reads as it is.
func TestEventPayloadIsStoredCompressedAndReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	s := dbtest.OpenAt(t, path, nil)
	g := dbtest.Group(t, s, "acme", nil, nil)
	p := dbtest.Project(t, s, "api", g)
	h := projectHook(t, s, p, "https://hooks.example.com/a")
	commit := `{"id":"b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327","message":"Update translation","author":{"name":"Jordi","email":"jordi@example.com"}}`
	body := `{"object_kind":"push","ref":"refs/heads/main","user_email":"jsmith@example.com","commits":[` +
		strings.TrimSuffix(strings.Repeat(commit+",", 20), ",") + `]}`
	ev, err := model.ParseEvent([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: []byte(body)}}}); err != nil {
		t.Fatal(err)
	}

	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var stored []byte
	if err := raw.QueryRow(`SELECT payload FROM events`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) >= len(body)/2 {
		t.Fatalf("payload of %d bytes stored as %d bytes", len(body), len(stored))
	}

	sample, err := s.SampleEvent(ctx, []int64{p.ID}, "push_hooks")
	if err != nil || string(sample.Payload) != body {
		t.Fatalf("sample payload %q (%v)", sample.Payload, err)
	}
	events, unreadable, err := s.DeliveryEvents(ctx, []int64{sample.ID})
	if err != nil || len(unreadable) != 0 || string(events[sample.ID].Payload) != body {
		t.Fatalf("delivery event %+v (%v)", events[sample.ID], err)
	}
	l := &model.HookLog{HookID: h.ID, EventID: &sample.ID, Trigger: "push_hooks", ResponseStatus: "200", ResponseBody: []byte{}}
	if _, err := s.RecordOutcomes(ctx, "", []db.Outcome{{Log: l}}); err != nil {
		t.Fatal(err)
	}
	shown, err := s.HookLog(ctx, h.ID, l.ID)
	want, _ := model.RedactEmailsJSON([]byte(body))
	if err != nil || !bytes.Equal(shown.RequestData, want) || bytes.Contains(shown.RequestData, []byte("@example.com")) {
		t.Fatalf("log row shows %q (%v)", shown.RequestData, err)
	}

	// Stored as it was, uncompressed.
	if _, err := raw.Exec(`UPDATE events SET payload = ?`, []byte(body)); err != nil {
		t.Fatal(err)
	}
	if sent, err := s.HookLogSentBody(ctx, h.ID, l.ID); err != nil || string(sent) != body {
		t.Fatalf("sent body %q (%v)", sent, err)
	}

	// Damaged: that event alone comes without its payload, and says why.
	if _, err := raw.Exec(`UPDATE events SET payload = X'01FFFFFFFFFF' WHERE id = ?`, sample.ID); err != nil {
		t.Fatal(err)
	}
	other, err := s.Publish(ctx, db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: []byte(body)}}})
	if err != nil {
		t.Fatal(err)
	}
	var otherID int64
	if err := raw.QueryRow(`SELECT id FROM events WHERE uuid = ?`, other.UUID).Scan(&otherID); err != nil {
		t.Fatal(err)
	}
	// The log row that refers to it is still listed, without request data.
	if logs, total, err := s.HookLogs(ctx, h.ID, db.HookLogFilter{Page: db.Page{Page: 1, PerPage: 10}}); err != nil || total != 1 || logs[0].RequestData != nil {
		t.Fatalf("log rows of a damaged event: %d %+v (%v)", total, logs, err)
	}
	if shown, err := s.HookLog(ctx, h.ID, l.ID); err != nil || shown.RequestData != nil {
		t.Fatalf("log row of a damaged event: %+v (%v)", shown, err)
	}
	if _, err := s.HookLogSentBody(ctx, h.ID, l.ID); !errors.Is(err, model.ErrInvalid) {
		t.Fatalf("sent body of a damaged event: %v, want unprocessable", err)
	}
	events, unreadable, err = s.DeliveryEvents(ctx, []int64{sample.ID, otherID})
	if err != nil || len(events) != 2 || len(unreadable) != 1 || unreadable[sample.ID] == nil ||
		events[sample.ID].Payload != nil || events[sample.ID].Scope != "push_hooks" || string(events[otherID].Payload) != body {
		t.Fatalf("with a damaged payload: events %+v, unreadable %v (%v)", events, unreadable, err)
	}
}

func TestPackBlobRoundTrip(t *testing.T) {
	for _, in := range []string{"", "{}", `{"a":"` + strings.Repeat("x", 1000) + `"}`, strings.Repeat(`{"k":1}`, 300)} {
		packed := db.PackBlob([]byte(in))
		var out db.Blob
		if err := out.Scan(packed); err != nil || string(out) != in {
			t.Errorf("%.20q: got %.20q (%v)", in, out, err)
		}
		if len(packed) > len(in) {
			t.Errorf("%.20q grew to %d bytes", in, len(packed))
		}
	}
}
