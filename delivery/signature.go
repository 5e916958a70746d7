package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hooklab/hooklab/model"
)

// Standard Webhooks headers, which GitLab 19 sends when a hook has a
// signing token.
const (
	webhookIDHeader        = "Webhook-Id"
	webhookTimestampHeader = "Webhook-Timestamp"
	webhookSignatureHeader = "Webhook-Signature"
)

// errBadSigningToken fails an attempt of a hook whose stored signing token
// is unusable (validation keeps such tokens out; this guards old rows).
var errBadSigningToken = &attemptError{"The hook's signing token is invalid; set a new one", ErrRequest}

// Signature is the Standard Webhooks signature of body: "v1," and the
// base64 of HMAC-SHA256 over "{id}.{timestamp}.{body}", with the key the
// signing token stands for.
func Signature(key []byte, id string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, ts.Unix(), 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// sign adds webhook-id (the Idempotency-Key, so a receiver deduplicates by
// either), webhook-timestamp and webhook-signature over the exact bytes
// sent. Every attempt is signed afresh with its own timestamp, so a Resend
// or a retry passes a receiver's replay window. The headers replace custom
// headers of the same names, in the request and in the log, where the
// signature shows: it is a digest, not a secret.
func sign(header http.Header, logged map[string]string, token string, now time.Time, body []byte) *attemptError {
	key, ok := model.SigningKey(token)
	if !ok {
		return errBadSigningToken
	}
	id := header.Get("Idempotency-Key")
	values := [...][2]string{
		{webhookIDHeader, id},
		{webhookTimestampHeader, strconv.FormatInt(now.Unix(), 10)},
		{webhookSignatureHeader, Signature(key, id, now, body)},
	}
	for _, v := range values {
		for name := range logged {
			if strings.EqualFold(name, v[0]) {
				delete(logged, name)
			}
		}
		header.Set(v[0], v[1])
		logged[v[0]] = v[1]
	}
	return nil
}
