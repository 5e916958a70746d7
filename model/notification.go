package model

import (
	"strings"
)

// NotificationLevel is how much e-mail a user wants about a group, a project
// or everything (their global setting). The numbers are GitLab's enum values
// and are what the store keeps.
type NotificationLevel int

// GitLab's notification levels.
const (
	NotificationDisabled      NotificationLevel = 0
	NotificationParticipating NotificationLevel = 1
	NotificationWatch         NotificationLevel = 2
	NotificationGlobal        NotificationLevel = 3
	NotificationMention       NotificationLevel = 4
	NotificationCustom        NotificationLevel = 5
)

// NotificationLevels lists every level in the order GitLab documents them.
var NotificationLevels = []NotificationLevel{
	NotificationDisabled, NotificationParticipating, NotificationWatch,
	NotificationGlobal, NotificationMention, NotificationCustom,
}

var notificationLevelNames = map[NotificationLevel]string{
	NotificationDisabled:      "disabled",
	NotificationParticipating: "participating",
	NotificationWatch:         "watch",
	NotificationGlobal:        "global",
	NotificationMention:       "mention",
	NotificationCustom:        "custom",
}

// String is the level's API name ("participating").
func (l NotificationLevel) String() string {
	if n, ok := notificationLevelNames[l]; ok {
		return n
	}
	return "unknown"
}

// Valid reports whether l is one of GitLab's levels.
func (l NotificationLevel) Valid() bool { _, ok := notificationLevelNames[l]; return ok }

// SourceGlobal is the source type of a user's global notification setting:
// it belongs to no group or project. Group and project settings use
// SourceGroup and SourceProject, as memberships do.
const SourceGlobal = ""

// NotificationLevelsFor lists the levels a setting of sourceType may take:
// every level, except that the global setting cannot defer to itself.
func NotificationLevelsFor(sourceType string) []NotificationLevel {
	if sourceType != SourceGlobal {
		return NotificationLevels
	}
	out := make([]NotificationLevel, 0, len(NotificationLevels)-1)
	for _, l := range NotificationLevels {
		if l != NotificationGlobal {
			out = append(out, l)
		}
	}
	return out
}

// ParseNotificationLevel reads a level by its API name for a setting of
// sourceType. An unknown name is a bad request whose message starts as
// GitLab's enum error ("'loud' is not a valid level") and names the valid
// levels; a blank one is the validation error GitLab gives ("Level can't be
// blank").
func ParseNotificationLevel(sourceType, name string) (NotificationLevel, error) {
	if strings.TrimSpace(name) == "" {
		v := &ValidationError{}
		v.Add("level", "can't be blank")
		return 0, v
	}
	allowed := NotificationLevelsFor(sourceType)
	for _, l := range allowed {
		if l.String() == name {
			return l, nil
		}
	}
	names := make([]string, len(allowed))
	for i, l := range allowed {
		names[i] = l.String()
	}
	return 0, BadRequest("'%s' is not a valid level. Valid levels are: %s", name, strings.Join(names, ", "))
}

// NotificationEvent is one event a "custom" setting turns on or off; its
// value is the API's parameter and attribute name.
type NotificationEvent string

// The custom notification events.
const (
	NotifyNewRelease                 NotificationEvent = "new_release"
	NotifyNewNote                    NotificationEvent = "new_note"
	NotifyNewIssue                   NotificationEvent = "new_issue"
	NotifyReopenIssue                NotificationEvent = "reopen_issue"
	NotifyCloseIssue                 NotificationEvent = "close_issue"
	NotifyReassignIssue              NotificationEvent = "reassign_issue"
	NotifyIssueDue                   NotificationEvent = "issue_due"
	NotifyNewMergeRequest            NotificationEvent = "new_merge_request"
	NotifyPushToMergeRequest         NotificationEvent = "push_to_merge_request"
	NotifyReopenMergeRequest         NotificationEvent = "reopen_merge_request"
	NotifyCloseMergeRequest          NotificationEvent = "close_merge_request"
	NotifyReassignMergeRequest       NotificationEvent = "reassign_merge_request"
	NotifyChangeReviewerMergeRequest NotificationEvent = "change_reviewer_merge_request"
	NotifyMergeMergeRequest          NotificationEvent = "merge_merge_request"
	NotifyFailedPipeline             NotificationEvent = "failed_pipeline"
	NotifyFixedPipeline              NotificationEvent = "fixed_pipeline"
	NotifySuccessPipeline            NotificationEvent = "success_pipeline"
	NotifyMovedProject               NotificationEvent = "moved_project"
	NotifyMergeWhenPipelineSucceeds  NotificationEvent = "merge_when_pipeline_succeeds"
	NotifyApprover                   NotificationEvent = "approver"
	NotifyNewEpic                    NotificationEvent = "new_epic"
)

// NotificationEvents lists every event in the order GitLab's API returns
// them. NotifyNewEpic belongs only to the global and group settings.
var NotificationEvents = []NotificationEvent{
	NotifyNewRelease, NotifyNewNote, NotifyNewIssue, NotifyReopenIssue, NotifyCloseIssue,
	NotifyReassignIssue, NotifyIssueDue, NotifyNewMergeRequest, NotifyPushToMergeRequest,
	NotifyReopenMergeRequest, NotifyCloseMergeRequest, NotifyReassignMergeRequest,
	NotifyChangeReviewerMergeRequest, NotifyMergeMergeRequest, NotifyFailedPipeline,
	NotifyFixedPipeline, NotifySuccessPipeline, NotifyMovedProject,
	NotifyMergeWhenPipelineSucceeds, NotifyApprover, NotifyNewEpic,
}

