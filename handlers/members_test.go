package handlers_test

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// membersWorld is acme (owned by owner) ⊃ platform (dev is a developer)
// ⊃ project api (maint is a maintainer); carol and stranger belong nowhere.
type membersWorld struct {
	a                                  *testApp
	owner, maint, dev, carol, stranger *model.User
	acme, platform                     *model.Group
	api                                *model.Project
	groupMembersURL, projectMembersURL string
}

func newMembersWorld(t *testing.T) *membersWorld {
	t.Helper()
	a := newTestApp(t)
	w := &membersWorld{a: a}
	w.owner = dbtest.User(t, a.store, "owner", false)
	w.maint = dbtest.User(t, a.store, "maint", false)
	w.dev = dbtest.User(t, a.store, "dev", false)
	w.carol = dbtest.User(t, a.store, "carol", false)
	w.stranger = dbtest.User(t, a.store, "stranger", false)
	w.acme = dbtest.Group(t, a.store, "acme", nil, w.owner)
	w.platform = dbtest.Group(t, a.store, "platform", w.acme, nil)
	w.api = dbtest.Project(t, a.store, "api", w.platform)
	dbtest.Member(t, a.store, model.SourceGroup, w.platform.ID, w.dev, model.Developer)
	dbtest.Member(t, a.store, model.SourceProject, w.api.ID, w.maint, model.Maintainer)
	w.groupMembersURL = "/groups/acme/platform/-/group_members"
	w.projectMembersURL = "/acme/platform/api/-/project_members"
	return w
}

