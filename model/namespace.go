package model

import (
	"regexp"
	"strings"
	"time"
)

// Group is a namespace of projects; groups nest to any depth.
type Group struct {
	ID          int64     `db:"id"`
	Name        string    `db:"name"`
	Path        string    `db:"path"`
	FullPath    string    `db:"full_path"`
	FullName    string    `db:"full_name"`
	Description string    `db:"description"`
	ParentID    *int64    `db:"parent_id"`
	CreatedAt   time.Time `db:"created_at"`
}

// Project belongs to exactly one group.
type Project struct {
	ID            int64     `db:"id"`
	GroupID       int64     `db:"group_id"`
	Name          string    `db:"name"`
	Path          string    `db:"path"`
	FullPath      string    `db:"full_path"`
	FullName      string    `db:"full_name"`
	Description   string    `db:"description"`
	DefaultBranch string    `db:"default_branch"`
	CreatedAt     time.Time `db:"created_at"`
}

// Path rules follow GitLab's namespace paths.
var pathPattern = regexp.MustCompile(`^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$`)
var namePattern = regexp.MustCompile(`^[\p{L}\p{N}_][\p{L}\p{N}_. ()+-]*$`)

// PathMessage is GitLab's explanation of a bad path.
const PathMessage = "can contain only letters, digits, '_', '-' and '.'. Cannot start with '-', end in '.git' or end in '.atom'"

// reservedPaths cannot be top-level group paths or usernames: they are our
// own top-level routes.
var reservedPaths = map[string]bool{
	"-": true, "admin": true, "api": true, "assets": true, "dashboard": true, "explore": true,
	"groups": true, "help": true, "metrics": true, "projects": true, "static": true,
	"users": true, "profile": true, "health": true, "readiness": true, "favicon.ico": true,
	"robots.txt": true, "new": true, "search": true, "uploads": true,
}

// IsReservedPath reports whether a top-level path is one of our routes.
func IsReservedPath(p string) bool { return reservedPaths[strings.ToLower(p)] }

// NamespaceInput is what creating a group or project takes.
type NamespaceInput struct {
	Name        string
	Path        string
	Description string
	TopLevel    bool // a top-level group: reserved paths are refused
}

// Validate checks a group's or project's name and path.
func (in *NamespaceInput) Validate() error {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	in.Path = strings.TrimSpace(in.Path)
	if in.Path == "" && in.Name != "" {
		in.Path = PathFromName(in.Name)
	}
	switch {
	case in.Name == "":
		v.Add("name", "can't be blank")
	case len(in.Name) > 255:
		v.Add("name", "is too long (maximum is 255 characters)")
	case !namePattern.MatchString(in.Name):
		v.Add("name", "can contain only letters, digits, emoji, '_', '.', '+', dashes, or spaces. It must start with a letter, digit, emoji, or '_'.")
	}
	switch {
	case in.Path == "":
		v.Add("path", "can't be blank")
	case len(in.Path) > 255:
		v.Add("path", "is too long (maximum is 255 characters)")
	case !pathPattern.MatchString(in.Path) || strings.HasSuffix(in.Path, ".git") || strings.HasSuffix(in.Path, ".atom"):
		v.Add("path", PathMessage)
	case in.TopLevel && IsReservedPath(in.Path):
		v.Add("path", "is reserved")
	}
	if len(in.Description) > 2048 {
		v.Add("description", "is too long (maximum is 2048 characters)")
	}
	return v.Err()
}

// PathFromName derives a path from a display name the way GitLab's form
// suggests one: lower case, runs of other characters become '-'.
func PathFromName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.'
		if ok {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-.")
}
