package db_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func mailgunStore(t *testing.T) (*db.Store, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	return dbtest.OpenAt(t, filepath.Join(t.TempDir(), "h.db"), c.Now), c
}

// webhook builds a verified-looking webhook at the clock's time.
func webhook(t *testing.T, now time.Time, token, eventData string) (model.MailgunSignature, model.MailgunEvent) {
	t.Helper()
	body := fmt.Sprintf(`{"signature":{"timestamp":"%d","token":%q,"signature":"x"},"event-data":%s}`, now.Unix(), token, eventData)
	w, err := model.ParseMailgunWebhook([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := w.Event()
	if err != nil {
		t.Fatal(err)
	}
	return w.Signature, ev
}

func failedEvent(severity, recipient string) string {
	return fmt.Sprintf(`{"event":"failed","severity":%q,"recipient":%q,"reason":"bounce","id":"ev",
		"delivery-status":{"code":550,"message":"no such user"}}`, severity, recipient)
}

func TestMailgunTokensCannotBeReplayed(t *testing.T) {
	s, c := mailgunStore(t)
	record := func(token string) error {
		sig, ev := webhook(t, c.Now(), token, `{"event":"delivered"}`)
		_, err := s.RecordMailgunWebhook(ctx, sig, ev)
		return err
	}
	if err := record("tok-1"); err != nil {
		t.Fatal(err)
	}
	if err := record("tok-1"); !errors.Is(err, model.ErrMailgunReplay) {
		t.Fatalf("replay: got %v, want ErrMailgunReplay", err)
	}
	if err := record("tok-2"); err != nil {
		t.Fatalf("another token: %v", err)
	}

	// A failure event replayed is not recorded twice.
	sig, ev := webhook(t, c.Now(), "tok-3", failedEvent("temporary", "a@example.com"))
	if _, err := s.RecordMailgunWebhook(ctx, sig, ev); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordMailgunWebhook(ctx, sig, ev); !errors.Is(err, model.ErrMailgunReplay) {
		t.Fatalf("replayed failure: got %v", err)
	}
	if _, n, _ := s.MailgunFailures(ctx, db.MailgunFailureFilter{Page: db.Page{Page: 1, PerPage: 10}}); n != 1 {
		t.Errorf("got %d failures, want 1", n)
	}

	// Seen tokens are pruned once their timestamp is stale anyway: the
	// table does not grow without bound. tok-1 (timestamped at the old
	// time) is forgotten after the next webhook.
	c.Add(model.MailgunMaxAge + 2*time.Minute)
	if err := record("tok-4"); err != nil {
		t.Fatal(err)
	}
	sig, ev = webhook(t, c.Now().Add(-model.MailgunMaxAge-2*time.Minute), "tok-1", `{"event":"delivered"}`)
	if _, err := s.RecordMailgunWebhook(ctx, sig, ev); err != nil {
		t.Errorf("tok-1 was not pruned: %v", err)
	}
}

func TestMailgunFailuresMarkFailingAddresses(t *testing.T) {
	s, c := mailgunStore(t)
	n := 0
	fail := func(severity, recipient string) db.MailgunReceipt {
		t.Helper()
		n++
		sig, ev := webhook(t, c.Now(), "tok-"+strconv.Itoa(n), failedEvent(severity, recipient))
		rc, err := s.RecordMailgunWebhook(ctx, sig, ev)
		if err != nil {
			t.Fatal(err)
		}
		if rc.Failure == nil || rc.Failure.ID == 0 {
			t.Fatalf("no failure recorded: %+v", rc)
		}
		return rc
	}
	failing := func(addr string) bool {
		t.Helper()
		ok, err := s.AddressFailing(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	t.Run("more than 5 permanent failures a day", func(t *testing.T) {
		for i := 0; i < model.MailgunPermanentFailureLimit; i++ {
			if rc := fail("permanent", "Perm@Example.com"); rc.AddressFailing {
				t.Fatalf("failing after %d permanent failures", i+1)
			}
		}
		if failing("perm@example.com") {
			t.Fatal("failing at the limit")
		}
		if rc := fail("permanent", "perm@example.com"); !rc.AddressFailing {
			t.Fatal("not failing past the limit")
		}
		if !failing("PERM@example.com") {
			t.Error("the address is not failing (any case)")
		}
		list, err := s.FailingAddresses(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("got %+v (%v)", list, err)
		}
		if got := list[0]; got.Address != "perm@example.com" || got.Permanent != 6 || got.Temporary != 0 || got.Day != "2026-03-01" {
			t.Errorf("got %+v", got)
		}
	})

	t.Run("more than 300 temporary failures a day", func(t *testing.T) {
		for i := 0; i < model.MailgunTemporaryFailureLimit; i++ {
			fail("temporary", "temp@example.com")
		}
		if failing("temp@example.com") {
			t.Fatal("failing at the limit")
		}
		fail("temporary", "temp@example.com")
		if !failing("temp@example.com") {
			t.Fatal("not failing past the limit")
		}
	})

	t.Run("counts are per day", func(t *testing.T) {
		for i := 0; i < model.MailgunPermanentFailureLimit; i++ {
			fail("permanent", "daily@example.com")
		}
		c.Add(24 * time.Hour)
		if rc := fail("permanent", "daily@example.com"); rc.AddressFailing {
			t.Error("yesterday's failures counted today")
		}
	})

	t.Run("an admin allows an address again", func(t *testing.T) {
		list, _ := s.FailingAddresses(ctx)
		var id int64
		for _, a := range list {
			if a.Address == "perm@example.com" {
				id = a.ID
			}
		}
		addr, err := s.AllowFailingAddress(ctx, id)
		if err != nil || addr != "perm@example.com" {
			t.Fatalf("got %q, %v", addr, err)
		}
		if failing("perm@example.com") {
			t.Fatal("still failing")
		}
		if rc := fail("permanent", "perm@example.com"); rc.AddressFailing {
			t.Error("one failure after being allowed marks it again")
		}
		if _, err := s.AllowFailingAddress(ctx, id); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("allow twice: got %v, want not found", err)
		}
	})
}

func TestMailgunPermanentInviteFailureMarksTheInvite(t *testing.T) {
	s, c := mailgunStore(t)
	acme := dbtest.Group(t, s, "acme", nil, nil)
	for _, e := range []string{"bounce@example.com", "slow@example.com"} {
		email := e
		inv := &model.Member{SourceType: model.SourceGroup, SourceID: acme.ID, AccessLevel: model.Developer, InviteEmail: &email}
		if err := s.CreateInvite(ctx, inv, "raw-"+e); err != nil {
			t.Fatal(err)
		}
	}
	invite := func(severity, raw string) string {
		return fmt.Sprintf(`{"event":"failed","severity":%q,"recipient":"x@example.com","tags":["invite_email"],
			"user-variables":{"invite_token":%q},"delivery-status":{"code":"605","description":"Not delivering to previously bounced address"}}`, severity, raw)
	}
	sig, ev := webhook(t, c.Now(), "t1", invite("temporary", "raw-slow@example.com"))
	rc, err := s.RecordMailgunWebhook(ctx, sig, ev)
	if err != nil || rc.InviteMarked || rc.Failure == nil {
		t.Fatalf("temporary: got %+v, %v; want a failure and no invite marked", rc, err)
	}
	if got, _ := s.InviteByToken(ctx, "raw-slow@example.com"); !got.InviteEmailSuccess {
		t.Error("a temporary failure marked the invite")
	}
	sig, ev = webhook(t, c.Now(), "t2", invite("permanent", "raw-bounce@example.com"))
	rc, err = s.RecordMailgunWebhook(ctx, sig, ev)
	if err != nil || !rc.InviteMarked {
		t.Fatalf("permanent: got %+v, %v", rc, err)
	}
	got, _ := s.InviteByToken(ctx, "raw-bounce@example.com")
	if got.InviteEmailSuccess || got.InviteFailure != "605 Not delivering to previously bounced address" {
		t.Errorf("got success %v, failure %q", got.InviteEmailSuccess, got.InviteFailure)
	}
	sig, ev = webhook(t, c.Now(), "t3", invite("permanent", "raw-unknown"))
	if rc, err = s.RecordMailgunWebhook(ctx, sig, ev); err != nil || rc.InviteMarked || rc.Failure == nil {
		t.Errorf("unknown invite: got %+v, %v; want the failure stored and no invite", rc, err)
	}
}

func TestMailgunFailureListFilters(t *testing.T) {
	s, c := mailgunStore(t)
	n := 0
	for _, f := range []struct{ severity, recipient string }{
		{"permanent", "alice@example.com"}, {"temporary", "alice@example.com"}, {"temporary", "bob@example.org"},
		{"permanent", "a_b@example.net"}, {"permanent", "axb@example.net"},
	} {
		n++
		c.Add(time.Second)
		sig, ev := webhook(t, c.Now(), "tok-"+strconv.Itoa(n), failedEvent(f.severity, f.recipient))
		if _, err := s.RecordMailgunWebhook(ctx, sig, ev); err != nil {
			t.Fatal(err)
		}
	}
	page := db.Page{Page: 1, PerPage: 2}
	for _, tc := range []struct {
		name   string
		filter db.MailgunFailureFilter
		total  int
		first  []string
	}{
		{"all, newest first", db.MailgunFailureFilter{Page: page}, 5, []string{"axb@example.net", "a_b@example.net"}},
		{"second page", db.MailgunFailureFilter{Page: db.Page{Page: 2, PerPage: 2}}, 5, []string{"bob@example.org", "alice@example.com"}},
		{"temporary", db.MailgunFailureFilter{Severity: "temporary", Page: page}, 2, []string{"bob@example.org", "alice@example.com"}},
		{"recipient part, any case", db.MailgunFailureFilter{Recipient: "ALICE", Page: page}, 2, []string{"alice@example.com", "alice@example.com"}},
		{"both", db.MailgunFailureFilter{Severity: "permanent", Recipient: "alice", Page: page}, 1, []string{"alice@example.com"}},
		{"underscore is literal", db.MailgunFailureFilter{Recipient: "a_b", Page: page}, 1, []string{"a_b@example.net"}},
		{"percent is literal", db.MailgunFailureFilter{Recipient: "%", Page: page}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, total, err := s.MailgunFailures(ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range list {
				got = append(got, f.Recipient)
			}
			if total != tc.total || fmt.Sprint(got) != fmt.Sprint(tc.first) {
				t.Errorf("got %d %v, want %d %v", total, got, tc.total, tc.first)
			}
		})
	}
	list, _, _ := s.MailgunFailures(ctx, db.MailgunFailureFilter{Page: db.Page{Page: 1, PerPage: 1}})
	f := list[0]
	if f.Severity != "permanent" || f.Code != "550" || f.Message != "no such user" || f.Reason != "bounce" || f.EventID != "ev" ||
		!f.ReceivedAt.Equal(c.Now()) {
		t.Errorf("got %+v", f)
	}

	// Failures older than the retention are pruned when new ones arrive.
	c.Add(model.MailgunFailureRetention + time.Hour)
	sig, ev := webhook(t, c.Now(), "late", failedEvent("temporary", "late@example.com"))
	if _, err := s.RecordMailgunWebhook(ctx, sig, ev); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := s.MailgunFailures(ctx, db.MailgunFailureFilter{Page: page}); total != 1 {
		t.Errorf("got %d failures after the retention, want 1", total)
	}
}
