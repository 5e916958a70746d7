package db_test

import (
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// staleBound is how late a change made by another instance may show: the
// caches' TTL is a second, the promise five.
const staleBound = 5 * time.Second

// twoHandles opens two stores on one database file, as two instances (or
// an instance and the CLI) would.
func twoHandles(t *testing.T) (a, b *db.Store) {
	path := dbtest.NewDB(t)
	return dbtest.OpenAt(t, path, nil), dbtest.OpenAt(t, path, nil)
}

// A token revoked through one handle is refused through the other within
// five seconds, although the other had it cached.
func TestTokenRevokedElsewhereIsRefusedWithinFiveSeconds(t *testing.T) {
	dbtest.EachBackend(t, testTokenRevokedElsewhereIsRefusedWithinFiveSeconds)
}

func testTokenRevokedElsewhereIsRefusedWithinFiveSeconds(t *testing.T) {
	a, b := twoHandles(t)
	ctx := t.Context()
	u := dbtest.User(t, a, "alice", false)
	raw := db.RandomToken(20)
	tok := &model.PersonalAccessToken{UserID: u.ID, Name: "ci", Scopes: "api"}
	if err := a.CreateToken(ctx, tok, raw); err != nil {
		t.Fatal(err)
	}
	if got, _, err := b.TokenWithUser(ctx, raw); err != nil || got.Revoked {
		t.Fatalf("before revoking: %+v %v", got, err)
	}
	if err := a.RevokeToken(ctx, u.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		got, _, err := b.TokenWithUser(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		if got.Revoked {
			t.Logf("refused after %v", time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > staleBound {
			t.Fatalf("revoked token still served after %v", staleBound)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Settings changed through one handle take effect through the other's
// cache within five seconds.
func TestSettingsChangedElsewhereShowWithinFiveSeconds(t *testing.T) {
	dbtest.EachBackend(t, testSettingsChangedElsewhereShowWithinFiveSeconds)
}

func testSettingsChangedElsewhereShowWithinFiveSeconds(t *testing.T) {
	a, b := twoHandles(t)
	ctx := t.Context()
	before, err := b.CachedSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.WebHookCalls = before.WebHookCalls + 7
	if err := a.UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		got, err := b.CachedSettings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got.WebHookCalls == st.WebHookCalls {
			t.Logf("seen after %v", time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > staleBound {
			t.Fatalf("web_hook_calls still %d after %v, want %d", got.WebHookCalls, staleBound, st.WebHookCalls)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
