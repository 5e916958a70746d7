package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// HookRunner sends Test and Resend requests at once. Both return
// only after the attempt's log row and the hook's new auto-disable state
// are stored; a refusal is a model error (model.Unprocessable with
// GitLab's message).
type HookRunner interface {
	// TestHook sends a sample event of trigger to the hook, disabled or not,
	// ignoring its branch filter. A sample with no ID is a built-in one.
	TestHook(ctx context.Context, hook *model.Hook, trigger model.Trigger, sample *db.DeliveryEvent) (*model.HookLog, error)
	// ResendHookLog sends a logged request again with its Idempotency-Key.
	ResendHookLog(ctx context.Context, hook *model.Hook, log *model.HookLog) (*model.HookLog, error)
	// HookLogURLCurrent reports whether the hook still points where the
	// logged request went.
	HookLogURLCurrent(hook *model.Hook, log *model.HookLog) bool
}

// hookCallWindow is the period of the Test and Resend limits (the settings
// give the count per window).
const hookCallWindow = time.Minute

// hookCallAllowed takes one Test or Resend ("test", "resend") from the
// user's budget for the hook's parent (web_hook_test_limit and
// web_hook_resend_limit per minute, per user and hook parent, as GitLab's
// rate limiter scopes them).
func (h *Handler) hookCallAllowed(ctx context.Context, action string, u *model.User, hk *model.Hook) (bool, error) {
	st, err := h.store.Settings(ctx)
	if err != nil {
		return false, err
	}
	limit := st.WebHookTestLimit
	if action == "resend" {
		limit = st.WebHookResendLimit
	}
	key := fmt.Sprintf("hook-%s:user:%d:%s", action, u.ID, hookParentKey(hk))
	return h.hookCalls.Allow(ctx, key, limit, hookCallWindow, h.srv.Now())
}

func hookParentKey(hk *model.Hook) string {
	switch {
	case hk.ProjectID != nil:
		return fmt.Sprintf("project:%d", *hk.ProjectID)
	case hk.GroupID != nil:
		return fmt.Sprintf("group:%d", *hk.GroupID)
	}
	return "instance"
}

// testSample finds what Test sends for trigger t: the newest real event of
// the kind for the hook's project (any project under a group hook's group;
// any of the user's projects for a system hook's merge request test), or a
// built-in sample; else GitLab's message saying what is missing.
func (h *Handler) testSample(ctx context.Context, hk *model.Hook, t model.Trigger, u *model.User) (*db.DeliveryEvent, error) {
	plan := model.TestPlanFor(hk.Kind, t)
	switch plan.Source {
	case model.TestUnavailable:
		return nil, model.Unprocessable("%s", model.TestNotAvailable)
	case model.TestFromSample:
		body, ok := model.SampleJSON(t)
		if !ok {
			return nil, model.Unprocessable("%s", model.TestNotAvailable)
		}
		return &db.DeliveryEvent{Scope: t.Scope, Payload: body}, nil
	}
	if plan.GroupEvents {
		if hk.GroupID == nil {
			return nil, model.Unprocessable("%s", model.TestNotAvailable)
		}
		groups, err := h.store.GroupSelfAndDescendantIDs(ctx, *hk.GroupID)
		if err != nil {
			return nil, err
		}
		ev, err := h.store.GroupSampleEvent(ctx, groups, plan.Scopes[0])
		if isNotFound(err) {
			return nil, model.Unprocessable("%s", plan.Missing)
		}
		return ev, err
	}
	var projects []int64
	var err error
	switch hk.Kind {
	case model.ProjectHookKind:
		projects = []int64{*hk.ProjectID}
	case model.GroupHookKind:
		projects, err = h.store.ProjectIDsUnderGroup(ctx, *hk.GroupID)
	default:
		projects, err = h.store.ProjectIDsOfMember(ctx, u.ID)
	}
	if err != nil {
		return nil, err
	}
	for _, scope := range plan.Scopes {
		ev, err := h.store.SampleEvent(ctx, projects, scope)
		if err == nil {
			return ev, nil
		}
		if !isNotFound(err) {
			return nil, err
		}
	}
	return nil, model.Unprocessable("%s", plan.Missing)
}

// runHookTest finds the sample and sends it.
func (h *Handler) runHookTest(ctx context.Context, hk *model.Hook, t model.Trigger, u *model.User) (*model.HookLog, error) {
	sample, err := h.testSample(ctx, hk, t, u)
	if err != nil {
		return nil, err
	}
	return h.runner.TestHook(ctx, hk, t, sample)
}

// flashBodyLimit keeps a receiver's long error page out of the flash.
const flashBodyLimit = 500

// hookExecutionFlash is GitLab's flash after Test and Resend
// (WebHooks::HookExecutionNotice): a notice for 2xx/3xx, an alert with the
// status and body for any other answer, "Hook execution failed: ..." when
// there was no answer or the request was refused.
func hookExecutionFlash(l *model.HookLog, refused error) (kind, message string) {
	switch {
	case refused != nil:
		return "alert", "Hook execution failed: " + refused.Error()
	case l.InternalError():
		return "alert", "Hook execution failed: " + l.InternalErrorMessage
	case l.Success():
		return "notice", "Hook executed successfully: HTTP " + l.ResponseStatus
	}
	body := strings.TrimSpace(string(l.ResponseBody))
	if len(body) > flashBodyLimit {
		body = strings.ToValidUTF8(body[:flashBodyLimit], "") + "…"
	}
	return "alert", strings.TrimSpace("Hook executed successfully but returned HTTP " + l.ResponseStatus + " " + body)
}
