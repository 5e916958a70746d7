package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/model"
)

// The hook form's signing token: Generate shows a new token once (a plain
// post and the htmx fragment), saving keeps it sealed, the edit page shows
// only the mask, a malformed one is refused beside the field in a
// sentence, and clearing the field removes it — for project, group and
// system hooks alike.
func TestHookFormSigningToken(t *testing.T) {
	f := newHookFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, base string
		b          *browser
		hooks      func() ([]model.Hook, error)
	}{
		{"project", "/acme/api/-/hooks", f.a.signedIn(f.maintainer), func() ([]model.Hook, error) { return f.a.store.HooksByProject(ctx, f.api.ID) }},
		{"group", "/groups/acme/-/hooks", f.a.signedIn(f.owner), func() ([]model.Hook, error) { return f.a.store.HooksByGroup(ctx, f.acme.ID) }},
		{"system", "/admin/hooks", f.a.signedIn(f.admin), func() ([]model.Hook, error) { return f.a.store.SystemHooks(ctx) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			values := formValues(t, b.get(tc.base+"/new"), "#hook-form")
			values.Set("url", "https://webhook.example.com/"+tc.name)

			// A malformed token: 422, a sentence beside the field.
			values.Set("signing_token", "whsec_short")
			rec := b.postForm(tc.base, values)
			wantStatus(t, rec, http.StatusUnprocessableEntity, "")
			if got := doc(t, rec).Find("[data-testid=hook-signing-token-field] .field-error").Text(); !strings.Contains(got, "A signing token must be whsec_ followed by the base64 encoding of 32 random bytes.") {
				t.Fatalf("error beside the field: %q", got)
			}

			// Generate without JavaScript: the form comes back with a new
			// token in the clear, once.
			values.Set("signing_token", "")
			values.Set("_op", "generate_signing_token")
			rec = b.postForm(tc.base, values)
			wantStatus(t, rec, http.StatusOK, "")
			d := doc(t, rec)
			token := d.Find("#hook_signing_token").AttrOr("value", "")
			if _, ok := model.SigningKey(token); !ok || d.Find("[data-testid=hook-signing-token-shown]").Length() != 1 {
				t.Fatalf("generated token %q", token)
			}
			// With htmx, the field alone, with another new token.
			frag := b.getHTMX("/-/hooks/fragments/signing_token")
			wantStatus(t, frag, http.StatusOK, `id="hook-signing-token-field"`)
			if other := doc(t, frag).Find("#hook_signing_token").AttrOr("value", ""); other == token || !strings.HasPrefix(other, "whsec_") {
				t.Fatalf("htmx token %q", other)
			}

			values = formValues(t, rec, "#hook-form")
			values.Del("_op")
			followFlash(t, b, b.postForm(tc.base, values), "Webhook was created")
			hooks, _ := tc.hooks()
			if len(hooks) != 1 || hooks[0].SigningToken != token {
				t.Fatalf("stored hooks: %d, signing token kept: %v", len(hooks), len(hooks) == 1 && hooks[0].SigningToken == token)
			}
			id := hooks[0].ID

			// The edit page shows the mask only; saving it keeps the token.
			edit := b.get(fmt.Sprintf("%s/%d/edit", tc.base, id))
			noSecrets(t, "the edit page", edit.Body.String(), token, strings.TrimPrefix(token, "whsec_"))
			values = formValues(t, edit, "#hook-form")
			if values.Get("signing_token") != model.HookSecretMask {
				t.Fatalf("edit form shows %q", values.Get("signing_token"))
			}
			followFlash(t, b, b.postForm(fmt.Sprintf("%s/%d", tc.base, id), values), "Webhook was updated")
			if got, _ := f.a.store.Hook(ctx, id); got.SigningToken != token {
				t.Fatal("saving the mask changed the signing token")
			}
			// Clearing the field removes it.
			values.Set("signing_token", "")
			followFlash(t, b, b.postForm(fmt.Sprintf("%s/%d", tc.base, id), values), "Webhook was updated")
			if got, _ := f.a.store.Hook(ctx, id); got.SigningToken != "" {
				t.Fatal("a cleared field kept the signing token")
			}
		})
	}
}
