package delivery

import (
	"context"
	"testing"

	"github.com/hooklab/hooklab/model"
)

// A stored event's payload is sent with its e-mail addresses and logged
// with them [REDACTED]: a row of a stored event refers to the event (and
// is redacted when read); a row with no event keeps the redacted body.
func TestLogRowOfAStoredPayload(t *testing.T) {
	rcv := newReceiver(t, nil)
	s := newTestSender(t)
	h := model.NewHook(model.ProjectHookKind)
	h.ID, h.URL = 1, rcv.URL
	body := []byte(`{"object_kind":"push","user_email":"jsmith@example.com"}`)
	p := NewStoredPayload(body, nil)
	trigger, _ := model.TriggerByScope("push_hooks")
	a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger, Payload: p, Settings: localSettings()})
	if a.Err != nil {
		t.Fatal(a.Err)
	}
	if got := rcv.requests(); len(got) != 1 || string(got[0].Body) != string(body) {
		t.Fatalf("receiver got %+v, want the payload as stored", got)
	}
	eventID := int64(7)
	if l := LogRow(h.ID, &eventID, "key", a, p); l.RequestData != nil {
		t.Errorf("row of a stored event keeps its own body %s, want it to refer to the event", l.RequestData)
	}
	if l := LogRow(h.ID, nil, "key", a, p); string(l.RequestData) != `{"object_kind":"push","user_email":"[REDACTED]"}` {
		t.Errorf("row with no event keeps %s, want the redacted body", l.RequestData)
	}
}
