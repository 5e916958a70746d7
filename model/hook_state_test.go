package model

import (
	"testing"
	"time"
)

var stateEpoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestAutoDisableTimeline(t *testing.T) {
	// Each failure happens as soon as the hook is executable again: one
	// second after disabled_until, or one second after the last failure.
	// wantFor is disabled_until minus the failure time (0: nil).
	tests := []struct {
		failure    int
		wantRecent int
		wantFor    time.Duration
		wantStatus AlertStatus
	}{
		{1, 1, 0, AlertExecutable},
		{2, 2, 0, AlertExecutable},
		{3, 3, 0, AlertExecutable},
		{4, 4, 1 * time.Minute, AlertTemporarilyDisabled},
		{5, 5, 2 * time.Minute, AlertTemporarilyDisabled},
		{6, 6, 4 * time.Minute, AlertTemporarilyDisabled},
		{7, 7, 8 * time.Minute, AlertTemporarilyDisabled},
		{8, 8, 16 * time.Minute, AlertTemporarilyDisabled},
		{9, 9, 32 * time.Minute, AlertTemporarilyDisabled},
		{10, 10, 64 * time.Minute, AlertTemporarilyDisabled},
		{11, 11, 128 * time.Minute, AlertTemporarilyDisabled},
		{12, 12, 256 * time.Minute, AlertTemporarilyDisabled},
		{13, 13, 512 * time.Minute, AlertTemporarilyDisabled},
		{14, 14, 1024 * time.Minute, AlertTemporarilyDisabled},
		{15, 15, 24 * time.Hour, AlertTemporarilyDisabled}, // 2048 min, clamped
		{16, 16, 24 * time.Hour, AlertTemporarilyDisabled},
		{17, 17, 24 * time.Hour, AlertTemporarilyDisabled},
		{18, 18, 24 * time.Hour, AlertTemporarilyDisabled},
		{19, 19, 24 * time.Hour, AlertTemporarilyDisabled},
		{20, 20, 24 * time.Hour, AlertTemporarilyDisabled},
		{21, 21, 24 * time.Hour, AlertTemporarilyDisabled},
		{22, 22, 24 * time.Hour, AlertTemporarilyDisabled},
		{23, 23, 24 * time.Hour, AlertTemporarilyDisabled},
		{24, 24, 24 * time.Hour, AlertTemporarilyDisabled},
		{25, 25, 24 * time.Hour, AlertTemporarilyDisabled},
		{26, 26, 24 * time.Hour, AlertTemporarilyDisabled},
		{27, 27, 24 * time.Hour, AlertTemporarilyDisabled},
		{28, 28, 24 * time.Hour, AlertTemporarilyDisabled},
		{29, 29, 24 * time.Hour, AlertTemporarilyDisabled},
		{30, 30, 24 * time.Hour, AlertTemporarilyDisabled},
		{31, 31, 24 * time.Hour, AlertTemporarilyDisabled},
		{32, 32, 24 * time.Hour, AlertTemporarilyDisabled},
		{33, 33, 24 * time.Hour, AlertTemporarilyDisabled},
		{34, 34, 24 * time.Hour, AlertTemporarilyDisabled},
		{35, 35, 24 * time.Hour, AlertTemporarilyDisabled},
		{36, 36, 24 * time.Hour, AlertTemporarilyDisabled},
		{37, 37, 24 * time.Hour, AlertTemporarilyDisabled},
		{38, 38, 24 * time.Hour, AlertTemporarilyDisabled},
		{39, 39, 24 * time.Hour, AlertTemporarilyDisabled},
		// GitLab sets disabled_until on the 40th failure too; past 39
		// failures it no longer matters.
		{40, 40, 24 * time.Hour, AlertDisabled},
		// Not executable any more, so the 41st is not counted.
		{41, 40, 24 * time.Hour, AlertDisabled},
	}

	h := validProjectHook()
	now := stateEpoch
	var lastFailure time.Time
	// One sequence, not subtests: each failure builds on the last.
	for _, tt := range tests {
		changed := h.RecordFailure(now, true)
		if wantChanged := tt.failure <= 40; changed != wantChanged {
			t.Errorf("failure %d: RecordFailure changed = %v, want %v", tt.failure, changed, wantChanged)
		}
		if changed {
			lastFailure = now
		}
		if h.RecentFailures != tt.wantRecent {
			t.Errorf("failure %d: recent_failures = %d, want %d", tt.failure, h.RecentFailures, tt.wantRecent)
		}
		switch {
		case tt.wantFor == 0 && h.DisabledUntil != nil:
			t.Errorf("failure %d: disabled_until = %v, want nil", tt.failure, h.DisabledUntil)
		case tt.wantFor != 0 && h.DisabledUntil == nil:
			t.Errorf("failure %d: disabled_until = nil, want failure time + %v", tt.failure, tt.wantFor)
		case tt.wantFor != 0 && !h.DisabledUntil.Equal(lastFailure.Add(tt.wantFor)):
			t.Errorf("failure %d: disabled_until = failure time + %v, want + %v", tt.failure, h.DisabledUntil.Sub(lastFailure), tt.wantFor)
		}
		if got := h.AlertStatus(now, true); got != tt.wantStatus {
			t.Errorf("failure %d: alert status = %q, want %q", tt.failure, got, tt.wantStatus)
		}
		if h.DisabledUntil != nil {
			now = h.DisabledUntil.Add(time.Second)
		} else {
			now = now.Add(time.Second)
		}
	}

	// Permanently disabled: still disabled long after disabled_until.
	later := now.Add(365 * 24 * time.Hour)
	if got := h.AlertStatus(later, true); got != AlertDisabled {
		t.Errorf("a year later: alert status = %q, want disabled", got)
	}
	if h.RecordFailure(later, true) {
		t.Error("a year later: RecordFailure counted a failure of a permanently disabled hook")
	}
	// A successful test re-enables it.
	if !h.RecordSuccess() || h.RecentFailures != 0 || h.DisabledUntil != nil {
		t.Errorf("RecordSuccess left recent_failures=%d disabled_until=%v", h.RecentFailures, h.DisabledUntil)
	}
	if got := h.AlertStatus(later, true); got != AlertExecutable {
		t.Errorf("after success: alert status = %q, want executable", got)
	}
}

