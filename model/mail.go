package model

import "strings"

// Mail is one outgoing e-mail. Tag and Variables become Mailgun's
// X-Mailgun-Tag and X-Mailgun-Variables headers, so that Mailgun's failure
// webhooks can be matched back to what was sent (invite_token of an invite).
type Mail struct {
	To        string
	Subject   string
	Body      string
	Tag       string
	Variables map[string]string
}

// InviteEmailTag tags invitation e-mail, as GitLab's Members::Mailgun.
const InviteEmailTag = "invite_email"

// LoggableBody is the body with every secret the message carries in its
// Variables (an invitation's token, which its link also holds) replaced
// by [FILTERED], fit for a log.
func (m Mail) LoggableBody() string {
	body := m.Body
	for _, v := range m.Variables {
		if len(v) >= 8 { // a token, not a short flag such as "true"
			body = strings.ReplaceAll(body, v, "[FILTERED]")
		}
	}
	return body
}
