package main

import (
	"strings"

	"golang.org/x/mod/semver"
)

// defaultVersion is the version of a build that was given none.
const defaultVersion = "0.1.0-dev"

// revision is the commit a build was made from, set at build time with
// -ldflags "-X main.revision=...".
var revision string

// releaseVersion is the version Hooklab reports (GET /api/v4/version and
// /metadata, User-Agent: GitLab/<version>): a semantic version without the
// leading "v", because GitLab clients gate features on it. Anything else a
// build was stamped with (a commit hash from `git describe --always`)
// gives defaultVersion.
func releaseVersion(v string) string {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	if v == "" || !semver.IsValid("v"+v) {
		return defaultVersion
	}
	return v
}

// buildRevision is the commit reported as the revision: the stamped one,
// else a non-semantic version string (an older build's commit hash).
func buildRevision(v, rev string) string {
	if rev = strings.TrimSpace(rev); rev != "" {
		return rev
	}
	if v = strings.TrimSpace(v); v != "" && releaseVersion(v) == defaultVersion && strings.TrimPrefix(v, "v") != defaultVersion {
		return v
	}
	return "unknown"
}
