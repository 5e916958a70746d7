package db_test

import (
	"errors"
	"testing"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// The token cache must never outlive a change made through the store:
// a revoked token, a blocked user or a new password shows on the next
// request, not a TTL later.
func TestTokenWithUserSeesChangesAtOnce(t *testing.T) {
	s := dbtest.Open(t)
	ctx := t.Context()
	u := dbtest.User(t, s, "alice", false)
	raw := db.RandomToken(20)
	tok := &model.PersonalAccessToken{UserID: u.ID, Name: "ci", Scopes: "api"}
	if err := s.CreateToken(ctx, tok, raw); err != nil {
		t.Fatal(err)
	}

	gotT, gotU, err := s.TokenWithUser(ctx, raw)
	if err != nil || gotT.ID != tok.ID || gotU.ID != u.ID || !gotU.Active() {
		t.Fatalf("first lookup: %+v %+v %v", gotT, gotU, err)
	}
	// A caller changing its copy does not change the cache.
	gotU.State, gotT.Revoked = model.UserBlocked, true
	if gotT, gotU, _ = s.TokenWithUser(ctx, raw); gotT.Revoked || !gotU.Active() {
		t.Fatal("a caller's change to its copy leaked into the cache")
	}

	if err := s.SetUserState(ctx, u.ID, model.UserBlocked); err != nil {
		t.Fatal(err)
	}
	if _, gotU, _ = s.TokenWithUser(ctx, raw); gotU.Active() {
		t.Fatal("blocked user still active from the cache")
	}
	if err := s.SetUserState(ctx, u.ID, model.UserActive); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserPassword(ctx, u.ID, "new-hash"); err != nil {
		t.Fatal(err)
	}
	if _, gotU, _ = s.TokenWithUser(ctx, raw); gotU.PasswordHash != "new-hash" || !gotU.Active() {
		t.Fatalf("user after unblock and new password: %+v", gotU)
	}

	if err := s.RevokeToken(ctx, u.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if gotT, _, _ = s.TokenWithUser(ctx, raw); !gotT.Revoked {
		t.Fatal("revoked token served unrevoked from the cache")
	}

	if _, _, err := s.TokenWithUser(ctx, db.RandomToken(20)); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
}
