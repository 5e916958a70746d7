package db

import (
	"context"
	"sync"
	"time"

	"github.com/hooklab/hooklab/model"
)

// authTTL bounds how long a token and its owner are served from memory.
// Every change this process makes to a token or a user empties the cache
// at once; the TTL only bounds changes made by another process (the CLI)
// or by hand.
const authTTL = time.Second

// authCache keeps recently used tokens with their owners, so that an API
// client's burst of requests costs one lookup, not two per request.
type authCache struct {
	mu      sync.Mutex
	entries map[string]authEntry // by token digest
	// gen counts invalidations: a lookup that read the database before
	// one must not store what it read after it.
	gen uint64
}

type authEntry struct {
	token model.PersonalAccessToken
	user  model.User
	at    time.Time
}

// authCacheMax bounds the cache; past it, the cache starts over.
const authCacheMax = 4096

// TokenWithUser finds a token by its secret value, with its owner. A
// revoked or expired token is returned as it is (the caller answers for
// it); an unknown one is ErrNotFound and is never cached.
func (s *Store) TokenWithUser(ctx context.Context, raw string) (*model.PersonalAccessToken, *model.User, error) {
	digest := Digest(raw)
	s.auth.mu.Lock()
	e, ok := s.auth.entries[digest]
	gen := s.auth.gen
	s.auth.mu.Unlock()
	if ok && time.Since(e.at) < authTTL {
		return &e.token, &e.user, nil
	}
	t, err := s.TokenByRaw(ctx, raw)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.User(ctx, t.UserID)
	if err != nil {
		return nil, nil, err
	}
	s.auth.mu.Lock()
	if s.auth.gen == gen {
		if s.auth.entries == nil || len(s.auth.entries) >= authCacheMax {
			s.auth.entries = map[string]authEntry{}
		}
		s.auth.entries[digest] = authEntry{token: *t, user: *u, at: time.Now()}
	}
	s.auth.mu.Unlock()
	return t, u, nil
}

// forgetAuth empties the token cache: a token or a user changed.
func (s *Store) forgetAuth() {
	s.auth.mu.Lock()
	s.auth.entries = nil
	s.auth.gen++
	s.auth.mu.Unlock()
}
