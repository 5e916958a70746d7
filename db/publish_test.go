package db_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// A group commit keeps the newest event of each kind per project as the
// sample for Test, whichever publication of the batch it came in.
func TestPublishBatchKeepsNewestSample(t *testing.T) {
	dbtest.EachBackend(t, testPublishBatchKeepsNewestSample)
}

func testPublishBatchKeepsNewestSample(t *testing.T) {
	s := dbtest.Open(t)
	g := dbtest.Group(t, s, "acme", nil, nil)
	api := dbtest.Project(t, s, "api", g)
	web := dbtest.Project(t, s, "web", g)
	pub := func(projectID int64, bodies ...string) db.Publication {
		p := db.Publication{ProjectID: projectID}
		for _, b := range bodies {
			ev, err := model.ParseEvent([]byte(b))
			if err != nil {
				t.Fatal(err)
			}
			p.Events = append(p.Events, db.PublishEvent{Event: ev, Payload: []byte(b)})
		}
		return p
	}
	push := func(n int) string {
		return `{"object_kind":"push","ref":"refs/heads/main","n":` + strconv.Itoa(n) + `}`
	}
	issue := `{"object_kind":"issue","object_attributes":{"id":1,"confidential":false}}`
	_, _, errs, err := s.PublishBatch(ctx, []db.Publication{
		pub(api.ID, push(1), push(2)), pub(web.ID, push(3)), pub(api.ID, issue), pub(api.ID, push(4)),
	}, db.PublishOptions{})
	if err != nil || errors.Join(errs...) != nil {
		t.Fatal(err, errs)
	}
	for _, tc := range []struct {
		project int64
		scope   string
		want    string
	}{{api.ID, "push_hooks", push(4)}, {web.ID, "push_hooks", push(3)}, {api.ID, "issue_hooks", issue}} {
		got, err := s.SampleEvent(ctx, []int64{tc.project}, tc.scope)
		if err != nil || string(got.Payload) != tc.want {
			t.Errorf("project %d %s: got %v (%v), want %s", tc.project, tc.scope, got, err, tc.want)
		}
	}
}
