package account

import (
	"context"
	"errors"
	"fmt"
)

// newUser checks and hashes what a new account is made of.
func newUser(email, pw string, admin bool) (User, error) {
	email, err := ParseEmail(email)
	if err != nil {
		return User{}, err
	}
	if err := CheckPassword(pw, email); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return User{}, err
	}
	return User{Email: email, PasswordHash: hash, Admin: admin}, nil
}

// Setup creates the first account, an admin, only while there is none:
// of any number of concurrent calls one succeeds, the others get
// ErrExists.
func (s *Service) Setup(ctx context.Context, email, pw string) (User, error) {
	u, err := newUser(email, pw, true)
	if err != nil {
		return u, err
	}
	u.Created = s.now()
	return s.st.AddFirstUser(ctx, u)
}

// AddUser adds an account. The first account is always an admin, so an
// install cannot end up with nobody who sees every site.
func (s *Service) AddUser(ctx context.Context, email, pw string, admin bool) (User, error) {
	u, err := newUser(email, pw, admin)
	if err != nil {
		return u, err
	}
	u.Created = s.now()
	first := u
	first.Admin = true
	if got, err := s.st.AddFirstUser(ctx, first); err == nil {
		return got, nil
	} else if !errors.Is(err, ErrExists) {
		return got, err
	}
	return s.st.AddUser(ctx, u)
}

// User finds an account by email.
func (s *Service) User(ctx context.Context, email string) (User, error) {
	return s.st.UserByEmail(ctx, NormalizeEmail(email))
}

// SetPassword replaces a user's password and signs them out everywhere:
// whoever knew the old one loses their sessions with it.
func (s *Service) SetPassword(ctx context.Context, u User, pw string) error {
	if err := CheckPassword(pw, u.Email); err != nil {
		return err
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return fmt.Errorf("set password of %s: %w", u.Email, err)
	}
	return s.st.DeleteLogins(ctx, u.ID)
}

// SignOutEverywhere ends every session of the user.
func (s *Service) SignOutEverywhere(ctx context.Context, u User) error {
	return s.st.DeleteLogins(ctx, u.ID)
}

// DeleteUser removes an account with its sessions, memberships and keys.
// The last admin cannot be removed.
func (s *Service) DeleteUser(ctx context.Context, u User) error {
	if u.Admin {
		users, err := s.st.Users(ctx)
		if err != nil {
			return fmt.Errorf("delete user %s: %w", u.Email, err)
		}
		admins := 0
		for _, o := range users {
			if o.Admin {
				admins++
			}
		}
		if admins <= 1 {
			return fmt.Errorf("%s is the last admin: %w", u.Email, ErrForbidden)
		}
	}
	if err := s.st.DeleteUser(ctx, u.ID); err != nil {
		return fmt.Errorf("delete user %s: %w", u.Email, err)
	}
	return nil
}
