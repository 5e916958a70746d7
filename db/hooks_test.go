package db_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

func projectHook(t *testing.T, s *db.Store, p *model.Project, url string) *model.Hook {
	t.Helper()
	h := model.NewHook(model.ProjectHookKind)
	h.ProjectID = &p.ID
	h.URL = url
	if err := s.CreateHook(ctx, &h); err != nil {
		t.Fatalf("create project hook: %v", err)
	}
	return &h
}

func groupHook(t *testing.T, s *db.Store, g *model.Group, url string, triggers ...string) *model.Hook {
	t.Helper()
	h := model.NewHook(model.GroupHookKind)
	h.GroupID = &g.ID
	h.URL = url
	if len(triggers) > 0 {
		h.Events = model.NewTriggerSet(triggers...)
	}
	if err := s.CreateHook(ctx, &h); err != nil {
		t.Fatalf("create group hook: %v", err)
	}
	return &h
}

func TestHookRoundTripAndSecretsAreEncryptedAtRest(t *testing.T) {
	dbtest.EachBackend(t, testHookRoundTripAndSecretsAreEncryptedAtRest)
}

func testHookRoundTripAndSecretsAreEncryptedAtRest(t *testing.T) {
	path := dbtest.NewDB(t)
	s := dbtest.OpenAt(t, path, nil)
	acme := dbtest.Group(t, s, "acme", nil, nil)
	api := dbtest.Project(t, s, "api", acme)

	const (
		url         = "https://hooks.receiver-example.com/{path}?key={secret}"
		pathValue   = "p4th-v4lue-xyzzy"
		secretValue = "url-variable-secret-9f3k"
		token       = "secret-token-q8w7e6"
		headerValue = "Bearer header-secret-m1n2b3"
	)
	filter := "release/*"
	h := model.NewHook(model.ProjectHookKind)
	h.ProjectID = &api.ID
	h.URL = url
	h.Name, h.Description = "Receiver", "Sends pushes and issues"
	h.Token = token
	h.Events = model.NewTriggerSet("push_events", "issues_events", "confidential_note_events")
	h.PushEventsBranchFilter = &filter
	h.EnableSSLVerification = false
	h.CustomWebhookTemplate = `{"event":"{{object_kind}}"}`
	h.URLVariables = map[string]string{"path": pathValue, "secret": secretValue}
	h.CustomHeaders = map[string]string{"Authorization": headerValue}
	if err := s.CreateHook(ctx, &h); err != nil {
		t.Fatal(err)
	}
	if h.ID == 0 || h.CreatedAt.IsZero() || !h.UpdatedAt.Equal(h.CreatedAt) {
		t.Fatalf("got id %d created %v updated %v", h.ID, h.CreatedAt, h.UpdatedAt)
	}

	got, err := s.Hook(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, h) {
		t.Fatalf("read back:\n got %+v\nwant %+v", *got, h)
	}
	if u, _ := got.InterpolatedURL(); u != "https://hooks.receiver-example.com/"+pathValue+"?key="+secretValue {
		t.Fatalf("got interpolated URL %q", u)
	}
	list, err := s.HooksByProject(ctx, api.ID)
	if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0], h) {
		t.Fatalf("HooksByProject: got %+v (%v)", list, err)
	}

	s.Close()
	files := []string{path, path + "-wal"}
	if dbtest.BackendOf(t) == dbtest.Postgres {
		// Every column of every hooks row, as PostgreSQL stores it
		// (bytea decoded to its bytes).
		raw := dbtest.Raw(t, path)
		var cols [][]byte
		if err := raw.Select(&cols, `SELECT url FROM hooks UNION ALL SELECT token FROM hooks
			UNION ALL SELECT url_variables FROM hooks UNION ALL SELECT custom_headers FROM hooks
			UNION ALL SELECT convert_to(h::text, 'UTF8') FROM hooks h`); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "hooks-rows")
		if err := os.WriteFile(f, bytes.Join(cols, []byte("\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		files = []string{f}
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		for _, secret := range []string{"receiver-example.com", pathValue, secretValue, token, headerValue, "header-secret"} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%s holds %q in clear", filepath.Base(f), secret)
			}
		}
	}
}

func TestHookLimitComesFromSettings(t *testing.T) {
	dbtest.EachBackend(t, testHookLimitComesFromSettings)
}

