package main

import (
	"net/http"
	"testing"
	"time"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// Personal access tokens through the real client: an administrator
// creates tokens for a user, lists them (all, by user, state and search),
// and users read, rotate and revoke their own — by ID and as "self" —
// while another user's tokens are 404 to them.
func TestClientGoPersonalAccessTokens(t *testing.T) {
	inst := startInstance(t)
	root := inst.client(t, "root")
	newClient := func(token string) *gitlab.Client {
		c, err := gitlab.NewClient(token, gitlab.WithBaseURL(inst.URL+"/api/v4"), gitlab.WithoutRetries())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	alice, _, err := root.Users.CreateUser(&gitlab.CreateUserOptions{Username: gitlab.Ptr("alice"), Name: gitlab.Ptr("Alice"),
		Email: gitlab.Ptr("alice@example.com"), Password: gitlab.Ptr("a long password for alice")})
	if err != nil {
		t.Fatal(err)
	}
	bob, _, err := root.Users.CreateUser(&gitlab.CreateUserOptions{Username: gitlab.Ptr("bob"), Name: gitlab.Ptr("Bob"),
		Email: gitlab.Ptr("bob@example.com"), Password: gitlab.Ptr("a long password for bob")})
	if err != nil {
		t.Fatal(err)
	}

	// POST /users/:id/personal_access_tokens (admin).
	expires := gitlab.ISOTime(time.Now().UTC().AddDate(0, 1, 0).Truncate(24 * time.Hour))
	ci, resp, err := root.Users.CreatePersonalAccessToken(alice.ID, &gitlab.CreatePersonalAccessTokenOptions{
		Name: gitlab.Ptr("ci"), Scopes: gitlab.Ptr([]string{"api"}), ExpiresAt: &expires})
	if err != nil || resp.StatusCode != http.StatusCreated || ci.Token == "" || ci.UserID != alice.ID || !ci.Active ||
		ci.ExpiresAt == nil || ci.ExpiresAt.String() != expires.String() || len(ci.Scopes) != 1 || ci.Scopes[0] != "api" {
		t.Fatalf("CreatePersonalAccessToken: %+v (%v)", ci, err)
	}
	if _, _, err := root.Users.CreatePersonalAccessToken(alice.ID, &gitlab.CreatePersonalAccessTokenOptions{
		Name: gitlab.Ptr("x"), Scopes: gitlab.Ptr([]string{"sudo"})}); errStatus(err) != http.StatusBadRequest {
		t.Fatalf("sudo for a non-admin: %v", err)
	}
	if _, _, err := root.Users.CreatePersonalAccessToken(bob.ID, &gitlab.CreatePersonalAccessTokenOptions{
		Name: gitlab.Ptr("bob-token"), Scopes: gitlab.Ptr([]string{"read_api"})}); err != nil {
		t.Fatal(err)
	}
	me, _, err := root.Users.CurrentUser()
	if err != nil {
		t.Fatal(err)
	}
	sudo, _, err := root.Users.CreatePersonalAccessToken(me.ID, &gitlab.CreatePersonalAccessTokenOptions{
		Name: gitlab.Ptr("sudo"), Scopes: gitlab.Ptr([]string{"api", "sudo"})})
	if err != nil || len(sudo.Scopes) != 2 || sudo.Scopes[1] != "sudo" {
		t.Fatalf("an admin's sudo token: %+v (%v)", sudo, err)
	}
	if u, _, err := newClient(sudo.Token).Users.CurrentUser(gitlab.WithSudo("alice")); err != nil || u.Username != "alice" {
		t.Fatalf("the API-made sudo token: %+v (%v)", u, err)
	}
	ac := newClient(ci.Token)
	if _, _, err := ac.Users.CreatePersonalAccessToken(bob.ID, &gitlab.CreatePersonalAccessTokenOptions{
		Name: gitlab.Ptr("x"), Scopes: gitlab.Ptr([]string{"api"})}); errStatus(err) != http.StatusForbidden {
		t.Fatalf("a non-admin creating a token for another user: %v", err)
	}

	// Lists: a user sees their own; an admin everyone's, filtered.
	mine, _, err := ac.PersonalAccessTokens.ListPersonalAccessTokens(&gitlab.ListPersonalAccessTokensOptions{})
	if err != nil || len(mine) != 1 || mine[0].ID != ci.ID || mine[0].Token != "" {
		t.Fatalf("alice's list: %+v (%v)", mine, err)
	}
	all, _, err := root.PersonalAccessTokens.ListPersonalAccessTokens(&gitlab.ListPersonalAccessTokensOptions{})
	if err != nil || len(all) != 4 { // root's from the harness and its sudo token, alice's, bob's
		t.Fatalf("admin's list: %d (%v)", len(all), err)
	}
	byUser, _, err := root.PersonalAccessTokens.ListPersonalAccessTokens(&gitlab.ListPersonalAccessTokensOptions{UserID: gitlab.Ptr(bob.ID)})
	if err != nil || len(byUser) != 1 || byUser[0].Name != "bob-token" {
		t.Fatalf("user_id filter: %+v (%v)", byUser, err)
	}
	search, _, err := root.PersonalAccessTokens.ListPersonalAccessTokens(&gitlab.ListPersonalAccessTokensOptions{Search: gitlab.Ptr("CI")})
	if err != nil || len(search) != 1 || search[0].ID != ci.ID {
		t.Fatalf("search filter: %+v (%v)", search, err)
	}

	// Get by ID and self; another user's token is 404.
	if got, _, err := ac.PersonalAccessTokens.GetSinglePersonalAccessTokenByID(ci.ID); err != nil || got.Name != "ci" {
		t.Fatalf("GetSinglePersonalAccessTokenByID: %+v (%v)", got, err)
	}
	if got, _, err := ac.PersonalAccessTokens.GetSinglePersonalAccessToken(); err != nil || got.ID != ci.ID {
		t.Fatalf("GetSinglePersonalAccessToken: %+v (%v)", got, err)
	}
	if _, _, err := ac.PersonalAccessTokens.GetSinglePersonalAccessTokenByID(byUser[0].ID); errStatus(err) != http.StatusNotFound {
		t.Fatalf("another user's token: %v", err)
	}
	if _, err := ac.PersonalAccessTokens.RevokePersonalAccessTokenByID(byUser[0].ID); errStatus(err) != http.StatusNotFound {
		t.Fatalf("revoking another user's token: %v", err)
	}

	// Rotate self: the old token stops working, the new one works.
	rotated, _, err := ac.PersonalAccessTokens.RotatePersonalAccessTokenSelf(nil)
	if err != nil || rotated.Token == "" || rotated.ID == ci.ID || rotated.Name != "ci" || rotated.ExpiresAt == nil {
		t.Fatalf("RotatePersonalAccessTokenSelf: %+v (%v)", rotated, err)
	}
	if _, _, err := ac.Users.CurrentUser(); errStatus(err) != http.StatusUnauthorized {
		t.Fatalf("the rotated token still works: %v", err)
	}
	ac = newClient(rotated.Token)
	if u, _, err := ac.Users.CurrentUser(); err != nil || u.Username != "alice" {
		t.Fatalf("the new token: %+v (%v)", u, err)
	}
	// Rotate by ID with an expiry; rotating a revoked token is a 400.
	next := gitlab.ISOTime(time.Now().UTC().AddDate(0, 0, 3).Truncate(24 * time.Hour))
	again, _, err := root.PersonalAccessTokens.RotatePersonalAccessTokenByID(rotated.ID, &gitlab.RotatePersonalAccessTokenOptions{ExpiresAt: &next})
	if err != nil || again.ExpiresAt == nil || again.ExpiresAt.String() != next.String() {
		t.Fatalf("RotatePersonalAccessTokenByID: %+v (%v)", again, err)
	}
	if _, _, err := root.PersonalAccessTokens.RotatePersonalAccessTokenByID(rotated.ID, nil); errStatus(err) != http.StatusBadRequest {
		t.Fatalf("rotating a revoked token: %v", err)
	}
	inactive, _, err := root.PersonalAccessTokens.ListPersonalAccessTokens(&gitlab.ListPersonalAccessTokensOptions{UserID: gitlab.Ptr(alice.ID), State: gitlab.Ptr("inactive")})
	if err != nil || len(inactive) != 2 {
		t.Fatalf("state=inactive: %d (%v)", len(inactive), err)
	}

	// Revoke by ID and self.
	ac = newClient(again.Token)
	if _, err := ac.PersonalAccessTokens.RevokePersonalAccessTokenSelf(); err != nil {
		t.Fatalf("RevokePersonalAccessTokenSelf: %v", err)
	}
	if _, _, err := ac.Users.CurrentUser(); errStatus(err) != http.StatusUnauthorized {
		t.Fatalf("the revoked token still works: %v", err)
	}
	if _, err := root.PersonalAccessTokens.RevokePersonalAccessTokenByID(byUser[0].ID); err != nil {
		t.Fatalf("RevokePersonalAccessTokenByID: %v", err)
	}
	if _, err := root.PersonalAccessTokens.RevokePersonalAccessTokenByID(byUser[0].ID); errStatus(err) != http.StatusBadRequest {
		t.Fatalf("revoking twice: %v", err)
	}
	active, _, err := root.PersonalAccessTokens.ListPersonalAccessTokens(&gitlab.ListPersonalAccessTokensOptions{State: gitlab.Ptr("active")})
	if err != nil || len(active) != 2 { // root's two
		t.Fatalf("state=active: %d (%v)", len(active), err)
	}
}
