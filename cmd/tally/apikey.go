package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"tally/account"
)

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func apikeyCommands() []sub {
	var name, user *string
	var sites stringList
	return []sub{
		{name: "create", args: "[--user EMAIL] [--site DOMAIN]... [--name NAME]", help: "create a Stats API key (printed once, alone on the last line); without --user it reads every site", nargs: 0,
			flags: func(fs *flag.FlagSet) {
				name = fs.String("name", "default", "a label for the key")
				user = fs.String("user", "", "the key's owner: it reads only the sites they may read; empty: an instance-wide key")
				fs.Var(&sites, "site", "narrow the key to this site (repeat for several)")
			},
			run: func(ctx context.Context, e env, _ []string) error {
				var owner account.User
				if *user != "" {
					var err error
					if owner, err = e.acc.User(ctx, *user); err != nil {
						return fmt.Errorf("apikey create: user %s: %w", *user, err)
					}
				}
				var scope []account.Site
				for _, d := range sites {
					site, err := e.acc.Site(ctx, d)
					if err != nil {
						return fmt.Errorf("apikey create: site %s: %w", d, err)
					}
					scope = append(scope, site)
				}
				key, k, err := e.acc.CreateKey(ctx, *name, owner, scope)
				if err != nil {
					return fmt.Errorf("apikey create: %w", err)
				}
				fmt.Fprintf(e.stdout, "created API key %d %q; it is shown only now, store it safely:\n%s\n", k.ID, k.Name, key)
				return nil
			}},
		{name: "list", help: "list API keys: ID, name, owner, sites, created, last used day", nargs: 0,
			run: func(ctx context.Context, e env, _ []string) error {
				keys, err := e.st.APIKeys(ctx)
				if err != nil {
					return fmt.Errorf("apikey list: %w", err)
				}
				for _, k := range keys {
					owner, scope, err := describeKey(ctx, e, k)
					if err != nil {
						return fmt.Errorf("apikey list: %w", err)
					}
					used := "never used"
					if !k.LastUsed.IsZero() {
						used = "used " + k.LastUsed.Format(time.DateOnly)
					}
					fmt.Fprintf(e.stdout, "%d\t%s\t%s\t%s\tcreated %s\t%s\n", k.ID, k.Name, owner, scope, k.Created.Format(time.DateOnly), used)
				}
				return nil
			}},
		{name: "revoke", args: "ID", help: "revoke an API key at once (its ID is the first column of `tally apikey list`)", nargs: 1,
			run: func(ctx context.Context, e env, pos []string) error {
				id, err := strconv.ParseInt(pos[0], 10, 64)
				if err != nil {
					return fmt.Errorf("apikey revoke: %q is not a key ID (see tally apikey list)", pos[0])
				}
				if err := e.st.DeleteAPIKey(ctx, id); err != nil {
					return fmt.Errorf("apikey revoke: %w", err)
				}
				fmt.Fprintf(e.stdout, "revoked API key %d\n", id)
				return nil
			}},
	}
}

// describeKey names a key's owner and the sites it reads, for listings.
func describeKey(ctx context.Context, e env, k account.APIKey) (owner, scope string, err error) {
	owner, scope = "instance-wide", "all sites"
	if k.User != 0 {
		u, err := e.st.UserByID(ctx, k.User)
		if err != nil {
			return "", "", fmt.Errorf("owner of key %d: %w", k.ID, err)
		}
		owner, scope = u.Email, "the owner's sites"
	}
	if len(k.Sites) > 0 {
		var names []string
		for _, id := range k.Sites {
			s, err := e.st.SiteByID(ctx, id)
			if err != nil {
				names = append(names, fmt.Sprintf("(deleted site %d)", id))
				continue
			}
			names = append(names, s.Domain)
		}
		scope = strings.Join(names, ",")
	}
	return owner, scope, nil
}
