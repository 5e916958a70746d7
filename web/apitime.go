package web

import "time"

// APITimeLayout is how GitLab's API writes a timestamp: UTC to the
// millisecond (Rails' iso8601(3)), e.g. 2026-12-05T00:30:33.004Z. Clients
// parse it with fixed three-digit layouts, so every API timestamp uses it.
const APITimeLayout = "2006-01-02T15:04:05.000Z"

// APITime is a timestamp in an API response.
type APITime time.Time

// MarshalJSON writes the time in APITimeLayout.
func (t APITime) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(APITimeLayout)+2)
	b = append(b, '"')
	b = time.Time(t).UTC().AppendFormat(b, APITimeLayout)
	return append(b, '"'), nil
}

// APITimePtr is APITime for an optional time: nil stays nil (null).
func APITimePtr(t *time.Time) *APITime {
	if t == nil {
		return nil
	}
	a := APITime(*t)
	return &a
}
