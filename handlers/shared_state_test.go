package handlers_test

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/hooklab/hooklab/model"
)

// twoInstances are two Hooklab instances on one database, each with its
// own store handle and its limits kept in the database.
func twoInstances(t *testing.T) (a, b *testApp) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	return newInstance(t, path, nil, true), newInstance(t, path, nil, true)
}

// web_hook_test_limit holds across instances: five Tests spread over two
// instances use the minute's budget, and the sixth is refused with 429 on
// either.
func TestTestLimitHoldsAcrossInstances(t *testing.T) {
	a, b := twoInstances(t)
	f := newRunFixtureOn(t, a)
	f.settings(func(st *model.Settings) { st.WebHookTestLimit = 5 })
	h := f.hook(model.ProjectHookKind, "/p", "push_events")
	f.publishPush()
	test := "/api/v4/projects/" + itoa(f.project.ID) + "/hooks/" + itoa(h.ID) + "/test/push_events"
	for i := 1; i <= 5; i++ {
		via := []*testApp{a, b}[i%2]
		if rec := via.api(http.MethodPost, test, f.token, nil); rec.Code != http.StatusCreated {
			t.Fatalf("test %d: got %d %s, want 201", i, rec.Code, rec.Body)
		}
	}
	for name, via := range map[string]*testApp{"a": a, "b": b} {
		if rec := via.api(http.MethodPost, test, f.token, nil); rec.Code != http.StatusTooManyRequests {
			t.Fatalf("6th test through %s: got %d %s, want 429", name, rec.Code, rec.Body)
		}
	}
	if n := len(f.rcv.requests()); n != 5 {
		t.Fatalf("receiver got %d requests, want 5", n)
	}
}

// The per-address sign-in throttle holds across instances: ten failures
// spread over two instances pause the address on both.
func TestSignInThrottleHoldsAcrossInstances(t *testing.T) {
	a, b := twoInstances(t)
	ba, bb := a.browser(), b.browser()
	ba.get("/users/sign_in")
	bb.get("/users/sign_in")
	for i := 1; i <= 10; i++ {
		br := []*browser{ba, bb}[i%2]
		if code, body := failSignIn(br, "nobody", ""); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: got %d %s, want 401", i, code, body)
		}
	}
	for name, br := range map[string]*browser{"a": ba, "b": bb} {
		if code, _ := failSignIn(br, "nobody", ""); code != http.StatusTooManyRequests {
			t.Fatalf("11th attempt through %s: got %d, want 429", name, code)
		}
	}
}