func TestFailuresWhileDisabledAreNotCounted(t *testing.T) {
	h := validProjectHook()
	h.RecentFailures = 5
	until := stateEpoch.Add(2 * time.Minute)
	h.DisabledUntil = &until

	for _, at := range []time.Time{stateEpoch, stateEpoch.Add(time.Minute), until} {
		if h.RecordFailure(at, true) {
			t.Errorf("RecordFailure at %v counted while disabled until %v", at, until)
		}
	}
	if h.RecentFailures != 5 || !h.DisabledUntil.Equal(until) {
		t.Errorf("state = %d, %v; want 5, %v", h.RecentFailures, h.DisabledUntil, until)
	}

	// Once disabled_until has passed the next failure backs off further:
	// 2^(5-3) minutes.
	after := until.Add(time.Nanosecond)
	if !h.RecordFailure(after, true) {
		t.Fatal("RecordFailure after the backoff did not count")
	}
	if got, want := h.DisabledUntil.Sub(after), 4*time.Minute; h.RecentFailures != 6 || got != want {
		t.Errorf("state = %d, +%v; want 6, +%v", h.RecentFailures, got, want)
	}
}

func TestExecutable(t *testing.T) {
	// GitLab's "with webhook auto-disabling failure thresholds" table, as
	// WebHooks::AutoDisabling#executable? reads it at time now.
	now := stateEpoch
	past, future := now.Add(-time.Minute), now.Add(time.Minute)
	tests := []struct {
		recent int
		until  *time.Time
		want   bool
		status AlertStatus
	}{
		{0, nil, true, AlertExecutable},
		{0, &past, true, AlertExecutable},
		{0, &future, true, AlertExecutable},
		{0, &now, true, AlertExecutable},
		{1, &future, true, AlertExecutable},
		{3, nil, true, AlertExecutable},
		{3, &past, true, AlertExecutable},
		{3, &now, true, AlertExecutable},
		{3, &future, true, AlertExecutable},
		{4, &past, true, AlertExecutable},
		{4, &now, false, AlertTemporarilyDisabled},
		{4, &future, false, AlertTemporarilyDisabled},
		{39, &past, true, AlertExecutable},
		{39, &now, false, AlertTemporarilyDisabled},
		{39, &future, false, AlertTemporarilyDisabled},
		{40, nil, false, AlertDisabled},
		{40, &past, false, AlertDisabled},
		{40, &now, false, AlertDisabled},
		{40, &future, false, AlertDisabled},
		// A pre-17.11 state GitLab migrated away; its current instance
		// methods call it executable, and so do we.
		{4, nil, true, AlertExecutable},
	}
	for _, tt := range tests {
		h := validProjectHook()
		h.RecentFailures, h.DisabledUntil = tt.recent, tt.until
		name := "nil"
		if tt.until != nil {
			name = tt.until.Sub(now).String()
		}
		if got := h.Executable(now, true); got != tt.want {
			t.Errorf("[%d, %s] Executable = %v, want %v", tt.recent, name, got, tt.want)
		}
		if got := h.AlertStatus(now, true); got != tt.status {
			t.Errorf("[%d, %s] AlertStatus = %q, want %q", tt.recent, name, got, tt.status)
		}
		// With the setting off every hook is executable.
		if !h.Executable(now, false) || h.AlertStatus(now, false) != AlertExecutable {
			t.Errorf("[%d, %s] with auto-disabling off: Executable = %v, status %q; want true, executable",
				tt.recent, name, h.Executable(now, false), h.AlertStatus(now, false))
		}
	}
}

