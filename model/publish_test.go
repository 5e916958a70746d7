package model_test

import (
	"testing"

	"github.com/hooklab/hooklab/model"
)

// Each event of a batch keeps the bytes it arrived as, compacted, so it is
// sent without being encoded again.
func TestParseEventsBatchKeepsEachEventsBytes(t *testing.T) {
	first := `{"object_kind":"push","ref":"refs/heads/main","message":"] } \" [ {"}`
	second := `{"object_kind":"tag_push","ref":"refs/tags/v1","n":[1,2.5e3]}`
	for _, body := range []string{
		`{"events":[` + first + `,` + second + `]}`,
		"{ \"events\" : [\n  " + first + " ,\n  {\"object_kind\" : \"tag_push\", \"ref\":\"refs/tags/v1\",\"n\":[1, 2.5e3]}\n] }",
	} {
		evs, err := model.ParseEvents([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || string(evs[0].Raw) != first || string(evs[1].Raw) != second {
			t.Fatalf("got %d events: %s and %s", len(evs), evs[0].Raw, evs[1].Raw)
		}
		if evs[0].Trigger.Scope != "push_hooks" || evs[1].Trigger.Scope != "tag_push_hooks" {
			t.Errorf("triggers %s and %s", evs[0].Trigger.Scope, evs[1].Trigger.Scope)
		}
	}
}
