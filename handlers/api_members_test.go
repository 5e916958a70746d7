package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

type apiMemberJSON struct {
	ID          int64   `json:"id"`
	Username    string  `json:"username"`
	Name        string  `json:"name"`
	State       string  `json:"state"`
	AvatarURL   *string `json:"avatar_url"`
	WebURL      string  `json:"web_url"`
	AccessLevel int     `json:"access_level"`
	CreatedAt   string  `json:"created_at"`
	ExpiresAt   *string `json:"expires_at"`
	CreatedBy   *struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	} `json:"created_by"`
}

func TestAPIMembersAddErrors(t *testing.T) {
	w := newMembersWorld(t)
	ownerTok, maintTok, devTok, strangerTok := w.a.token(w.owner), w.a.token(w.maint), w.a.token(w.dev), w.a.token(w.stranger)
	groupPath := "/api/v4/groups/" + itoa(w.platform.ID) + "/members"
	projectPath := "/api/v4/projects/acme%2Fplatform%2Fapi/members"
	yesterday := time.Now().AddDate(0, 0, -1).Format("2006-01-02")

	for _, tc := range []struct {
		name, path, token string
		body              map[string]any
		want              int
		contains          string
	}{
		{"access_level missing", groupPath, ownerTok, map[string]any{"user_id": w.carol.ID}, 400, `{"error":"access_level is missing"}`},
		{"access_level not a level", groupPath, ownerTok, map[string]any{"user_id": w.carol.ID, "access_level": 35}, 400, `{"error":"access_level does not have a valid value"}`},
		{"access_level not a number", groupPath, ownerTok, map[string]any{"user_id": w.carol.ID, "access_level": "dev"}, 400, `{"error":"access_level is invalid"}`},
		{"no user", groupPath, ownerTok, map[string]any{"access_level": 30}, 400, `user_id, username are missing`},
		{"both user_id and username", groupPath, ownerTok, map[string]any{"user_id": w.carol.ID, "username": "carol", "access_level": 30}, 400, `mutually exclusive`},
		{"unknown user", groupPath, ownerTok, map[string]any{"user_id": 9999, "access_level": 30}, 404, `{"message":"404 User Not Found"}`},
		{"unknown username", groupPath, ownerTok, map[string]any{"username": "ghost", "access_level": 30}, 404, `{"message":"404 User Not Found"}`},
		{"already a member", groupPath, ownerTok, map[string]any{"user_id": w.dev.ID, "access_level": 30}, 409, `{"message":"Member already exists"}`},
		{"expiry in the past", groupPath, ownerTok, map[string]any{"user_id": w.carol.ID, "access_level": 30, "expires_at": yesterday}, 400, `"expires_at":["cannot be a date in the past"]`},
		{"expiry not a date", groupPath, ownerTok, map[string]any{"user_id": w.carol.ID, "access_level": 30, "expires_at": "soon"}, 400, `{"error":"expires_at is invalid"}`},
		{"below inherited", projectPath, maintTok, map[string]any{"user_id": w.dev.ID, "access_level": 20}, 400,
			`"access_level":["should be greater than or equal to Developer inherited membership from group platform"]`},
		{"higher than own", projectPath, maintTok, map[string]any{"user_id": w.carol.ID, "access_level": 50}, 403, `403 Forbidden`},
		{"developer visible but not allowed", projectPath, devTok, map[string]any{"user_id": w.carol.ID, "access_level": 10}, 403, `403 Forbidden`},
		{"maintainer may not manage the group", groupPath, maintTok, map[string]any{"user_id": w.carol.ID, "access_level": 10}, 403, `403 Forbidden`},
		{"stranger", projectPath, strangerTok, map[string]any{"user_id": w.carol.ID, "access_level": 10}, 404, `404 Project Not Found`},
		{"no token", projectPath, "", map[string]any{"user_id": w.carol.ID, "access_level": 10}, 401, `401 Unauthorized`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(w.members(t, model.SourceGroup, w.platform.ID)) + len(w.members(t, model.SourceProject, w.api.ID))
			rec := w.a.api(http.MethodPost, tc.path, tc.token, tc.body)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.contains) {
				t.Fatalf("got %d %s, want %d with %s", rec.Code, rec.Body, tc.want, tc.contains)
			}
			after := len(w.members(t, model.SourceGroup, w.platform.ID)) + len(w.members(t, model.SourceProject, w.api.ID))
			if after != before {
				t.Fatalf("got %d memberships after a refused request, want %d", after, before)
			}
		})
	}
}

