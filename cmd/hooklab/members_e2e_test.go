package main

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/model"
)

// An owner invites an e-mail address on the group's members page; the
// invitee opens the link from the e-mail, signs up and lands in the group as
// a member. The owner then changes the new member's level (htmx) and
// removes them through the confirmation dialog.
func TestBrowserInviteSignUpAndManageMember(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")
	acme, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	membersURL := inst.URL + "/groups/acme/-/group_members"

	var inviteFlash, inviteRow string
	browse(t, ctx,
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(membersURL),
		chromedp.WaitVisible(`#invite_email`, chromedp.ByQuery),
		chromedp.SendKeys(`#invite_email`, "newbie@example.org", chromedp.ByQuery),
		chromedp.SetValue(`#invite_access_level`, "30", chromedp.ByQuery),
		chromedp.Click(`[data-testid=invite-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=invite-row]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=flash-notice]`, &inviteFlash, chromedp.ByQuery),
		chromedp.Text(`[data-testid=invite-row]`, &inviteRow, chromedp.ByQuery),
	)
	if inviteFlash != "An invitation was sent to newbie@example.org." || !strings.Contains(inviteRow, "Developer") {
		t.Fatalf("got flash %q and row %q", inviteFlash, inviteRow)
	}
	link := inviteLinkFrom(t, inst, "newbie@example.org")

	var summary, landed, flash, who string
	browse(t, ctx,
		chromedp.Click(`[data-testid=sign-out]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#user_login`, chromedp.ByQuery),
		chromedp.Navigate(link),
		chromedp.WaitVisible(`[data-testid=invite-register-form]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=invite-summary]`, &summary, chromedp.ByQuery),
		chromedp.SendKeys(`#register_username`, "newbie", chromedp.ByQuery),
		chromedp.SendKeys(`#register_name`, "New Bie", chromedp.ByQuery),
		chromedp.SendKeys(`#register_password`, "a long enough password", chromedp.ByQuery),
		chromedp.Click(`[data-testid=invite-register-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=group-name]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=group-name]`, &landed, chromedp.ByQuery),
		chromedp.Text(`[data-testid=flash-notice]`, &flash, chromedp.ByQuery),
		chromedp.Text(`[data-testid=current-user]`, &who, chromedp.ByQuery),
	)
	if summary != "You are invited to join the Acme group as a Developer" {
		t.Errorf("got summary %q", summary)
	}
	if landed != "Acme" || who != "newbie" || flash != "You have been granted Developer access to group Acme." {
		t.Fatalf("landed on %q as %q with flash %q", landed, who, flash)
	}
	newbie, err := inst.store().UserByUsername(context.Background(), "newbie")
	if err != nil || newbie.Email != "newbie@example.org" {
		t.Fatalf("new user: %+v (%v)", newbie, err)
	}
	if m, err := inst.store().Member(context.Background(), model.SourceGroup, int64(acme.ID), newbie.ID); err != nil || m.AccessLevel != model.Developer {
		t.Fatalf("membership: %+v (%v)", m, err)
	}

	// The owner raises the new member to maintainer with the select (saved
	// by htmx without leaving the page), then removes them.
	row := `tr[data-username=newbie]`
	var removed string
	browse(t, ctx,
		chromedp.Click(`[data-testid=sign-out]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#user_login`, chromedp.ByQuery),
		signIn(inst.URL, "root", rootPassword),
		chromedp.Navigate(membersURL),
		chromedp.WaitVisible(row+` [data-testid=member-level]`, chromedp.ByQuery),
		chromedp.Evaluate(`(() => { const s = document.querySelector('tr[data-username=newbie] [data-testid=member-level]');
			s.value = "40"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, nil),
		chromedp.WaitVisible(row+` [data-testid=member-saved]`, chromedp.ByQuery),
	)
	pollMembers(t, "the new level to be stored", func() bool {
		m, err := inst.store().Member(context.Background(), model.SourceGroup, int64(acme.ID), newbie.ID)
		return err == nil && m.AccessLevel == model.Maintainer
	})
	browse(t, ctx,
		chromedp.Click(row+` [data-testid=remove-member]`, chromedp.ByQuery),
		chromedp.WaitVisible(row+` dialog [data-testid=confirm-remove]`, chromedp.ByQuery),
		chromedp.Click(row+` dialog [data-testid=confirm-remove]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=flash-notice]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=flash-notice]`, &removed, chromedp.ByQuery),
	)
	if removed != "newbie was removed from the Acme group." {
		t.Errorf("got flash %q", removed)
	}
	if _, err := inst.store().Member(context.Background(), model.SourceGroup, int64(acme.ID), newbie.ID); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("newbie is still a member: %v", err)
	}
}

var invitePattern = regexp.MustCompile(`https?://[^\s]+/-/invites/[A-Za-z0-9_-]+`)

// inviteLinkFrom returns the accept link of the invitation mailed to to.
func inviteLinkFrom(t *testing.T, inst *instance, to string) string {
	t.Helper()
	for _, m := range inst.mails() {
		if m.To == to && m.Tag == model.InviteEmailTag {
			if link := invitePattern.FindString(m.Body); link != "" {
				return link
			}
			t.Fatalf("no link in the invitation:\n%s", m.Body)
		}
	}
	t.Fatalf("no invitation mailed to %s", to)
	return ""
}

// pollMembers polls cond until it holds or five seconds pass.
func pollMembers(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
