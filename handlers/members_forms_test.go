package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// Inviting an address Mailgun reports as failing does not claim an
// invitation was sent (the mailer drops mail to it): the flash warns, and
// the invitation row says why, linking admins to the Mailgun failures page.
func TestInviteToAFailingAddressWarns(t *testing.T) {
	a, c := mailgunApp(t)
	root := dbtest.User(t, a.store, "root", true)
	owner := dbtest.User(t, a.store, "owner", false)
	g := dbtest.Group(t, a.store, "acme", nil, owner)
	for i := 0; i < 6; i++ {
		c.Add(time.Second)
		rec := a.postWebhook(webhookPath, mailgunBody(t, mailgunKey, c.Now(), "tok-"+strconv.Itoa(i), failedEvent("permanent", "gone@example.com", c.Now())))
		if rec.Code != http.StatusOK {
			t.Fatalf("webhook: %d", rec.Code)
		}
	}
	if failing, _ := a.store.AddressFailing(t.Context(), "gone@example.com"); !failing {
		t.Fatal("the address is not failing")
	}
	members := "/groups/" + g.Path + "/-/group_members"
	b := a.signedIn(owner)
	b.get(members)
	rec := b.postForm(members+"/invite", url.Values{"email": {"gone@example.com"}, "access_level": {"30"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("invite: %d %s", rec.Code, rec.Body)
	}
	d := doc(t, b.get(members))
	if got := d.Find(`[data-testid=flash-warning]`).Text(); !strings.HasPrefix(got, "The invitation for gone@example.com was saved, but no e-mail went out: Mailgun reports this address as failing.") {
		t.Errorf("flash %q", got)
	}
	if d.Find(`[data-testid=flash-notice]`).Length() != 0 {
		t.Error("the page still says the invitation was sent")
	}
	row := d.Find(`[data-testid=invite-row][data-email="gone@example.com"]`)
	if row.Find(`[data-testid=invite-address-failing]`).Length() != 1 || row.Find(`[data-testid=mailgun-failures-link]`).Length() != 0 {
		t.Errorf("owner's invite row: %q", strings.Join(strings.Fields(row.Text()), " "))
	}
	if !strings.Contains(row.Text(), "An administrator can allow it again.") {
		t.Errorf("the owner is not told who can help: %q", strings.Join(strings.Fields(row.Text()), " "))
	}
	// An administrator gets the link.
	link := doc(t, a.signedIn(root).get(members)).Find(`[data-testid=invite-row] [data-testid=mailgun-failures-link]`)
	if href, _ := link.Attr("href"); href != "/admin/mailgun/failures" {
		t.Errorf("admin's link %q", href)
	}
}

// The invite field takes several addresses separated by commas (the field
// is no longer type=email, which refused such lists): each is invited, and
// nothing is done while one of them is invalid.
func TestInviteSeveralAddresses(t *testing.T) {
	a := newTestApp(t)
	owner := dbtest.User(t, a.store, "owner", false)
	dbtest.User(t, a.store, "carol", false)
	g := dbtest.Group(t, a.store, "acme", nil, owner)
	members := "/groups/" + g.Path + "/-/group_members"
	b := a.signedIn(owner)
	d := doc(t, b.get(members))
	if typ, _ := d.Find("#invite_email").Attr("type"); typ != "text" {
		t.Errorf("the invite field is type=%q: browsers refuse comma lists in type=email", typ)
	}
	rec := b.postForm(members+"/invite", url.Values{"email": {"one@example.org, not-an-address; two@example.org"}, "access_level": {"30"}})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("with an invalid address: %d", rec.Code)
	}
	if got := doc(t, rec).Find("#invite_email ~ .field-error").Text(); got != "This address is not valid: not-an-address. Separate addresses with commas." {
		t.Errorf("error %q", got)
	}
	if n := len(a.mail.all()); n != 0 {
		t.Fatalf("%d mails sent for a refused form", n)
	}
	rec = b.postForm(members+"/invite", url.Values{"email": {"one@example.org, two@example.org\ncarol@example.com"}, "access_level": {"30"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("invite: %d %s", rec.Code, rec.Body)
	}
	d = doc(t, b.get(members))
	var notices []string
	d.Find("[data-testid=flash-notice]").Each(func(_ int, s *goquery.Selection) { notices = append(notices, s.Text()) })
	if want := "Invitations were sent to one@example.org, two@example.org."; len(notices) != 2 || notices[0] != want ||
		!strings.Contains(notices[1], "carol@example.com (carol)") {
		t.Errorf("flashes %q", notices)
	}
	if n := d.Find("[data-testid=invite-row]").Length(); n != 2 {
		t.Errorf("%d invitation rows, want 2", n)
	}
	// Addresses refused one by one say why, in sentences.
	if rec := b.postForm(members+"/invite", url.Values{"email": {"one@example.org, three@example.org"}, "access_level": {"30"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("invite again: %d", rec.Code)
	}
	d = doc(t, b.get(members))
	if got := d.Find("[data-testid=flash-alert]").Text(); got != "one@example.org was not invited. This address has already been invited: use Resend invite in the list below instead." {
		t.Errorf("alert %q", got)
	}
}

// A member can leave a group from its members page (a dialog, or the
// confirmation page without JavaScript); someone who only inherits access
// has nothing to leave here.
func TestLeaveGroupFromMembersPage(t *testing.T) {
	a := newTestApp(t)
	owner := dbtest.User(t, a.store, "owner", false)
	dev := dbtest.User(t, a.store, "dev", false)
	g := dbtest.Group(t, a.store, "acme", nil, owner)
	dbtest.Member(t, a.store, model.SourceGroup, g.ID, dev, model.Developer)
	members := "/groups/" + g.Path + "/-/group_members"
	b := a.signedIn(dev)
	leave := doc(t, b.get(members)).Find("[data-testid=leave-source]")
	if strings.TrimSpace(leave.Text()) != "Leave group" {
		t.Fatalf("leave button %q", leave.Text())
	}
	page := doc(t, b.get(leave.AttrOr("href", "")))
	if got := strings.TrimSpace(page.Find("[data-testid=confirm-remove]").Text()); got != "Leave group" {
		t.Fatalf("confirmation page button %q", got)
	}
	form := page.Find("[data-testid=remove-member-form]")
	rec := b.postForm(form.AttrOr("action", ""), url.Values{"_method": {"DELETE"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Fatalf("leave: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if got := doc(t, b.get("/")).Find("[data-testid=flash-notice]").Text(); got != "You left the acme group." {
		t.Errorf("flash %q", got)
	}
	if m, _ := a.store.Members(t.Context(), model.SourceGroup, g.ID); len(m) != 1 {
		t.Errorf("%d members left, want the owner only", len(m))
	}
}

// The add and invite forms take an optional access expiration date, as
// GitLab's do; a date in the past is refused with a sentence.
func TestMemberFormsSetExpiry(t *testing.T) {
	a := newTestApp(t)
	owner := dbtest.User(t, a.store, "owner", false)
	dbtest.User(t, a.store, "carol", false)
	g := dbtest.Group(t, a.store, "acme", nil, owner)
	members := "/groups/" + g.Path + "/-/group_members"
	b := a.signedIn(owner)
	if n := doc(t, b.get(members)).Find(`input[type=date][name=expires_at]`).Length(); n != 2 {
		t.Fatalf("%d expiration fields, want one on each form", n)
	}
	rec := b.postForm(members, url.Values{"username": {"carol"}, "access_level": {"30"}, "expires_at": {"2001-01-01"}})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("past date: %d", rec.Code)
	}
	if got := doc(t, rec).Find("#member_expires_at ~ .field-error").Text(); !strings.HasPrefix(got, "The expiration date is in the past") {
		t.Errorf("error %q", got)
	}
	next := time.Now().AddDate(1, 0, 0).Format("2006-01-02")
	if rec := b.postForm(members, url.Values{"username": {"carol"}, "access_level": {"30"}, "expires_at": {next}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("add: %d", rec.Code)
	}
	if rec := b.postForm(members+"/invite", url.Values{"email": {"new@example.org"}, "access_level": {"30"}, "expires_at": {next}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("invite: %d", rec.Code)
	}
	all, _ := a.store.Members(t.Context(), model.SourceGroup, g.ID)
	var dated int
	for _, m := range all {
		if m.ExpiresAt != nil && m.ExpiresAt.Format("2006-01-02") == next {
			dated++
		}
	}
	if dated != 2 {
		t.Errorf("%d memberships carry the date, want the member and the invitation", dated)
	}
}
