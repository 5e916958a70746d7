package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Publishing: what a publish body may be, and how it is read. The API and
// `hooklab publish` share it.

// MaxEventBody is the largest publish request accepted (GitLab's 25 MiB
// webhook request limit).
const MaxEventBody = 25 << 20

// MaxBatchEvents is the most events one publish request may carry: each
// becomes a row and fans out to every matching hook inside the publish
// transaction every publisher shares.
const MaxBatchEvents = 1000

// groupEventKinds are the events a group publishes itself.
var groupEventKinds = map[string]bool{KindMember: true, KindProject: true, KindSubgroup: true}

// IsGroupEventKind reports whether events of kind are published for a group
// rather than a project.
func IsGroupEventKind(kind string) bool { return groupEventKinds[kind] }

// ParseEvents parses a publish body: one event, or {"events": [...]}. The
// body is decoded once, and each event keeps the bytes it arrived as
// (compacted), to be sent as they are.
func ParseEvents(body []byte) ([]*Event, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, BadRequest("The request body is empty: send one GitLab event payload or {\"events\": [...]}")
	}
	// JSON must be UTF-8 (RFC 8259), and encoding/json lets invalid bytes
	// through inside strings: stored, they would make every later JSON
	// answer that shows the event (Recent events, the events API) invalid.
	if !utf8.Valid(body) {
		return nil, BadRequest("The request body is not valid UTF-8: JSON text must be encoded in UTF-8")
	}
	top, raw, err := ParsePayloadRaw(body)
	if err != nil {
		if !json.Valid(body) {
			var v any
			err := json.Unmarshal(body, &v)
			return nil, BadRequest("The request body is not valid JSON: %v", err)
		}
		return nil, BadRequest("The request body must be a JSON object: one GitLab event payload or {\"events\": [...]}")
	}
	_, kind := top.Get("object_kind")
	_, name := top.Get("event_name")
	if events, ok := top.Get("events"); ok && !kind && !name {
		return parseBatch(events, ArrayElementsRaw(raw, "events"))
	}
	ev, err := NewEvent(top)
	if err != nil {
		return nil, err
	}
	ev.Raw = raw
	return []*Event{ev}, nil
}

// parseBatch reads the decoded "events" of {"events": [...]}; raws are
// their bytes.
func parseBatch(events any, raws [][]byte) ([]*Event, error) {
	batch, ok := events.([]any)
	if !ok {
		return nil, BadRequest("events must be an array of event payloads")
	}
	if len(batch) == 0 {
		return nil, BadRequest("events is empty: send at least one event")
	}
	if len(batch) > MaxBatchEvents {
		return nil, &Error{Kind: ErrTooLarge, Message: fmt.Sprintf("413 Request Entity Too Large: one request may publish at most %d events, this one has %d", MaxBatchEvents, len(batch))}
	}
	out := make([]*Event, 0, len(batch))
	for i, v := range batch {
		var ev *Event
		obj, ok := v.(*JSONObject)
		err := BadRequest("event payload must be a JSON object")
		if ok {
			ev, err = NewEvent(obj)
		}
		if err != nil {
			if len(batch) > 1 {
				return nil, BadRequest("events[%d]: %s", i, err.Error())
			}
			return nil, err
		}
		if len(raws) == len(batch) {
			ev.Raw = raws[i]
		}
		out = append(out, ev)
	}
	return out, nil
}

// EventBodyTooLarge is the error for a publish body over MaxEventBody.
func EventBodyTooLarge() error {
	return &Error{Kind: ErrTooLarge, Message: fmt.Sprintf("413 Request Entity Too Large: an event body may be at most %d MiB", MaxEventBody>>20)}
}
