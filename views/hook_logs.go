package views

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/hooklab/hooklab/model"
)

// TestURL is where the Test dropdown posts (trigger=<attribute>).
func (r HookItem) TestURL() string { return r.URL + "/test" }

// LogsURL is the hook's recent events (the edit page's section as an htmx
// fragment).
func (r HookItem) LogsURL() string { return r.URL + "/hook_logs" }

// LogURL is one recent event's details page.
func (r HookItem) LogURL(id int64) string { return r.LogsURL() + "/" + strconv.FormatInt(id, 10) }

// RetryURL is where one recent event's Resend Request posts.
func (r HookItem) RetryURL(id int64) string { return r.LogURL(id) + "/retry" }

// ResendFailedURL is where "Resend all failed in this view" posts (and,
// with GET, its confirmation page for browsers without JavaScript).
func (r HookItem) ResendFailedURL() string { return r.LogsURL() + "/resend_failed" }

// Where a Test was chosen from: the page it reloads or updates.
const (
	TestFromList = "list"
	TestFromEdit = "edit"
)

// HooksRateLimit is the web_hook_calls warning of a hooks list: the
// top-level group whose deliveries were dropped, and when that last
// happened.
type HooksRateLimit struct {
	Group string
	Limit int
	At    time.Time
}

// RecentEvents is the Recent events section of a hook's edit page: one
// page of the attempts of the last Days days, newest first, narrowed by a
// status class and a trigger.
type RecentEvents struct {
	Hook    HookItem
	Logs    []model.HookLog
	Days    int
	Page    int
	PerPage int
	Total   int
	// Status is a status class filter (model.StatusClasses) or "".
	Status string
	// Trigger is a trigger scope filter or "".
	Trigger string
	// Triggers are the trigger filter's choices.
	Triggers []model.Trigger
	// Unresendable are failed rows shown that cannot be resent (the URL
	// changed since, the body was too large to keep), with the reason.
	Unresendable map[int64]string
	// ResendOff says why nothing can be resent now (the hook is disabled).
	ResendOff string
}

// Filtered reports whether a filter narrows the list.
func (d RecentEvents) Filtered() bool { return d.Status != "" || d.Trigger != "" }

// Pages is the number of pages, at least one.
func (d RecentEvents) Pages() int {
	if d.PerPage < 1 {
		return 1
	}
	return max(1, (d.Total+d.PerPage-1)/d.PerPage)
}

