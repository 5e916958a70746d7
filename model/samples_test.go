package model

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
)

func TestSamplePayloadFiresItsTrigger(t *testing.T) {
	for _, tr := range Triggers {
		t.Run(tr.Scope, func(t *testing.T) {
			p, ok := SamplePayload(tr)
			if !ok {
				t.Fatalf("no sample for %s", tr.Scope)
			}
			e, err := NewEvent(p)
			if err != nil {
				t.Fatalf("sample does not parse as an event: %v", err)
			}
			if e.Trigger.Scope != tr.Scope {
				t.Errorf("sample fires %q, want %q", e.Trigger.Scope, tr.Scope)
			}
		})
	}
}

func TestSampleKindsCoverSpec(t *testing.T) {
	// GitLab documents these object kinds.
	for _, kind := range []string{"push", "tag_push", "issue", "note", "merge_request", "build", "pipeline",
		"wiki_page", "deployment", "feature_flag", "release", "milestone", "emoji", "access_token",
		"member", "project", "subgroup"} {
		t.Run(kind, func(t *testing.T) {
			p, ok := SampleKindPayload(kind)
			if !ok {
				t.Fatalf("no sample for kind %q", kind)
			}
			got, err := EventKind(p)
			if err != nil {
				t.Fatalf("EventKind: %v", err)
			}
			if got != kind {
				t.Errorf("sample kind: got %q, want %q", got, kind)
			}
		})
	}
}

func TestSampleFilesAreStrictJSON(t *testing.T) {
	err := fs.WalkDir(sampleFiles, "samples", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := sampleFiles.ReadFile(path)
		if !json.Valid(data) {
			t.Errorf("%s is not valid JSON", path)
		}
		if !strings.HasSuffix(path, ".json") {
			t.Errorf("%s: unexpected file", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSamplePayloadIsAFreshCopy(t *testing.T) {
	tr, _ := TriggerByScope("push_hooks")
	a, _ := SamplePayload(tr)
	a.Set("ref", "refs/heads/changed")
	b, _ := SamplePayload(tr)
	if got, want := b.String("ref"), "refs/heads/master"; got != want {
		t.Errorf("second sample ref = %q, want %q", got, want)
	}
	if _, ok := SamplePayload(Trigger{Scope: "no_such_hooks"}); ok {
		t.Errorf("SamplePayload of an unknown trigger reported ok")
	}
	if b, ok := SampleJSON(tr); !ok || !json.Valid(b) {
		t.Errorf("SampleJSON(push) = %.60s, %v", b, ok)
	}
}

func TestSampleConfidentialVariants(t *testing.T) {
	ci, _ := TriggerByScope("confidential_issue_hooks")
	p, _ := SamplePayload(ci)
	if !p.Bool("object_attributes", "confidential") || p.String("event_type") != "confidential_issue" {
		t.Errorf("confidential issue sample: confidential=%v event_type=%q", p.Bool("object_attributes", "confidential"), p.String("event_type"))
	}
	cn, _ := TriggerByScope("confidential_note_hooks")
	p, _ = SamplePayload(cn)
	if !p.Bool("issue", "confidential") || p.String("event_type") != "confidential_note" {
		t.Errorf("confidential note sample: issue.confidential=%v event_type=%q", p.Bool("issue", "confidential"), p.String("event_type"))
	}
}