func TestNoAutoDisabling(t *testing.T) {
	tests := []struct {
		name    string
		hook    Hook
		setting bool
	}{
		{"system hooks never", func() Hook { h := NewHook(SystemHookKind); return h }(), true},
		{"setting off", validProjectHook(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.hook
			for i := 0; i < 50; i++ {
				if h.RecordFailure(stateEpoch.Add(time.Duration(i)*time.Hour), tt.setting) {
					t.Fatalf("failure %d was counted", i+1)
				}
			}
			if h.RecentFailures != 0 || h.DisabledUntil != nil {
				t.Errorf("state = %d, %v; want 0, nil", h.RecentFailures, h.DisabledUntil)
			}
		})
	}

	sys := NewHook(SystemHookKind)
	sys.RecentFailures = 100
	if !sys.Executable(stateEpoch, true) || sys.AlertStatus(stateEpoch, true) != AlertExecutable {
		t.Error("a system hook with stored failures is not executable")
	}
	g := NewHook(GroupHookKind)
	if !g.RecordFailure(stateEpoch, true) {
		t.Error("group hooks auto-disable too, but the failure was not counted")
	}
}

func TestRecordSuccess(t *testing.T) {
	h := validProjectHook()
	if h.RecordSuccess() {
		t.Error("RecordSuccess on a clean hook reported a change")
	}
	until := stateEpoch.Add(time.Hour)
	h.RecentFailures, h.DisabledUntil = 7, &until
	if !h.RecordSuccess() {
		t.Error("RecordSuccess on a failing hook reported no change")
	}
	if h.RecentFailures != 0 || h.DisabledUntil != nil {
		t.Errorf("state = %d, %v; want 0, nil", h.RecentFailures, h.DisabledUntil)
	}
	// Counting starts over: three more failures are only counted.
	for i := 1; i <= 3; i++ {
		h.RecordFailure(stateEpoch.Add(time.Duration(i)*time.Second), true)
	}
	if h.DisabledUntil != nil || h.RecentFailures != 3 {
		t.Errorf("after 3 new failures: %d, %v; want 3, nil", h.RecentFailures, h.DisabledUntil)
	}
}

func TestHookBackoff(t *testing.T) {
	tests := []struct {
		before int
		want   time.Duration
	}{
		{3, time.Minute},
		{4, 2 * time.Minute},
		{13, 1024 * time.Minute},
		{14, 24 * time.Hour},
		{39, 24 * time.Hour},
		{1 << 30, 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := hookBackoff(tt.before); got != tt.want {
			t.Errorf("hookBackoff(%d) = %v, want %v", tt.before, got, tt.want)
		}
	}
}
