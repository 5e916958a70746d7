package db_test

import (
	"slices"
	"testing"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// Test's sample sources: the projects under a group (its subgroups too)
// and the projects a user is a member of, directly or through a group.
func TestProjectIDsForTestSamples(t *testing.T) { dbtest.EachBackend(t, testProjectIDsForTestSamples) }

func testProjectIDsForTestSamples(t *testing.T) {
	s := dbtest.Open(t)
	u := dbtest.User(t, s, "alice", false)
	acme := dbtest.Group(t, s, "acme", nil, nil)
	platform := dbtest.Group(t, s, "platform", acme, nil)
	other := dbtest.Group(t, s, "other", nil, nil)
	api := dbtest.Project(t, s, "api", acme)
	infra := dbtest.Project(t, s, "infra", platform)
	web := dbtest.Project(t, s, "web", other)
	lone := dbtest.Project(t, s, "lone", other)
	dbtest.Member(t, s, model.SourceGroup, platform.ID, u, model.Developer)
	dbtest.Member(t, s, model.SourceProject, lone.ID, u, model.Reporter)

	for _, tc := range []struct {
		name string
		got  func() ([]int64, error)
		want []int64
	}{
		{"under acme", func() ([]int64, error) { return s.ProjectIDsUnderGroup(ctx, acme.ID) }, []int64{api.ID, infra.ID}},
		{"under platform", func() ([]int64, error) { return s.ProjectIDsUnderGroup(ctx, platform.ID) }, []int64{infra.ID}},
		{"under other", func() ([]int64, error) { return s.ProjectIDsUnderGroup(ctx, other.ID) }, []int64{web.ID, lone.ID}},
		{"of alice", func() ([]int64, error) { return s.ProjectIDsOfMember(ctx, u.ID) }, []int64{infra.ID, lone.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.got()
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("got %v (%v), want %v", got, err, tc.want)
			}
		})
	}
}

// A log row that refers to its event shows the redacted copy but resends
// the body as first sent; a row with its own body resends that.
func TestHookLogSentBody(t *testing.T) { dbtest.EachBackend(t, testHookLogSentBody) }

func testHookLogSentBody(t *testing.T) {
	s := dbtest.Open(t)
	g := dbtest.Group(t, s, "acme", nil, nil)
	p := dbtest.Project(t, s, "api", g)
	h := projectHook(t, s, p, "https://hooks.example.com/a")
	body := `{"object_kind":"push","ref":"refs/heads/main","user_email":"jsmith@example.com"}`
	logged := `{"object_kind":"push","ref":"refs/heads/main","user_email":"[REDACTED]"}`
	ev, err := model.ParseEvent([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: []byte(body)}}}); err != nil {
		t.Fatal(err)
	}
	sample, err := s.SampleEvent(ctx, []int64{p.ID}, "push_hooks")
	if err != nil || string(sample.Payload) != body || sample.ID == 0 {
		t.Fatalf("sample %+v (%v)", sample, err)
	}
	viaEvent := &model.HookLog{HookID: h.ID, EventID: &sample.ID, Trigger: "push_hooks", ResponseStatus: "200", ResponseBody: []byte{}}
	own := &model.HookLog{HookID: h.ID, Trigger: "push_hooks", ResponseStatus: "200", ResponseBody: []byte{}, RequestData: []byte(`{"rendered":true}`)}
	if _, err := s.RecordOutcomes(ctx, "", []db.Outcome{{Log: viaEvent}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordOutcomes(ctx, "", []db.Outcome{{Log: own}}); err != nil {
		t.Fatal(err)
	}
	shown, err := s.HookLog(ctx, h.ID, viaEvent.ID)
	if err != nil || string(shown.RequestData) != logged {
		t.Fatalf("shown %q (%v)", shown.RequestData, err)
	}
	for _, tc := range []struct {
		id   int64
		want string
	}{{viaEvent.ID, body}, {own.ID, `{"rendered":true}`}} {
		got, err := s.HookLogSentBody(ctx, h.ID, tc.id)
		if err != nil || string(got) != tc.want {
			t.Errorf("log %d: got %q (%v), want %q", tc.id, got, err, tc.want)
		}
	}
	if _, err := s.HookLogSentBody(ctx, h.ID+1, viaEvent.ID); err == nil {
		t.Error("another hook's log row was read")
	}
}