func TestAPIMembersLifecycle(t *testing.T) {
	w := newMembersWorld(t)
	ownerTok, devTok := w.a.token(w.owner), w.a.token(w.dev)
	base := "/api/v4/groups/acme%2Fplatform/members"
	nextMonth := time.Now().AddDate(0, 1, 0).Format("2006-01-02")

	rec := w.a.api(http.MethodPost, base, ownerTok, map[string]any{"username": "carol", "access_level": 20, "expires_at": nextMonth})
	if rec.Code != http.StatusCreated {
		t.Fatalf("add: %d %s", rec.Code, rec.Body)
	}
	var m apiMemberJSON
	decode(t, rec, &m)
	if m.ID != w.carol.ID || m.Username != "carol" || m.AccessLevel != 20 || m.State != "active" ||
		m.WebURL != "http://hooklab.test/carol" || m.ExpiresAt == nil || *m.ExpiresAt != nextMonth ||
		m.CreatedBy == nil || m.CreatedBy.Username != "owner" {
		t.Fatalf("got %+v", m)
	}

	var list []apiMemberJSON
	rec = w.a.api(http.MethodGet, base, devTok, nil)
	decode(t, rec, &list)
	if rec.Code != 200 || len(list) != 2 || rec.Header().Get("X-Total") != "2" {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	rec = w.a.api(http.MethodGet, base+"?query=car", devTok, nil)
	decode(t, rec, &list)
	if len(list) != 1 || list[0].Username != "carol" {
		t.Fatalf("query: %s", rec.Body)
	}
	rec = w.a.api(http.MethodGet, base+"/all", devTok, nil)
	decode(t, rec, &list)
	levels := map[string]int{}
	for _, x := range list {
		levels[x.Username] = x.AccessLevel
	}
	if len(list) != 3 || levels["owner"] != 50 || levels["dev"] != 30 || levels["carol"] != 20 {
		t.Fatalf("all: %s", rec.Body)
	}
	if rec := w.a.api(http.MethodGet, base+"/"+itoa(w.owner.ID), devTok, nil); rec.Code != 404 {
		t.Fatalf("inherited owner is not a direct member: got %d", rec.Code)
	}
	if rec := w.a.api(http.MethodGet, base+"/all/"+itoa(w.owner.ID), devTok, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"access_level":50`) {
		t.Fatalf("inherited owner via all: %d %s", rec.Code, rec.Body)
	}

	rec = w.a.api(http.MethodPut, base+"/"+itoa(w.carol.ID), ownerTok, map[string]any{"access_level": 40})
	decode(t, rec, &m)
	if rec.Code != 200 || m.AccessLevel != 40 || m.ExpiresAt == nil || *m.ExpiresAt != nextMonth {
		t.Fatalf("edit: %d %s (the expiry must stay)", rec.Code, rec.Body)
	}
	for _, tc := range []struct {
		name, token string
		body        map[string]any
		user        int64
		want        int
	}{
		{"missing level", ownerTok, map[string]any{}, w.carol.ID, 400},
		{"bad level", ownerTok, map[string]any{"access_level": 60}, w.carol.ID, 400},
		{"not a member", ownerTok, map[string]any{"access_level": 30}, w.stranger.ID, 404},
		{"developer", devTok, map[string]any{"access_level": 50}, w.carol.ID, 403},
	} {
		t.Run("edit "+tc.name, func(t *testing.T) {
			rec := w.a.api(http.MethodPut, base+"/"+itoa(tc.user), tc.token, tc.body)
			if rec.Code != tc.want {
				t.Fatalf("got %d %s, want %d", rec.Code, rec.Body, tc.want)
			}
			if got, _ := w.a.store.Member(t.Context(), model.SourceGroup, w.platform.ID, w.carol.ID); got.AccessLevel != model.Maintainer {
				t.Fatalf("carol's level changed to %v", got.AccessLevel)
			}
		})
	}

	if rec := w.a.api(http.MethodDelete, base+"/"+itoa(w.carol.ID), devTok, nil); rec.Code != 403 {
		t.Fatalf("developer delete: got %d", rec.Code)
	}
	if rec := w.a.api(http.MethodDelete, base+"/"+itoa(w.carol.ID), ownerTok, nil); rec.Code != 204 {
		t.Fatalf("delete: got %d %s", rec.Code, rec.Body)
	}
	if rec := w.a.api(http.MethodDelete, base+"/"+itoa(w.carol.ID), ownerTok, nil); rec.Code != 404 {
		t.Fatalf("delete again: got %d", rec.Code)
	}
	// The last owner of acme cannot leave.
	rec = w.a.api(http.MethodDelete, "/api/v4/groups/acme/members/"+itoa(w.owner.ID), ownerTok, nil)
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "at least one owner") {
		t.Fatalf("last owner: got %d %s", rec.Code, rec.Body)
	}
	// A developer may leave.
	if rec := w.a.api(http.MethodDelete, base+"/"+itoa(w.dev.ID), devTok, nil); rec.Code != 204 {
		t.Fatalf("leave: got %d %s", rec.Code, rec.Body)
	}
}

func TestAPIInvitations(t *testing.T) {
	w := newMembersWorld(t)
	ownerTok, maintTok, devTok, strangerTok := w.a.token(w.owner), w.a.token(w.maint), w.a.token(w.dev), w.a.token(w.stranger)
	base := "/api/v4/projects/" + itoa(w.api.ID) + "/invitations"

	rec := w.a.api(http.MethodPost, base, maintTok, map[string]any{"email": "a@example.org,b@example.org", "access_level": 30})
	if rec.Code != http.StatusCreated || strings.TrimSpace(rec.Body.String()) != `{"status":"success"}` {
		t.Fatalf("invite: %d %s", rec.Code, rec.Body)
	}
	mails := w.a.mail.all()
	if len(mails) != 2 || mails[0].To != "a@example.org" || mails[1].To != "b@example.org" {
		t.Fatalf("got mails %+v", mails)
	}
	for _, m := range mails {
		if m.Tag != "invite_email" || m.Variables["invite_token"] == "" || m.Subject != "Invitation to join the acme / platform / api project" ||
			!strings.Contains(m.Body, "http://hooklab.test/-/invites/"+m.Variables["invite_token"]) {
			t.Errorf("mail %+v", m)
		}
	}

	for _, tc := range []struct {
		name, token string
		body        map[string]any
		want        int
		body2       string
	}{
		{"already invited", maintTok, map[string]any{"email": "A@example.org", "access_level": 30}, 201,
			`{"message":{"A@example.org":"Invite email has already been taken"},"status":"error"}`},
		{"nobody", maintTok, map[string]any{"access_level": 30}, 400, `{"message":"400 Bad request - Must provide either email or user_id as a parameter"}`},
		{"blank email", maintTok, map[string]any{"email": "", "access_level": 30}, 400, `Must provide either email or user_id`},
		{"invalid email", maintTok, map[string]any{"email": "c@example.org,not-an-email", "access_level": 30}, 400, `{"error":"email contains an invalid email address"}`},
		{"no level", maintTok, map[string]any{"email": "c@example.org"}, 400, `{"error":"access_level is missing"}`},
		{"bad level", maintTok, map[string]any{"email": "c@example.org", "access_level": 45}, 400, `{"error":"access_level does not have a valid value"}`},
		{"developer", devTok, map[string]any{"email": "c@example.org", "access_level": 10}, 403, `403 Forbidden`},
		{"stranger", strangerTok, map[string]any{"email": "c@example.org", "access_level": 10}, 404, `404 Project Not Found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, sent := len(w.members(t, model.SourceProject, w.api.ID)), len(w.a.mail.all())
			rec := w.a.api(http.MethodPost, base, tc.token, tc.body)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.body2) {
				t.Fatalf("got %d %s, want %d with %s", rec.Code, rec.Body, tc.want, tc.body2)
			}
			if n := len(w.members(t, model.SourceProject, w.api.ID)); n != before {
				t.Fatalf("got %d members, want %d", n, before)
			}
			if len(w.a.mail.all()) != sent {
				t.Fatal("a refused invitation sent mail")
			}
		})
	}

	t.Run("existing account by email and user_id", func(t *testing.T) {
		rec := w.a.api(http.MethodPost, base, maintTok, map[string]any{"email": "carol@example.com", "user_id": itoa(w.stranger.ID), "access_level": 20})
		if rec.Code != 201 || !strings.Contains(rec.Body.String(), `"success"`) {
			t.Fatalf("got %d %s", rec.Code, rec.Body)
		}
		for _, u := range []*model.User{w.carol, w.stranger} {
			if m, err := w.a.store.Member(t.Context(), model.SourceProject, w.api.ID, u.ID); err != nil || m.AccessLevel != model.Reporter {
				t.Errorf("%s: %+v (%v)", u.Username, m, err)
			}
		}
		// An invitation for a member's address changes their level.
		rec = w.a.api(http.MethodPost, base, maintTok, map[string]any{"email": "carol@example.com", "access_level": 30})
		if rec.Code != 201 || !strings.Contains(rec.Body.String(), `"success"`) {
			t.Fatalf("got %d %s", rec.Code, rec.Body)
		}
		if m, _ := w.a.store.Member(t.Context(), model.SourceProject, w.api.ID, w.carol.ID); m.AccessLevel != model.Developer {
			t.Errorf("carol: got %v, want Developer", m.AccessLevel)
		}
	})

	var invites []struct {
		ID            int64   `json:"id"`
		InviteEmail   string  `json:"invite_email"`
		AccessLevel   int     `json:"access_level"`
		CreatedAt     string  `json:"created_at"`
		UserName      *string `json:"user_name"`
		CreatedByName *string `json:"created_by_name"`
	}
	rec = w.a.api(http.MethodGet, base, maintTok, nil)
	decode(t, rec, &invites)
	if rec.Code != 200 || len(invites) != 2 || invites[0].InviteEmail != "a@example.org" || invites[0].AccessLevel != 30 ||
		invites[0].CreatedByName == nil || *invites[0].CreatedByName != "maint" || invites[0].UserName != nil || rec.Header().Get("X-Total") != "2" {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "token") {
		t.Fatalf("the list shows a token: %s", rec.Body)
	}
	rec = w.a.api(http.MethodGet, base+"?query=b@", ownerTok, nil)
	decode(t, rec, &invites)
	if len(invites) != 1 || invites[0].InviteEmail != "b@example.org" {
		t.Fatalf("query: %s", rec.Body)
	}
	if rec := w.a.api(http.MethodGet, base, devTok, nil); rec.Code != 403 {
		t.Fatalf("developer list: got %d, want 403", rec.Code)
	}
	outsider := dbtest.User(t, w.a.store, "outsider", false)
	if rec := w.a.api(http.MethodGet, base, w.a.token(outsider), nil); rec.Code != 404 {
		t.Fatalf("outsider list: got %d, want 404", rec.Code)
	}
	if rec := w.a.api(http.MethodDelete, base+"/b@example.org", maintTok, nil); rec.Code != 204 {
		t.Fatalf("delete invitation: got %d %s", rec.Code, rec.Body)
	}
	if rec := w.a.api(http.MethodDelete, base+"/b@example.org", maintTok, nil); rec.Code != 404 {
		t.Fatalf("delete again: got %d", rec.Code)
	}
}