// members returns the direct memberships and invites of a source.
func (w *membersWorld) members(t *testing.T, sourceType string, id int64) []model.Member {
	t.Helper()
	ms, err := w.a.store.Members(t.Context(), sourceType, id)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// invite stores an invitation with a known raw token.
func (w *membersWorld) invite(t *testing.T, sourceType string, id int64, email, raw string) *model.Member {
	t.Helper()
	inv := &model.Member{SourceType: sourceType, SourceID: id, AccessLevel: model.Developer, InviteEmail: &email, CreatedByID: &w.owner.ID}
	if err := w.a.store.CreateInvite(t.Context(), inv, raw); err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestMembersPageShowsDirectInheritedAndInvites(t *testing.T) {
	w := newMembersWorld(t)
	w.invite(t, model.SourceProject, w.api.ID, "new@example.org", "tok-1")

	for _, tc := range []struct {
		name      string
		viewer    *model.User
		canManage bool
	}{
		{"maintainer manages", w.maint, true},
		{"developer reads", w.dev, false},
		{"owner manages", w.owner, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := w.a.signedIn(tc.viewer).get(w.projectMembersURL)
			if rec.Code != http.StatusOK {
				t.Fatalf("got %d, want 200", rec.Code)
			}
			d := doc(t, rec)
			sources := map[string]string{}
			d.Find(`[data-testid=member-row]`).Each(func(_ int, s *goquery.Selection) {
				u, _ := s.Attr("data-username")
				sources[u] = strings.Join(strings.Fields(s.Find(`[data-testid=member-source]`).Text()), " ")
			})
			want := map[string]string{
				"maint": "Direct member",
				"dev":   "Inherited from acme / platform",
				"owner": "Inherited from acme",
			}
			for u, src := range want {
				if sources[u] != src {
					t.Errorf("%s: got source %q, want %q (all: %v)", u, sources[u], src, sources)
				}
			}
			if len(sources) != len(want) {
				t.Errorf("got rows %v, want exactly %v", sources, want)
			}
			if got := d.Find(`[data-testid=invite-row]`).AttrOr("data-email", ""); got != "new@example.org" {
				t.Errorf("got invite row %q, want new@example.org", got)
			}
			forms := d.Find(`[data-testid=add-member-form], [data-testid=invite-form]`).Length()
			if got := forms == 2; got != tc.canManage {
				t.Errorf("got %d management forms, want them: %v", forms, tc.canManage)
			}
			// Inherited rows are read-only for everyone here.
			if got := d.Find(`[data-username=owner] [data-testid=member-level]`).Length(); got != 0 {
				t.Errorf("the inherited owner row has a level select")
			}
			if got := d.Find(`[data-username=maint] [data-testid=member-level]`).Length() == 1; got != tc.canManage {
				t.Errorf("got level select on the direct row %v, want %v", got, tc.canManage)
			}
		})
	}

	t.Run("invisible to strangers", func(t *testing.T) {
		if rec := w.a.signedIn(w.stranger).get(w.projectMembersURL); rec.Code != http.StatusNotFound {
			t.Fatalf("got %d, want 404", rec.Code)
		}
		if rec := w.a.signedIn(w.stranger).get(w.groupMembersURL); rec.Code != http.StatusNotFound {
			t.Fatalf("group: got %d, want 404", rec.Code)
		}
	})
}

// A permanent Mailgun failure recorded in the store shows on the members
// page beside the invite, with its reason and a Resend button.
func TestFailedInviteEmailShowsOnMembersPage(t *testing.T) {
	w := newMembersWorld(t)
	w.invite(t, model.SourceGroup, w.platform.ID, "bounce@example.org", "raw-bounce")
	w.invite(t, model.SourceGroup, w.platform.ID, "fine@example.org", "raw-fine")
	ok, err := w.a.store.MarkInviteEmailFailed(t.Context(), "raw-bounce", "550 5.1.1 mailbox does not exist")
	if err != nil || !ok {
		t.Fatalf("mark failed: %v %v", ok, err)
	}
	d := doc(t, w.a.signedIn(w.owner).get(w.groupMembersURL))
	bounced := d.Find(`[data-testid=invite-row][data-email="bounce@example.org"]`)
	if got := bounced.Find(`[data-testid=invite-failed]`).Text(); got != "Invite email failed to send" {
		t.Errorf("got failure note %q", got)
	}
	if got := bounced.Find(`[data-testid=invite-failure]`).Text(); got != "550 5.1.1 mailbox does not exist" {
		t.Errorf("got failure reason %q", got)
	}
	if bounced.Find(`[data-testid=resend-invite]`).Length() != 1 {
		t.Error("no Resend invite button beside the failed invite")
	}
	if n := d.Find(`[data-testid=invite-row][data-email="fine@example.org"] [data-testid=invite-failed]`).Length(); n != 0 {
		t.Error("the delivered invite shows a failure")
	}
	// Readers see the note too, without the button.
	d = doc(t, w.a.signedIn(w.dev).get(w.groupMembersURL))
	if d.Find(`[data-testid=invite-failed]`).Length() != 1 || d.Find(`[data-testid=resend-invite]`).Length() != 0 {
		t.Errorf("developer: got note %d, resend %d; want the note and no button",
			d.Find(`[data-testid=invite-failed]`).Length(), d.Find(`[data-testid=resend-invite]`).Length())
	}
}

func TestAddMemberForm(t *testing.T) {
	w := newMembersWorld(t)
	for _, tc := range []struct {
		name       string
		viewer     *model.User
		url        string
		form       url.Values
		wantStatus int
		field, msg string
	}{
		{"unknown user", w.owner, "group", url.Values{"username": {"nobody"}, "access_level": {"30"}}, 422, "username", "No user has this username. Check the spelling, or invite them by e-mail instead."},
		{"blank username", w.owner, "group", url.Values{"username": {" "}, "access_level": {"30"}}, 422, "username", "Enter the username."},
		{"already a member", w.owner, "group", url.Values{"username": {"dev"}, "access_level": {"30"}}, 422, "username", "This user is already a member: change their role in the list below instead."},
		{"invalid level", w.owner, "group", url.Values{"username": {"carol"}, "access_level": {"35"}}, 422, "access_level", "Choose an access level from the list."},
		{"higher than own", w.maint, "project", url.Values{"username": {"carol"}, "access_level": {"50"}}, 422, "access_level", "The access level cannot be higher than your own: choose yours or a lower one."},
		{"below inherited", w.maint, "project", url.Values{"username": {"dev"}, "access_level": {"20"}}, 422, "access_level",
			"The access level must be Developer or higher: they are Developer through the group platform."},
		{"developer may not", w.dev, "project", url.Values{"username": {"carol"}, "access_level": {"10"}}, 403, "", ""},
		{"stranger sees nothing", w.stranger, "project", url.Values{"username": {"carol"}, "access_level": {"10"}}, 404, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := w.groupMembersURL
			if tc.url == "project" {
				target = w.projectMembersURL
			}
			b := w.a.signedIn(tc.viewer)
			b.get("/")
			before := len(w.members(t, model.SourceGroup, w.platform.ID)) + len(w.members(t, model.SourceProject, w.api.ID))
			rec := b.postForm(target, tc.form)
			if rec.Code != tc.wantStatus {
				t.Fatalf("got %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.field != "" {
				got := doc(t, rec).Find(`[data-testid=add-member-form] [data-testid=field-error]`).Text()
				if got != tc.msg {
					t.Errorf("got error %q, want %q", got, tc.msg)
				}
			}
			after := len(w.members(t, model.SourceGroup, w.platform.ID)) + len(w.members(t, model.SourceProject, w.api.ID))
			if after != before {
				t.Errorf("got %d memberships after a refused add, want %d", after, before)
			}
		})
	}

	t.Run("adds", func(t *testing.T) {
		b := w.a.signedIn(w.maint)
		b.get("/")
		rec := b.postForm(w.projectMembersURL, url.Values{"username": {"@Carol"}, "access_level": {"40"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != w.projectMembersURL {
			t.Fatalf("got %d to %q, want 303 to the members page", rec.Code, rec.Header().Get("Location"))
		}
		m, err := w.a.store.Member(t.Context(), model.SourceProject, w.api.ID, w.carol.ID)
		if err != nil || m.AccessLevel != model.Maintainer || m.CreatedByID == nil || *m.CreatedByID != w.maint.ID {
			t.Fatalf("got %+v (%v), want carol as maintainer created by maint", m, err)
		}
		flash := doc(t, b.get(w.projectMembersURL)).Find(`[data-testid=flash-notice]`).Text()
		if !strings.Contains(flash, "carol was added") {
			t.Errorf("got flash %q", flash)
		}
	})
}

var inviteLink = regexp.MustCompile(`http://hooklab\.test/-/invites/([A-Za-z0-9_-]+)`)

func TestInviteForm(t *testing.T) {
	w := newMembersWorld(t)
	b := w.a.signedIn(w.owner)
	b.get("/")

	rec := b.postForm(w.groupMembersURL+"/invite", url.Values{"email": {"Newbie@Example.org"}, "access_level": {"30"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("invite: got %d %s", rec.Code, rec.Body)
	}
	mails := w.a.mail.all()
	if len(mails) != 1 {
		t.Fatalf("got %d mails, want 1", len(mails))
	}
	m := mails[0]
	link := inviteLink.FindStringSubmatch(m.Body)
	switch {
	case m.To != "Newbie@Example.org":
		t.Errorf("got To %q", m.To)
	case m.Subject != "Invitation to join the acme / platform group":
		t.Errorf("got subject %q", m.Subject)
	case m.Tag != "invite_email":
		t.Errorf("got tag %q, want invite_email", m.Tag)
	case link == nil:
		t.Fatalf("no accept link in the body:\n%s", m.Body)
	case m.Variables["invite_token"] != link[1] || len(m.Variables) != 1:
		t.Errorf("got variables %v, want exactly invite_token %q", m.Variables, link[1])
	case !strings.Contains(m.Body, "as a Developer"):
		t.Errorf("body does not name the level:\n%s", m.Body)
	}
	inv, err := w.a.store.InviteByToken(t.Context(), link[1])
	if err != nil || inv.SourceID != w.platform.ID || inv.AccessLevel != model.Developer || !inv.InviteEmailSuccess {
		t.Fatalf("stored invite: %+v (%v)", inv, err)
	}
	if strings.Contains(w.a.logs.String(), link[1]) {
		t.Error("the raw invite token was logged")
	}

	for _, tc := range []struct {
		name, email, level, msg, field string
	}{
		{"invalid e-mail", "not-an-address", "30", "Enter a whole e-mail address, such as name@example.com.", "email"},
		{"already invited", "newbie@example.org", "30", "This address has already been invited: use Resend invite in the list below instead.", "email"},
		{"account already member", "dev@example.com", "30", "This user is already a member: change their role in the list below instead.", "email"},
		{"invalid level", "x@example.org", "60", "Choose an access level from the list.", "access_level"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(w.members(t, model.SourceGroup, w.platform.ID))
			sent := len(w.a.mail.all())
			rec := b.postForm(w.groupMembersURL+"/invite", url.Values{"email": {tc.email}, "access_level": {tc.level}})
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", rec.Code)
			}
			got := doc(t, rec).Find(`[data-testid=invite-form] [data-testid=field-error]`).Text()
			if !strings.Contains(got, tc.msg) {
				t.Errorf("got error %q, want %q", got, tc.msg)
			}
			if n := len(w.members(t, model.SourceGroup, w.platform.ID)); n != before {
				t.Errorf("got %d members after a refused invite, want %d", n, before)
			}
			if n := len(w.a.mail.all()); n != sent {
				t.Errorf("a refused invite sent mail")
			}
		})
	}

	t.Run("address of an account adds it", func(t *testing.T) {
		rec := b.postForm(w.groupMembersURL+"/invite", url.Values{"email": {"CAROL@example.com"}, "access_level": {"20"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("got %d", rec.Code)
		}
		if m, err := w.a.store.Member(t.Context(), model.SourceGroup, w.platform.ID, w.carol.ID); err != nil || m.AccessLevel != model.Reporter {
			t.Fatalf("carol: %+v (%v)", m, err)
		}
	})

	t.Run("mail server down", func(t *testing.T) {
		w.a.mail.failWith(errors.New("dial tcp 10.0.0.1:587: connection refused"))
		defer w.a.mail.failWith(nil)
		rec := b.postForm(w.groupMembersURL+"/invite", url.Values{"email": {"later@example.org"}, "access_level": {"10"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("got %d", rec.Code)
		}
		d := doc(t, b.get(w.groupMembersURL))
		if got := d.Find(`[data-testid=flash-warning]`).Text(); !strings.Contains(got, "could not be sent") {
			t.Errorf("got warning %q", got)
		}
		row := d.Find(`[data-testid=invite-row][data-email="later@example.org"]`)
		if row.Find(`[data-testid=invite-failed]`).Length() != 1 {
			t.Error("the unsent invite is not marked as failed")
		}
		if strings.Contains(d.Text(), "10.0.0.1") {
			t.Error("the mail server's error is shown on the page")
		}
	})
}

func TestChangeMemberLevel(t *testing.T) {
	w := newMembersWorld(t)
	devMember, _ := w.a.store.Member(t.Context(), model.SourceGroup, w.platform.ID, w.dev.ID)
	ownerMember, _ := w.a.store.Member(t.Context(), model.SourceGroup, w.acme.ID, w.owner.ID)
	b := w.a.signedIn(w.owner)
	b.get("/")
	memberURL := w.groupMembersURL + "/" + itoa(devMember.ID)

	t.Run("plain form", func(t *testing.T) {
		rec := b.postForm(memberURL, url.Values{"_method": {"PUT"}, "access_level": {"40"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("got %d %s", rec.Code, rec.Body)
		}
		if m, _ := w.a.store.MemberByID(t.Context(), model.SourceGroup, w.platform.ID, devMember.ID); m.AccessLevel != model.Maintainer {
			t.Fatalf("got level %v, want Maintainer", m.AccessLevel)
		}
	})
	t.Run("htmx returns the row", func(t *testing.T) {
		rec := b.postHTMX(memberURL, url.Values{"_method": {"PUT"}, "access_level": {"20"}})
		if rec.Code != http.StatusOK {
			t.Fatalf("got %d %s", rec.Code, rec.Body)
		}
		if !strings.HasPrefix(strings.TrimSpace(rec.Body.String()), "<tr") {
			t.Fatalf("htmx got more than the row: %s", rec.Body)
		}
		d := doc(t, rec)
		if d.Find(`[data-testid=member-saved]`).Length() != 1 {
			t.Errorf("no Saved mark in %s", rec.Body)
		}
		if got := d.Find(`[data-testid=member-level] option[selected]`).Text(); got != "Reporter" {
			t.Errorf("got selected %q, want Reporter", got)
		}
	})
	t.Run("last owner", func(t *testing.T) {
		rec := b.postHTMX("/groups/acme/-/group_members/"+itoa(ownerMember.ID), url.Values{"_method": {"PUT"}, "access_level": {"40"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("got %d, want 422", rec.Code)
		}
		if got := doc(t, rec).Find(`[data-testid=field-error]`).Text(); got != "A group must have at least one owner: make another member Owner first." {
			t.Errorf("got %q", got)
		}
		if m, _ := w.a.store.MemberByID(t.Context(), model.SourceGroup, w.acme.ID, ownerMember.ID); m.AccessLevel != model.Owner {
			t.Fatalf("the last owner was demoted to %v", m.AccessLevel)
		}
	})
	t.Run("invalid level", func(t *testing.T) {
		rec := b.postForm(memberURL, url.Values{"_method": {"PUT"}, "access_level": {"99"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("got %d, want 422", rec.Code)
		}
		if got := doc(t, rec).Find(`[data-testid=field-error]`).Text(); got != "Choose an access level from the list." {
			t.Errorf("got %q beside the row's level", got)
		}
	})
	t.Run("reader may not", func(t *testing.T) {
		bd := w.a.signedIn(w.dev)
		bd.get("/")
		rec := bd.postForm(memberURL, url.Values{"_method": {"PUT"}, "access_level": {"50"}})
		if rec.Code != http.StatusForbidden {
			t.Fatalf("got %d, want 403", rec.Code)
		}
		if m, _ := w.a.store.MemberByID(t.Context(), model.SourceGroup, w.platform.ID, devMember.ID); m.AccessLevel != model.Reporter {
			t.Fatalf("level changed to %v", m.AccessLevel)
		}
	})
}

func TestRemoveMember(t *testing.T) {
	w := newMembersWorld(t)
	devMember, _ := w.a.store.Member(t.Context(), model.SourceGroup, w.platform.ID, w.dev.ID)
	ownerMember, _ := w.a.store.Member(t.Context(), model.SourceGroup, w.acme.ID, w.owner.ID)
	memberURL := w.groupMembersURL + "/" + itoa(devMember.ID)

	t.Run("confirmation page without JavaScript", func(t *testing.T) {
		rec := w.a.signedIn(w.owner).get(memberURL + "/remove")
		if rec.Code != http.StatusOK || doc(t, rec).Find(`[data-testid=remove-member-form] input[name=_method][value=DELETE]`).Length() != 1 {
			t.Fatalf("got %d without the delete form", rec.Code)
		}
	})
	t.Run("developer may not remove others", func(t *testing.T) {
		maintMember, _ := w.a.store.Member(t.Context(), model.SourceProject, w.api.ID, w.maint.ID)
		b := w.a.signedIn(w.dev)
		b.get("/")
		rec := b.postForm(w.projectMembersURL+"/"+itoa(maintMember.ID), url.Values{"_method": {"DELETE"}})
		if rec.Code != http.StatusForbidden {
			t.Fatalf("got %d, want 403", rec.Code)
		}
	})
	t.Run("last owner stays", func(t *testing.T) {
		b := w.a.signedIn(w.owner)
		b.get("/")
		rec := b.postForm("/groups/acme/-/group_members/"+itoa(ownerMember.ID), url.Values{"_method": {"DELETE"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("got %d", rec.Code)
		}
		if got := doc(t, b.get("/groups/acme/-/group_members")).Find(`[data-testid=flash-alert]`).Text(); got != "A group must have at least one owner: make another member Owner first." {
			t.Errorf("got alert %q", got)
		}
		if _, err := w.a.store.MemberByID(t.Context(), model.SourceGroup, w.acme.ID, ownerMember.ID); err != nil {
			t.Fatalf("the last owner was removed: %v", err)
		}
	})
	t.Run("owner removes", func(t *testing.T) {
		b := w.a.signedIn(w.owner)
		b.get("/")
		rec := b.postForm(memberURL, url.Values{"_method": {"DELETE"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("got %d", rec.Code)
		}
		if _, err := w.a.store.Member(t.Context(), model.SourceGroup, w.platform.ID, w.dev.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("dev is still a member: %v", err)
		}
	})
	t.Run("maintainer leaves", func(t *testing.T) {
		maintMember, _ := w.a.store.Member(t.Context(), model.SourceProject, w.api.ID, w.maint.ID)
		b := w.a.signedIn(w.maint)
		b.get("/")
		rec := b.postForm(w.projectMembersURL+"/"+itoa(maintMember.ID), url.Values{"_method": {"DELETE"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
			t.Fatalf("got %d to %q, want 303 to /", rec.Code, rec.Header().Get("Location"))
		}
	})
}

func TestResendInvite(t *testing.T) {
	w := newMembersWorld(t)
	inv := w.invite(t, model.SourceProject, w.api.ID, "later@example.org", "old-token")
	if _, err := w.a.store.MarkInviteEmailFailed(t.Context(), "old-token", "mailbox full"); err != nil {
		t.Fatal(err)
	}
	resendURL := w.projectMembersURL + "/" + itoa(inv.ID) + "/resend_invite"

	bd := w.a.signedIn(w.dev)
	bd.get("/")
	if rec := bd.postForm(resendURL, nil); rec.Code != http.StatusForbidden {
		t.Fatalf("developer: got %d, want 403", rec.Code)
	}
	if len(w.a.mail.all()) != 0 {
		t.Fatal("a refused resend sent mail")
	}

	b := w.a.signedIn(w.maint)
	b.get("/")
	rec := b.postForm(resendURL, nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	mails := w.a.mail.all()
	if len(mails) != 1 || mails[0].Tag != "invite_email" {
		t.Fatalf("got mails %+v", mails)
	}
	raw := mails[0].Variables["invite_token"]
	if raw == "" || raw == "old-token" || !strings.Contains(mails[0].Body, "/-/invites/"+raw) {
		t.Fatalf("got token %q in %q", raw, mails[0].Body)
	}
	if _, err := w.a.store.InviteByToken(t.Context(), "old-token"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("the old link still works: %v", err)
	}
	got, err := w.a.store.InviteByToken(t.Context(), raw)
	if err != nil || !got.InviteEmailSuccess || got.InviteFailure != "" {
		t.Fatalf("got %+v (%v), want the failure cleared", got, err)
	}
	if doc(t, b.get(w.projectMembersURL)).Find(`[data-testid=invite-failed]`).Length() != 0 {
		t.Error("the page still shows the failure")
	}
}