// NotificationEventsFor lists the events a setting of sourceType has: epics
// live in groups, so a project setting has no new_epic.
func NotificationEventsFor(sourceType string) []NotificationEvent {
	if sourceType != SourceProject {
		return NotificationEvents
	}
	out := make([]NotificationEvent, 0, len(NotificationEvents)-1)
	for _, e := range NotificationEvents {
		if e != NotifyNewEpic {
			out = append(out, e)
		}
	}
	return out
}

// NotificationEventDefault is what an event left unset (null) means: off,
// except failed and fixed pipelines, which are more like mentions and stay
// on unless turned off (GitLab's NotificationSetting#failed_pipeline).
func NotificationEventDefault(e NotificationEvent) bool {
	return e == NotifyFailedPipeline || e == NotifyFixedPipeline
}

// NotificationSetting is a user's setting for a group, a project, or
// everything (SourceType SourceGlobal, SourceID 0).
type NotificationSetting struct {
	UserID     int64
	SourceType string // SourceGlobal, SourceGroup or SourceProject
	SourceID   int64
	Level      NotificationLevel
	// Events holds each custom event's value: true, false, or nil (null,
	// the default). A missing key is nil.
	Events map[NotificationEvent]*bool
	// NotificationEmail is where the user's e-mail goes; global setting
	// only. Empty means the primary address.
	NotificationEmail string
}

// DefaultNotificationSetting is the setting of a user who never chose one:
// participating globally, and deferring to that (global) everywhere else.
func DefaultNotificationSetting(userID int64, sourceType string, sourceID int64) NotificationSetting {
	level := NotificationGlobal
	if sourceType == SourceGlobal {
		level = NotificationParticipating
		sourceID = 0
	}
	return NotificationSetting{UserID: userID, SourceType: sourceType, SourceID: sourceID, Level: level,
		Events: map[NotificationEvent]*bool{}}
}

// Event returns an event's stored value: true, false or nil (null).
func (s NotificationSetting) Event(e NotificationEvent) *bool {
	if v := s.Events[e]; v != nil {
		b := *v
		return &b
	}
	return nil
}

// SetEvent stores an event's value; nil resets it to the default.
func (s *NotificationSetting) SetEvent(e NotificationEvent, v *bool) {
	if s.Events == nil {
		s.Events = map[NotificationEvent]*bool{}
	}
	if v == nil {
		delete(s.Events, e)
		return
	}
	b := *v
	s.Events[e] = &b
}

// EventEnabled reports whether the event is on, a null counting as its
// default. Events the setting's source does not have are never on.
func (s NotificationSetting) EventEnabled(e NotificationEvent) bool {
	if e == NotifyNewEpic && s.SourceType == SourceProject {
		return false
	}
	if v := s.Events[e]; v != nil {
		return *v
	}
	return NotificationEventDefault(e)
}

// EffectiveNotificationSetting returns the setting that decides a user's
// e-mail about a project or group. chain is the user's settings from the
// thing itself upwards: a project's own setting, then its group's, then
// each ancestor group's, nearest first (a group's chain starts at the
// group). The first setting in chain that is not "global" wins; when every
// one defers, the user's global setting decides. A global setting that
// itself says "global" (which the API refuses) counts as participating.
//
// For a custom result, EventEnabled on the returned setting tells whether an
// event is wanted.
func EffectiveNotificationSetting(global NotificationSetting, chain ...NotificationSetting) NotificationSetting {
	for _, s := range chain {
		if s.Level != NotificationGlobal {
			return s
		}
	}
	if global.Level == NotificationGlobal || !global.Level.Valid() {
		global.Level = NotificationParticipating
	}
	return global
}

// EffectiveNotificationLevel is the level of EffectiveNotificationSetting.
func EffectiveNotificationLevel(global NotificationSetting, chain ...NotificationSetting) NotificationLevel {
	return EffectiveNotificationSetting(global, chain...).Level
}

// NotificationEmailProblem is GitLab's message for a notification e-mail
// that is not one of the user's verified addresses.
const NotificationEmailProblem = "must be an email you have verified"

// CheckNotificationEmail accepts an address for notifications when it is one
// of the user's verified addresses (compared case-insensitively) and returns
// it as the user's list spells it. A blank address means "use the primary
// address" and is returned as "".
func CheckNotificationEmail(email string, verified []string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", nil
	}
	for _, v := range verified {
		if NormalizeEmail(v) == NormalizeEmail(email) {
			return v, nil
		}
	}
	ve := &ValidationError{}
	ve.Add("notification_email", NotificationEmailProblem)
	return "", ve
}

// NotificationEmailOrDefault is where a user's notifications go: their
// chosen address while it is still verified, else the primary address
// (the first of verified).
func NotificationEmailOrDefault(chosen string, verified []string) string {
	if chosen != "" {
		if v, err := CheckNotificationEmail(chosen, verified); err == nil && v != "" {
			return v
		}
	}
	if len(verified) > 0 {
		return verified[0]
	}
	return ""
}
