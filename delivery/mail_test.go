package delivery

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/model"
)

// Without SMTP the log is the mailbox, but an invitation's token — in its
// link and its Mailgun variables — never reaches it.
func TestMailLoggerKeepsInvitationTokensOut(t *testing.T) {
	var logs bytes.Buffer
	m, err := NewMailer("", "hooklab@example.com", slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	const token = "s3cr3t-invite-token-0123456789"
	msg := model.InviteMail("bob@example.com", "Alice", "group", "Acme", model.Developer, "https://hooklab.example.com", token)
	if !strings.Contains(msg.Body, token) {
		t.Fatalf("the invitation does not carry its link: %q", msg.Body)
	}
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), token) {
		t.Fatalf("the log holds the invitation token:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "/-/invites/[FILTERED]") {
		t.Fatalf("the log does not show the (filtered) link:\n%s", logs.String())
	}
}
