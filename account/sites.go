package account

import (
	"context"
	"fmt"
	"time"
)

// ParseTimezone is the one rule for a site's time zone: an IANA name.
func ParseTimezone(tz string) (string, error) {
	if tz == "" {
		return "UTC", nil
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "", invalid("timezone", "unknown time zone: use an IANA name such as Europe/Paris")
	}
	return tz, nil
}

// AddSite validates and adds a site; owner is the user who added it (0 on
// the command line).
func (s *Service) AddSite(ctx context.Context, domain, tz string, countDNT bool, owner int64) (Site, error) {
	d, err := ParseDomain(domain)
	if err != nil {
		return Site{}, err
	}
	if tz, err = ParseTimezone(tz); err != nil {
		return Site{}, err
	}
	return s.st.AddSite(ctx, Site{Domain: d, Timezone: tz, CountDNT: countDNT, Owner: owner, Created: s.now()})
}

// Site finds a site by the domain someone typed or a URL carried.
func (s *Service) Site(ctx context.Context, domain string) (Site, error) {
	return s.st.Site(ctx, LookupDomain(domain))
}

// RoleOn is what u may do on site: admins and the user who added it are
// owners; others have the role of their membership, if any.
func (s *Service) RoleOn(ctx context.Context, u User, site Site) (Role, bool, error) {
	if u.ID == 0 {
		return "", false, nil
	}
	if u.Admin || site.Owner == u.ID {
		return Owner, true, nil
	}
	ms, err := s.st.MembershipsOf(ctx, u.ID)
	if err != nil {
		return "", false, fmt.Errorf("role of %s on %s: %w", u.Email, site.Domain, err)
	}
	for _, m := range ms {
		if m.Site == site.ID {
			return m.Role, m.Role.Reads(), nil
		}
	}
	return "", false, nil
}

// Readable lists the sites u may read, by domain.
func (s *Service) Readable(ctx context.Context, u User) ([]Site, error) {
	all, err := s.st.Sites(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	if u.Admin {
		return all, nil
	}
	ms, err := s.st.MembershipsOf(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("list sites of %s: %w", u.Email, err)
	}
	member := map[int64]bool{}
	for _, m := range ms {
		member[m.Site] = m.Role.Reads()
	}
	out := all[:0]
	for _, site := range all {
		if site.Owner == u.ID && u.ID != 0 || member[site.ID] {
			out = append(out, site)
		}
	}
	return out, nil
}

// Grant gives the user of email a role on site.
func (s *Service) Grant(ctx context.Context, site Site, email string, role Role) (User, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return User{}, err
	}
	u, err := s.User(ctx, email)
	if err != nil {
		return u, fmt.Errorf("user %s: %w", NormalizeEmail(email), err)
	}
	if err := s.st.SetMember(ctx, Member{Site: site.ID, User: u.ID, Role: role}); err != nil {
		return u, fmt.Errorf("grant %s on %s: %w", u.Email, site.Domain, err)
	}
	return u, nil
}

// Revoke takes the user's membership of site away. The user who added the
// site keeps owning it until the site is handed to somebody else.
func (s *Service) Revoke(ctx context.Context, site Site, email string) (User, error) {
	u, err := s.User(ctx, email)
	if err != nil {
		return u, fmt.Errorf("user %s: %w", NormalizeEmail(email), err)
	}
	if site.Owner == u.ID {
		site.Owner = 0
		if err := s.st.UpdateSite(ctx, site); err != nil {
			return u, fmt.Errorf("revoke %s on %s: %w", u.Email, site.Domain, err)
		}
	}
	if err := s.st.DeleteMember(ctx, site.ID, u.ID); err != nil {
		return u, fmt.Errorf("revoke %s on %s: %w", u.Email, site.Domain, err)
	}
	return u, nil
}