func testHookLimitComesFromSettings(t *testing.T) {
	s := dbtest.Open(t)
	acme := dbtest.Group(t, s, "acme", nil, nil)
	api := dbtest.Project(t, s, "api", acme)
	st, _ := s.Settings(ctx)
	st.ProjectHooksLimit, st.GroupHooksLimit = 2, 1
	if err := s.UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	projectHook(t, s, api, "https://a.example.com/1")
	projectHook(t, s, api, "https://a.example.com/2")
	groupHook(t, s, acme, "https://a.example.com/g")

	for _, tc := range []struct {
		name string
		hook model.Hook
		want string
	}{
		{"project", func() model.Hook {
			h := model.NewHook(model.ProjectHookKind)
			h.ProjectID, h.URL = &api.ID, "https://a.example.com/3"
			return h
		}(), "Maximum number of project hooks (2) exceeded"},
		{"group", func() model.Hook {
			h := model.NewHook(model.GroupHookKind)
			h.GroupID, h.URL = &acme.ID, "https://a.example.com/g2"
			return h
		}(), "Maximum number of group hooks (1) exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.CreateHook(ctx, &tc.hook)
			if v, ok := model.AsValidation(err); !ok || !slices.Equal(v.For("base"), []string{tc.want}) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	if n, _ := s.CountHooks(ctx, model.ProjectHookKind, api.ID); n != 2 {
		t.Fatalf("got %d project hooks, want 2", n)
	}
	// System hooks are never limited.
	for i := range 3 {
		h := model.NewHook(model.SystemHookKind)
		h.URL = "https://a.example.com/s" + string(rune('0'+i))
		if err := s.CreateHook(ctx, &h); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUpdateHookRefusesAStaleRead(t *testing.T) {
	dbtest.EachBackend(t, testUpdateHookRefusesAStaleRead)
}

func testUpdateHookRefusesAStaleRead(t *testing.T) {
	s := dbtest.Open(t)
	acme := dbtest.Group(t, s, "acme", nil, nil)
	api := dbtest.Project(t, s, "api", acme)
	h := projectHook(t, s, api, "https://a.example.com/1")

	first, _ := s.Hook(ctx, h.ID)
	second, _ := s.Hook(ctx, h.ID)
	first.Name = "first"
	if err := s.UpdateHook(ctx, first); err != nil {
		t.Fatal(err)
	}
	second.Name = "second"
	if err := s.UpdateHook(ctx, second); !errors.Is(err, model.ErrConflict) {
		t.Fatalf("got %v, want a conflict", err)
	}
	got, _ := s.Hook(ctx, h.ID)
	if got.Name != "first" {
		t.Fatalf("got name %q, want first", got.Name)
	}
	// The updated hook carries the new version and can be updated again.
	first.Name = "again"
	if err := s.UpdateHook(ctx, first); err != nil {
		t.Fatalf("update with the returned version: %v", err)
	}
	gone := *first
	gone.ID = 999
	if err := s.UpdateHook(ctx, &gone); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("update of a missing hook: got %v", err)
	}
	invalid := *first
	invalid.URL = "ftp://a.example.com"
	if err := s.UpdateHook(ctx, &invalid); !errors.Is(err, model.ErrInvalid) {
		t.Fatalf("update with an invalid URL: got %v", err)
	}
}

func TestHookStateIsSeparateFromConfiguration(t *testing.T) {
	dbtest.EachBackend(t, testHookStateIsSeparateFromConfiguration)
}

func testHookStateIsSeparateFromConfiguration(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := dbtest.OpenAt(t, dbtest.NewDB(t), func() time.Time { return now })
	acme := dbtest.Group(t, s, "acme", nil, nil)
	api := dbtest.Project(t, s, "api", acme)
	h := projectHook(t, s, api, "https://a.example.com/1")

	for range 4 {
		if _, err := s.UpdateHookState(ctx, h.ID, func(h *model.Hook) bool { return h.RecordFailure(now, true) }); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.Hook(ctx, h.ID)
	if got.RecentFailures != 4 || got.DisabledUntil == nil || !got.DisabledUntil.Equal(now.Add(time.Minute)) {
		t.Fatalf("got failures %d until %v, want 4 and now+1m", got.RecentFailures, got.DisabledUntil)
	}
	if got.AlertStatus(now, true) != model.AlertTemporarilyDisabled {
		t.Fatalf("got %s", got.AlertStatus(now, true))
	}
	if !got.UpdatedAt.Equal(h.UpdatedAt) {
		t.Fatal("recording state changed updated_at")
	}
	// A configuration update with the pre-failure read keeps the state.
	h.Name = "renamed"
	if err := s.UpdateHook(ctx, h); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Hook(ctx, h.ID)
	if got.RecentFailures != 4 || got.Name != "renamed" {
		t.Fatalf("got failures %d name %q", got.RecentFailures, got.Name)
	}
	st, err := s.UpdateHookState(ctx, h.ID, func(h *model.Hook) bool { return h.RecordSuccess() })
	if err != nil || st.RecentFailures != 0 || st.DisabledUntil != nil {
		t.Fatalf("after success: %+v (%v)", st, err)
	}
	if _, err := s.UpdateHookState(ctx, 999, func(*model.Hook) bool { return true }); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("missing hook: got %v", err)
	}
}

func TestHooksForEvent(t *testing.T) { dbtest.EachBackend(t, testHooksForEvent) }

func testHooksForEvent(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := dbtest.OpenAt(t, dbtest.NewDB(t), func() time.Time { return now })
	acme := dbtest.Group(t, s, "acme", nil, nil)
	platform := dbtest.Group(t, s, "platform", acme, nil)
	other := dbtest.Group(t, s, "other", nil, nil)
	api := dbtest.Project(t, s, "api", platform)
	web := dbtest.Project(t, s, "web", platform)

	ph := projectHook(t, s, api, "https://a.example.com/project")
	projectHook(t, s, web, "https://a.example.com/other-project")
	gh := groupHook(t, s, platform, "https://a.example.com/platform", "push_events", "member_events")
	ah := groupHook(t, s, acme, "https://a.example.com/acme", "issues_events")
	groupHook(t, s, other, "https://a.example.com/other")
	sys := model.NewHook(model.SystemHookKind)
	sys.URL = "https://a.example.com/system"
	sys.Events = model.NewTriggerSet("push_events")
	if err := s.CreateHook(ctx, &sys); err != nil {
		t.Fatal(err)
	}
	// The platform hook is backing off; the system hook failed too, but
	// system hooks are never disabled.
	for _, id := range []int64{gh.ID, sys.ID} {
		for range 5 {
			if _, err := s.UpdateHookState(ctx, id, func(h *model.Hook) bool {
				h.RecentFailures++
				until := now.Add(time.Hour)
				h.DisabledUntil = &until
				return true
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	groups, err := s.GroupSelfAndAncestorIDs(ctx, api.GroupID)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(hs []model.Hook) []int64 {
		out := []int64{}
		for _, h := range hs {
			out = append(out, h.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    db.HookQuery
		want []int64
	}{
		{"project and ancestors", db.HookQuery{ProjectID: api.ID, GroupIDs: groups}, []int64{ph.ID, gh.ID, ah.ID}},
		{"with system hooks", db.HookQuery{ProjectID: api.ID, GroupIDs: groups, System: true}, []int64{ph.ID, gh.ID, ah.ID, sys.ID}},
		{"push only", db.HookQuery{ProjectID: api.ID, GroupIDs: groups, System: true, Trigger: "push_events"}, []int64{ph.ID, gh.ID, sys.ID}},
		{"issues only", db.HookQuery{ProjectID: api.ID, GroupIDs: groups, Trigger: "issues_events"}, []int64{ah.ID}},
		{"executable now", db.HookQuery{ProjectID: api.ID, GroupIDs: groups, System: true, ExecutableAt: now}, []int64{ph.ID, ah.ID, sys.ID}},
		{"executable after backoff", db.HookQuery{ProjectID: api.ID, GroupIDs: groups, ExecutableAt: now.Add(2 * time.Hour)}, []int64{ph.ID, gh.ID, ah.ID}},
		{"group event", db.HookQuery{GroupIDs: groups, Trigger: "member_events"}, []int64{gh.ID}},
		{"nothing", db.HookQuery{}, []int64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.HooksForEvent(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tc.want) {
				t.Fatalf("got %v, want %v", ids(got), tc.want)
			}
			for _, h := range got {
				if h.URL == "" {
					t.Fatalf("hook %d was not decrypted", h.ID)
				}
			}
		})
	}
	if _, err := s.HooksForEvent(ctx, db.HookQuery{ProjectID: api.ID, Trigger: "nope_events"}); err == nil {
		t.Fatal("an unknown trigger was accepted")
	}
	if err := s.DeleteHook(ctx, ph.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Hook(ctx, ph.ID); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("deleted hook: got %v", err)
	}
	if err := s.DeleteHook(ctx, ph.ID); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("second delete: got %v", err)
	}
	sysList, err := s.SystemHooks(ctx)
	if err != nil || len(sysList) != 1 || sysList[0].ID != sys.ID {
		t.Fatalf("system hooks: %v (%v)", ids(sysList), err)
	}
	acmeList, err := s.HooksByGroup(ctx, acme.ID)
	if err != nil || len(acmeList) != 1 || acmeList[0].ID != ah.ID {
		t.Fatalf("acme hooks: %v (%v)", ids(acmeList), err)
	}
}
