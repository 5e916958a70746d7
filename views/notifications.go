package views

import (
	"fmt"
	"strings"

	"github.com/hooklab/hooklab/model"
)

// NotificationsPath is the notification settings page.
const NotificationsPath = "/-/profile/notifications"

// NotificationsView is the notification settings page's state.
type NotificationsView struct {
	CSRF     string
	Global   NotificationRow
	Emails   []string // verified addresses, primary first
	Email    string   // where notification e-mail goes now
	Groups   []NotificationRow
	Projects []NotificationRow
	// Saved is the key of the row just saved, confirmed beside it.
	Saved string
	// Open is the key of the row whose events dialog opens at once (its
	// level was just set to custom).
	Open   string
	Errors *model.ValidationError
}

// NotificationRow is one setting on the page: the global one, a group's
// or a project's.
type NotificationRow struct {
	Name    string // full name of the group or project; "" for global
	URL     string // the group's or project's page
	Setting model.NotificationSetting
	// Inherited is what "global" means for this row: the level of the
	// nearest group above that sets one, else the user's global level.
	Inherited model.NotificationLevel
	// InheritedFrom names the group Inherited comes from; "" when it is the
	// user's global level.
	InheritedFrom string
}

// Key identifies the row in element IDs and test IDs: "global",
// "group-3", "project-7".
func (r NotificationRow) Key() string {
	switch r.Setting.SourceType {
	case model.SourceGroup:
		return fmt.Sprintf("group-%d", r.Setting.SourceID)
	case model.SourceProject:
		return fmt.Sprintf("project-%d", r.Setting.SourceID)
	}
	return "global"
}

// Kind names the row's source for people.
func (r NotificationRow) Kind() string {
	switch r.Setting.SourceType {
	case model.SourceGroup:
		return "Group"
	case model.SourceProject:
		return "Project"
	}
	return "Global"
}

// Title is the row's name, "Global notification settings" for global.
func (r NotificationRow) Title() string {
	if r.Setting.SourceType == model.SourceGlobal {
		return "Global notification settings"
	}
	return r.Name
}

// ActionURL is where the row's level form is sent (PUT).
func (r NotificationRow) ActionURL() string {
	switch r.Setting.SourceType {
	case model.SourceGroup:
		return fmt.Sprintf("%s/groups/%d", NotificationsPath, r.Setting.SourceID)
	case model.SourceProject:
		return fmt.Sprintf("%s/projects/%d", NotificationsPath, r.Setting.SourceID)
	}
	return NotificationsPath
}

// EventsURL is the row's custom events: a page without JavaScript, and
// where each checkbox is saved (PUT).
func (r NotificationRow) EventsURL() string { return r.ActionURL() + "/events" }

// Levels are the choices of the row's dropdown, in GitLab's menu order.
func (r NotificationRow) Levels() []model.NotificationLevel {
	order := []model.NotificationLevel{model.NotificationGlobal, model.NotificationWatch, model.NotificationParticipating,
		model.NotificationMention, model.NotificationDisabled, model.NotificationCustom}
	if r.Setting.SourceType == model.SourceGlobal {
		return order[1:]
	}
	return order
}

// Events are the row's custom events.
func (r NotificationRow) Events() []model.NotificationEvent {
	return model.NotificationEventsFor(r.Setting.SourceType)
}

// LevelOption is a level's text in the row's dropdown; "global" shows
// what it resolves to and where that comes from: "Global (Watch)" from the
// user's global level, "Inherit: Custom, from Acme" from a group above.
func (r NotificationRow) LevelOption(l model.NotificationLevel) string {
	if l == model.NotificationGlobal {
		if r.InheritedFrom != "" {
			// Say where it comes from: a group above, not the global level.
			return "Inherit: " + NotificationLevelLabel(r.Inherited) + ", from " + r.InheritedFrom
		}
		return "Global (" + NotificationLevelLabel(r.Inherited) + ")"
	}
	return NotificationLevelLabel(l)
}

// NotificationLevelLabel is a level's name for people.
func NotificationLevelLabel(l model.NotificationLevel) string {
	switch l {
	case model.NotificationDisabled:
		return "Disabled"
	case model.NotificationParticipating:
		return "Participating"
	case model.NotificationWatch:
		return "Watch"
	case model.NotificationGlobal:
		return "Global"
	case model.NotificationMention:
		return "On mention"
	case model.NotificationCustom:
		return "Custom"
	}
	return l.String()
}

// NotificationLevelDescription says in one line what a level sends.
func NotificationLevelDescription(l model.NotificationLevel) string {
	switch l {
	case model.NotificationDisabled:
		return "No notification e-mail at all."
	case model.NotificationParticipating:
		return "Only threads you take part in: you opened, commented on or are assigned to them."
	case model.NotificationWatch:
		return "Nearly all activity."
	case model.NotificationGlobal:
		return "Follows the nearest group that sets a level, else your global level."
	case model.NotificationMention:
		return "Only comments that @mention you."
	case model.NotificationCustom:
		return "Threads you take part in, plus the events you choose."
	}
	return ""
}

var notificationEventDescriptions = map[model.NotificationEvent]string{
	model.NotifyNewRelease:                 "A new release is published",
	model.NotifyNewNote:                    "Someone adds a comment",
	model.NotifyNewIssue:                   "A new issue is created",
	model.NotifyReopenIssue:                "An issue is reopened",
	model.NotifyCloseIssue:                 "An issue is closed",
	model.NotifyReassignIssue:              "An issue is reassigned",
	model.NotifyIssueDue:                   "An issue is due tomorrow",
	model.NotifyNewMergeRequest:            "A new merge request is created",
	model.NotifyPushToMergeRequest:         "Someone pushes to a merge request",
	model.NotifyReopenMergeRequest:         "A merge request is reopened",
	model.NotifyCloseMergeRequest:          "A merge request is closed",
	model.NotifyReassignMergeRequest:       "A merge request is reassigned",
	model.NotifyChangeReviewerMergeRequest: "A merge request's reviewers change",
	model.NotifyMergeMergeRequest:          "A merge request is merged",
	model.NotifyFailedPipeline:             "A pipeline fails (on unless you turn it off)",
	model.NotifyFixedPipeline:              "A previously failed pipeline is fixed (on unless you turn it off)",
	model.NotifySuccessPipeline:            "A pipeline succeeds",
	model.NotifyMovedProject:               "A project is moved",
	model.NotifyMergeWhenPipelineSucceeds:  "A merge request is set to merge automatically",
	model.NotifyApprover:                   "A merge request you can approve is created",
	model.NotifyNewEpic:                    "A new epic is created",
}

// NotificationEventLabel is an event's short name: "New note".
func NotificationEventLabel(e model.NotificationEvent) string {
	s := strings.ReplaceAll(string(e), "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// NotificationEventDescription says when the event sends e-mail.
func NotificationEventDescription(e model.NotificationEvent) string {
	return notificationEventDescriptions[e]
}

func notificationEventID(r NotificationRow, e model.NotificationEvent) string {
	return "event-" + r.Key() + "-" + string(e)
}
