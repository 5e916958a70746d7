package db_test

import (
	"errors"
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

func TestRenewedConfirmationReplacesTheOldLink(t *testing.T) {
	s := dbtest.Open(t)
	u := dbtest.User(t, s, "alice", false)
	e, err := s.AddEmail(ctx, u.ID, "alice@work.example.com", "first-token")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RenewEmailConfirmation(ctx, u.ID, e.ID, "second-token"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConfirmEmail(ctx, "first-token"); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("old token: got %v, want not found", err)
	}
	got, err := s.ConfirmEmail(ctx, "second-token")
	if err != nil || got.ID != e.ID || !got.Verified() {
		t.Fatalf("new token: got %+v, %v; want e-mail %d verified", got, err, e.ID)
	}
	if _, err := s.RenewEmailConfirmation(ctx, u.ID, e.ID, "third-token"); !errors.Is(err, model.ErrConflict) {
		t.Fatalf("renewing a verified e-mail: got %v, want a conflict", err)
	}
	other := dbtest.User(t, s, "bob", false)
	if _, err := s.RenewEmailConfirmation(ctx, other.ID, e.ID, "fourth-token"); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("someone else's e-mail: got %v, want not found", err)
	}
}
