package main

import "testing"

func TestReleaseVersion(t *testing.T) {
	for _, tc := range []struct{ version, revision, wantVersion, wantRevision string }{
		{"0.1.0-dev", "", "0.1.0-dev", "unknown"},
		{"v1.2.3", "abc1234", "1.2.3", "abc1234"},
		{"1.2.3-4-gabc1234", "abc1234", "1.2.3-4-gabc1234", "abc1234"},
		{"06081ae", "", defaultVersion, "06081ae"},             // git describe --always without tags
		{"06081ae-dirty", "", defaultVersion, "06081ae-dirty"}, // the same, uncommitted changes
		{"", "", defaultVersion, "unknown"},
	} {
		if got := releaseVersion(tc.version); got != tc.wantVersion {
			t.Errorf("releaseVersion(%q) = %q, want %q", tc.version, got, tc.wantVersion)
		}
		if got := buildRevision(tc.version, tc.revision); got != tc.wantRevision {
			t.Errorf("buildRevision(%q, %q) = %q, want %q", tc.version, tc.revision, got, tc.wantRevision)
		}
	}
}
