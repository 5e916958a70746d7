// Package delivery is Hooklab's background engine and outbound traffic:
// webhook deliveries and e-mail.
package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hooklab/hooklab/model"
)

// Mailer sends mail over SMTP, or writes it to the log when no SMTP server
// is configured (development and tests).
type Mailer struct {
	smtpURL *url.URL
	from    string
	log     *slog.Logger
	// Skip, when set, says an address must not get notification e-mail
	// (e.g. it keeps failing); such mail is dropped and logged.
	Skip func(ctx context.Context, address string) bool
}

// NewMailer parses HOOKLAB_SMTP_URL-style settings:
// smtp://user:password@host:587?from=hooklab@example.com (STARTTLS is used
// when the server offers it). An empty URL logs mail instead.
func NewMailer(rawURL, from string, log *slog.Logger) (*Mailer, error) {
	m := &Mailer{from: from, log: log}
	if rawURL == "" {
		return m, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return nil, fmt.Errorf("SMTP URL must look like smtp://user:password@host:587?from=address")
	}
	if f := u.Query().Get("from"); f != "" {
		m.from = f
	}
	m.smtpURL = u
	return m, nil
}

// Message renders the RFC 5322 message.
func (m *Mailer) Message(msg model.Mail) ([]byte, error) {
	if _, err := mail.ParseAddress(msg.To); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", msg.To, err)
	}
	var b bytes.Buffer
	host := "hooklab.local"
	if i := strings.LastIndexByte(m.from, '@'); i >= 0 {
		host = m.from[i+1:]
	}
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", m.from)
	hdr("To", msg.To)
	hdr("Subject", mime.QEncoding.Encode("utf-8", msg.Subject))
	hdr("Date", time.Now().UTC().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+uuid.NewString()+"@"+host+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	if msg.Tag != "" {
		hdr("X-Mailgun-Tag", msg.Tag)
	}
	if len(msg.Variables) > 0 {
		vars, err := json.Marshal(msg.Variables)
		if err != nil {
			return nil, err
		}
		hdr("X-Mailgun-Variables", string(vars))
	}
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(msg.Body, "\n", "\r\n"))
	return b.Bytes(), nil
}

// Send delivers one message.
func (m *Mailer) Send(ctx context.Context, msg model.Mail) error {
	if m.Skip != nil && m.Skip(ctx, msg.To) {
		m.log.Warn("mail not sent: the address keeps failing", "to", msg.To, "subject", msg.Subject)
		return nil
	}
	raw, err := m.Message(msg)
	if err != nil {
		return err
	}
	if m.smtpURL == nil {
		// No SMTP server: the log is the mailbox (development, tests).
		// Secrets in the message (the invitation token, in its link and in
		// the Mailgun variables) stay out of the log.
		m.log.Info("mail", "to", msg.To, "subject", msg.Subject, "tag", msg.Tag, "body", msg.LoggableBody())
		return nil
	}
	return m.sendSMTP(ctx, msg.To, raw)
}

func (m *Mailer) sendSMTP(ctx context.Context, to string, raw []byte) error {
	u := m.smtpURL
	host := u.Hostname()
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(host, "587")
	}
	var auth smtp.Auth
	if u.User != nil {
		pw, _ := u.User.Password()
		auth = smtp.PlainAuth("", u.User.Username(), pw, host)
	}
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(addr, auth, m.from, []string{to}, raw) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("send mail: %w", err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
