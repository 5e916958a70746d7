package model

import "time"

// AlertStatus is a hook's auto-disable state as the API and the hooks list
// show it.
type AlertStatus string

const (
	AlertExecutable          AlertStatus = "executable"
	AlertTemporarilyDisabled AlertStatus = "temporarily_disabled"
	AlertDisabled            AlertStatus = "disabled"
)

// GitLab's thresholds (WebHooks::AutoDisabling). Failures up to the first
// are only counted; each failure past it backs off; one past the second
// disables for good. 39 is chosen so a hook that fails at the 24-hour
// maximum backoff keeps being retried for about a month first.
const (
	TemporarilyDisabledFailureThreshold = 3
	PermanentlyDisabledFailureThreshold = 39

	InitialHookBackoff = time.Minute
	MaxHookBackoff     = 24 * time.Hour
)

// AutoDisables reports whether hooks of kind k are ever auto-disabled:
// project and group hooks are, system hooks never.
func (k HookKind) AutoDisables() bool {
	return k == ProjectHookKind || k == GroupHookKind
}

// The rules below take autoDisabling, the application setting
// auto_disabling_web_hooks: when it is off every hook is executable and no
// failure is counted, whatever the stored state says, as in GitLab.
//
// A store selecting executable hooks in SQL must use the same predicate:
//
//	recent_failures <= 3
//	OR (recent_failures <= 39 AND (disabled_until IS NULL OR disabled_until < :now))
//
// (or no condition when auto-disabling is off or the hook is a system hook).

func (h Hook) autoDisabling(enabled bool) bool { return enabled && h.Kind.AutoDisables() }

// TemporarilyDisabled reports whether the hook is backing off at now. A
// disabled_until equal to now still counts as disabled.
func (h Hook) TemporarilyDisabled(now time.Time, autoDisabling bool) bool {
	return h.autoDisabling(autoDisabling) &&
		h.DisabledUntil != nil && !h.DisabledUntil.Before(now) &&
		h.RecentFailures > TemporarilyDisabledFailureThreshold &&
		h.RecentFailures <= PermanentlyDisabledFailureThreshold
}

// PermanentlyDisabled reports whether the hook failed too often to be tried
// again until a successful test.
func (h Hook) PermanentlyDisabled(autoDisabling bool) bool {
	return h.autoDisabling(autoDisabling) && h.RecentFailures > PermanentlyDisabledFailureThreshold
}

// AlertStatus is executable, temporarily_disabled or disabled.
func (h Hook) AlertStatus(now time.Time, autoDisabling bool) AlertStatus {
	switch {
	case h.TemporarilyDisabled(now, autoDisabling):
		return AlertTemporarilyDisabled
	case h.PermanentlyDisabled(autoDisabling):
		return AlertDisabled
	}
	return AlertExecutable
}

// Executable reports whether events are delivered to the hook at now.
// Tests run regardless.
func (h Hook) Executable(now time.Time, autoDisabling bool) bool {
	return h.AlertStatus(now, autoDisabling) == AlertExecutable
}

// RecordFailure counts a failed delivery at now and reports whether the
// state changed (so the store knows to write it). Failures 1–3 are only
// counted; from the 4th the hook is disabled until now + 1 minute ×
// 2^(failures before − 3), at most 24 hours; the 40th disables it for good.
// A failure while the hook is not executable (a forced test, a delivery
// already under way) is not counted. Like GitLab, the 40th failure also
// sets disabled_until (to now + 24h); it no longer matters once
// recent_failures is past 39.
func (h *Hook) RecordFailure(now time.Time, autoDisabling bool) bool {
	if !h.autoDisabling(autoDisabling) || !h.Executable(now, autoDisabling) {
		return false
	}
	before := h.RecentFailures
	h.RecentFailures = min(max(before+1, 1), PermanentlyDisabledFailureThreshold+1)
	if h.RecentFailures > TemporarilyDisabledFailureThreshold {
		until := now.Add(hookBackoff(before))
		h.DisabledUntil = &until
	}
	return true
}

// hookBackoff is clamp(1 minute × 2^(failuresBefore − 3), 1 minute, 24 hours).
func hookBackoff(failuresBefore int) time.Duration {
	d := InitialHookBackoff
	for i := TemporarilyDisabledFailureThreshold; i < failuresBefore && d < MaxHookBackoff; i++ {
		d *= 2
	}
	return min(d, MaxHookBackoff)
}

// RecordSuccess records a 2xx/3xx answer (a delivery or a test): the hook is
// executable again and its failures are forgotten. It reports whether the
// state changed. Unlike GitLab it resets even while auto-disabling is off,
// so turning the setting back on does not revive stale failures.
func (h *Hook) RecordSuccess() bool {
	if h.RecentFailures == 0 && h.DisabledUntil == nil {
		return false
	}
	h.RecentFailures = 0
	h.DisabledUntil = nil
	return true
}
