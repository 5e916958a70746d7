package model

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
