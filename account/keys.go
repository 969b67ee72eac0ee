package account

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// NewToken is a random secret of 256 bits, URL-safe: session tokens, API
// keys and the setup token.
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateKey makes an API key owned by user (0: instance-wide), narrowed to
// sites when given, and returns the key itself, which is stored only as a
// hash. Every site must be one the owner may read.
func (s *Service) CreateKey(ctx context.Context, name string, owner User, sites []Site) (string, APIKey, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "default"
	}
	if len(name) > 100 {
		return "", APIKey{}, invalid("name", "a key's name has at most 100 characters")
	}
	k := APIKey{Name: name, User: owner.ID, Created: s.now()}
	for _, site := range sites {
		if owner.ID != 0 {
			if _, reads, err := s.RoleOn(ctx, owner, site); err != nil {
				return "", k, err
			} else if !reads {
				return "", k, invalid("site", owner.Email+" may not read "+site.Domain)
			}
		}
		k.Sites = append(k.Sites, site.ID)
	}
	key := NewToken()
	k.Hash = HashToken(key)
	k, err := s.st.AddAPIKey(ctx, k)
	if err != nil {
		return "", k, fmt.Errorf("create API key: %w", err)
	}
	return key, k, nil
}

// KeyReads says whether key k may read site: the site must be in its list,
// if it has one, and its owner must still read the site. An instance-wide
// key reads every site.
func (s *Service) KeyReads(ctx context.Context, k APIKey, site Site) (bool, error) {
	if len(k.Sites) > 0 && !slices.Contains(k.Sites, site.ID) {
		return false, nil
	}
	if k.User == 0 {
		return true, nil
	}
	u, err := s.st.UserByID(ctx, k.User)
	if errors.Is(err, ErrNotFound) {
		return false, nil // a removed user's keys go with them; this one raced
	} else if err != nil {
		return false, fmt.Errorf("owner of API key %d: %w", k.ID, err)
	}
	_, reads, err := s.RoleOn(ctx, u, site)
	return reads, err
}

// UseKey finds the key of a bearer token and records the day of its use
// (once a day, so reads stay cheap).
func (s *Service) UseKey(ctx context.Context, key string) (APIKey, error) {
	k, err := s.st.APIKey(ctx, HashToken(strings.TrimSpace(key)))
	if err != nil {
		return k, err
	}
	day := s.now().UTC().Truncate(24 * time.Hour)
	if k.LastUsed.Before(day) {
		if err := s.st.TouchAPIKey(ctx, k.ID, day); err != nil {
			return k, err
		}
	}
	return k, nil
}
