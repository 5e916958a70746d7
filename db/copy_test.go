package db_test

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// Moving from SQLite to PostgreSQL keeps everything: users, groups,
// hooks with their secrets (same key), events, the outbox with its keys,
// hook logs, settings and sessions; new rows get IDs after the copied ones.
func TestCopySQLiteToPostgres(t *testing.T) {
	src := dbtest.OpenAt(t, filepath.Join(t.TempDir(), "hooklab.db"), nil)
	alice := dbtest.User(t, src, "alice", true)
	acme := dbtest.Group(t, src, "acme", nil, alice)
	sub := dbtest.Group(t, src, "platform", acme, nil)
	api := dbtest.Project(t, src, "api", sub)
	h := model.NewHook(model.ProjectHookKind)
	h.URL, h.ProjectID, h.Token = "https://hooks.example.com/{p}", &api.ID, "secret-token"
	h.URLVariables = map[string]string{"p": "path-secret"}
	h.CustomHeaders = map[string]string{"Authorization": "Bearer x"}
	if err := src.CreateHook(ctx, &h); err != nil {
		t.Fatal(err)
	}
	st, _ := src.Settings(ctx)
	st.WebHookCalls, st.HookLogRetentionDays = 123, 30
	if err := src.UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	ev, err := model.ParseEvent([]byte(`{"object_kind":"push","ref":"refs/heads/main"}`))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := src.Publish(ctx, db.Publication{ProjectID: api.ID, Events: []db.PublishEvent{{Event: ev, Payload: ev.Raw, FireHooks: true}}}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	if err := src.RegisterInstance(ctx, db.Instance{ID: "old", StartedAt: now, HeartbeatAt: now}); err != nil {
		t.Fatal(err)
	}
	claims, _, err := src.ClaimDeliveries(ctx, "old", now, now.Add(time.Minute), db.ClaimLimits{Count: 1})
	if err != nil || len(claims) != 1 {
		t.Fatalf("claim: %v %v", claims, err)
	}
	if _, err := src.RecordOutcomes(ctx, "old", []db.Outcome{{DeliveryID: claims[0].ID, CountsForState: true, Log: &model.HookLog{
		HookID: h.ID, EventID: &claims[0].EventID, Trigger: "push_hooks", URL: "https://hooks.example.com/{p}", ResponseStatus: "500",
		ResponseBody: []byte("oops"), ExecutionDuration: 0.25, IdempotencyKey: claims[0].IdempotencyKey}}}); err != nil {
		t.Fatal(err)
	}
	leased, _, err := src.ClaimDeliveries(ctx, "old", now, now.Add(time.Minute), db.ClaimLimits{Count: 1})
	if err != nil || len(leased) != 1 {
		t.Fatalf("claim: %v %v", leased, err)
	}
	if _, _, err := src.CreateSession(ctx, alice.ID, "127.0.0.1", "test"); err != nil {
		t.Fatal(err)
	}

	url := dbtest.PostgresURL(t)
	dst := dbtest.OpenAt(t, url, nil)
	copied, err := db.CopySQLiteToPostgres(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("copied %v", copied)

	wantHook, _ := src.Hook(ctx, h.ID)
	gotHook, err := dst.Hook(ctx, h.ID)
	if err != nil || !reflect.DeepEqual(gotHook, wantHook) {
		t.Fatalf("hook after the copy:\n got %+v (%v)\nwant %+v", gotHook, err, wantHook)
	}
	wantLogs, _, _ := src.HookLogs(ctx, h.ID, db.HookLogFilter{Page: db.Page{Page: 1, PerPage: 20}})
	for i := range wantLogs {
		// PostgreSQL keeps timestamps to the microsecond (pgx truncates); SQLite kept
		// the nanoseconds the store's clock gave.
		wantLogs[i].CreatedAt = wantLogs[i].CreatedAt.Truncate(time.Microsecond)
	}
	gotLogs, _, err := dst.HookLogs(ctx, h.ID, db.HookLogFilter{Page: db.Page{Page: 1, PerPage: 20}})
	if err != nil || len(gotLogs) != 1 || !reflect.DeepEqual(gotLogs, wantLogs) {
		t.Fatalf("hook logs after the copy:\n got %+v (%v)\nwant %+v", gotLogs, err, wantLogs)
	}
	gotSt, err := dst.Settings(ctx)
	if err != nil || gotSt.WebHookCalls != 123 || gotSt.HookLogRetentionDays != 30 {
		t.Fatalf("settings after the copy: %+v (%v)", gotSt, err)
	}
	// The outbox: both pending deliveries, the one leased to the old
	// engine free to claim at once, with their keys.
	later := time.Now().Add(time.Millisecond)
	got, _, err := dst.ClaimDeliveries(ctx, "new", later, later.Add(time.Minute), db.ClaimLimits{Count: 10})
	if err != nil || len(got) != 2 {
		t.Fatalf("claims after the copy: %+v (%v)", got, err)
	}
	if got[0].IdempotencyKey != leased[0].IdempotencyKey && got[1].IdempotencyKey != leased[0].IdempotencyKey {
		t.Fatalf("the leased delivery lost its key: %+v, want %s among them", got, leased[0].IdempotencyKey)
	}
	// Users come along whole; new rows follow the copied IDs.
	wantUser, _ := src.User(ctx, alice.ID)
	wantUser.CreatedAt, wantUser.UpdatedAt = wantUser.CreatedAt.Truncate(time.Microsecond), wantUser.UpdatedAt.Truncate(time.Microsecond)
	if u, err := dst.UserByLogin(ctx, "alice"); err != nil || !reflect.DeepEqual(u, wantUser) {
		t.Fatalf("user after the copy:\n got %+v (%v)\nwant %+v", u, err, wantUser)
	}
	bob := dbtest.User(t, dst, "bob", false)
	g2 := dbtest.Group(t, dst, "beta", nil, nil)
	if bob.ID <= alice.ID || g2.ID <= sub.ID {
		t.Fatalf("new IDs %d, %d reuse copied ones (alice %d, platform %d)", bob.ID, g2.ID, alice.ID, sub.ID)
	}
	if _, err := db.CopySQLiteToPostgres(ctx, src, dst); err == nil {
		t.Fatal("a second copy into a database with users went through")
	}
}