// Query is the section's state as query parameters.
func (d RecentEvents) Query(page int) url.Values {
	q := url.Values{}
	if d.Status != "" {
		q.Set("status", d.Status)
	}
	if d.Trigger != "" {
		q.Set("trigger", d.Trigger)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return q
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// PageURL is page n of the section on the whole edit page (no JavaScript),
// scrolled to the section.
func (d RecentEvents) PageURL(n int) string {
	return withQuery(d.Hook.EditURL(), d.Query(n)) + "#" + RecentEventsAnchor
}

// AddressURL is the edit page showing this view of the section: what the
// address bar shows after htmx paged or filtered in place, so that reload,
// Back and a shared link come back to it.
func (d RecentEvents) AddressURL() string {
	return withQuery(d.Hook.EditURL(), d.Query(d.Page)) + "#" + RecentEventsAnchor
}

// RecentEventsAnchor is the id of the Recent events section.
const RecentEventsAnchor = "recent-events"

// PageLink is one link of the pager; Gap stands for the pages left out.
type PageLink struct {
	N        int
	Current  bool
	Gap      bool
	Relation string // "first", "last" or ""
}

// PageLinks are the pager's numbered links: the first and last pages, and
// the two pages either side of the current one, with gaps between.
func (d RecentEvents) PageLinks() []PageLink {
	last := d.Pages()
	var out []PageLink
	prev := 0
	for n := 1; n <= last; n++ {
		if n != 1 && n != last && (n < d.Page-2 || n > d.Page+2) {
			continue
		}
		if prev != 0 && n > prev+1 {
			out = append(out, PageLink{Gap: true})
		}
		l := PageLink{N: n, Current: n == d.Page}
		switch n {
		case 1:
			l.Relation = "first"
		case last:
			l.Relation = "last"
		}
		out = append(out, l)
		prev = n
	}
	return out
}

// FragmentURL is page n of the section alone (htmx).
func (d RecentEvents) FragmentURL(n int) string { return withQuery(d.Hook.LogsURL(), d.Query(n)) }

// FailedIDs are the failed attempts shown, oldest first: what "Resend all
// failed in this view" sends again.
func (d RecentEvents) FailedIDs() []int64 {
	var ids []int64
	if d.ResendOff != "" {
		return nil
	}
	for i := len(d.Logs) - 1; i >= 0; i-- {
		if d.Logs[i].Failed() && d.Unresendable[d.Logs[i].ID] == "" {
			ids = append(ids, d.Logs[i].ID)
		}
	}
	return ids
}

// ResendUnavailable says why "Resend all failed in this view" is shown
// disabled: failed rows are in view but none of them can be resent. "" when
// there is nothing failed in view, or something to resend.
func (d RecentEvents) ResendUnavailable() string {
	if len(d.FailedIDs()) > 0 {
		return ""
	}
	for _, l := range d.Logs {
		if !l.Failed() {
			continue
		}
		if d.ResendOff != "" {
			return d.ResendOff
		}
		if why := d.Unresendable[l.ID]; why != "" {
			return why
		}
	}
	return ""
}

// ResendFailed is the confirmation of "Resend all failed in this view".
func (d RecentEvents) ResendFailed() ResendFailed {
	return ResendFailed{Hook: d.Hook, IDs: d.FailedIDs(), Status: d.Status, Trigger: d.Trigger}
}

// ResendFailed is what "Resend all failed in this view" resends.
type ResendFailed struct {
	Hook            HookItem
	IDs             []int64
	Status, Trigger string
}

// ConfirmURL is the confirmation page for browsers without JavaScript.
func (r ResendFailed) ConfirmURL() string {
	q := url.Values{}
	for _, id := range r.IDs {
		q.Add("ids[]", strconv.FormatInt(id, 10))
	}
	if r.Status != "" {
		q.Set("status", r.Status)
	}
	if r.Trigger != "" {
		q.Set("trigger", r.Trigger)
	}
	return withQuery(r.Hook.ResendFailedURL(), q)
}

// BackURL is the edit page with the same filters.
func (r ResendFailed) BackURL() string {
	return RecentEvents{Hook: r.Hook, Status: r.Status, Trigger: r.Trigger}.PageURL(1)
}

// HookLogDetails is a recent event's details page.
type HookLogDetails struct {
	Hook HookItem
	Log  model.HookLog
	// RequestBody is the body sent, pretty-printed.
	RequestBody string
	// ResendBlocked says why Resend Request is disabled ("" when it is not).
	ResendBlocked string
}

// statusClassLabels name the status filter's choices.
var statusClassLabels = map[string]string{
	model.StatusClassSuccess:       "Succeeded (2xx)",
	model.StatusClassClientError:   "Client errors (4xx)",
	model.StatusClassServerError:   "Server errors (5xx)",
	model.StatusClassInternalError: "Internal errors (no response)",
}

// StatusClassLabel names a status class in the filter.
func StatusClassLabel(c string) string { return statusClassLabels[c] }

// logStatusBadge is the badge class of an attempt: green for 2xx, red
// otherwise (GitLab's status label).
func logStatusBadge(l model.HookLog) string {
	if l.Failed() {
		return "badge badge-danger"
	}
	return "badge badge-ok"
}

// elapsed shows an attempt's duration as GitLab's table does.
func elapsed(seconds float64) string { return fmt.Sprintf("%.2f sec", seconds) }

// headerLines shows headers one per line, "Name: value".
func headerLines(hs []model.Header) string {
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(h.Name)
		b.WriteString(": ")
		b.WriteString(h.Value)
		b.WriteByte('\n')
	}
	return b.String()
}

// oobAttrs marks an element to be swapped out of band in an htmx response.
func oobAttrs(oob bool) templ.Attributes {
	if oob {
		return templ.Attributes{"hx-swap-oob": "true"}
	}
	return templ.Attributes{}
}

func testTriggers(r HookItem) []model.Trigger { return model.TestableTriggers(r.Hook.Kind) }

func dialogFor(r ResendFailed) string { return fmt.Sprintf("resend-failed-%d", r.Hook.Hook.ID) }

func idString(id int64) string { return strconv.FormatInt(id, 10) }

func plural2(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// pageLabel names a pager link for screen readers.
func pageLabel(l PageLink) string {
	switch l.Relation {
	case "first":
		return "First page, 1"
	case "last":
		return fmt.Sprintf("Last page, %d", l.N)
	}
	return fmt.Sprintf("Page %d", l.N)
}
