package model

import "time"

// Session is one signed-in browser. The cookie carries a random session
// ID; the database keeps only its digest, so a copy of the database signs
// no one in. Ending a session deletes its row, and a cookie whose row is
// gone is signed out.
type Session struct {
	ID         int64     `db:"id"`
	UserID     int64     `db:"user_id"`
	CreatedAt  time.Time `db:"created_at"`
	LastSeenAt time.Time `db:"last_seen_at"`
	IP         string    `db:"ip"`
	UserAgent  string    `db:"user_agent"`
}

// SessionTTL is how long a session lasts without being used, as GitLab's
// default session_expire_delay (one week); the cookie lasts as long.
const SessionTTL = 7 * 24 * time.Hour

// SessionTouchInterval bounds how often a session's last-seen time, address
// and browser are written: once a minute is exact enough for the Active
// sessions page and spares a write per request.
const SessionTouchInterval = time.Minute
