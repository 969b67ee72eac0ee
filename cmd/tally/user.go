package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"tally/account"
)

func userCommands(stdin io.Reader) []sub {
	var isAdmin, addStdin, pwStdin *bool
	return []sub{
		{name: "add", args: "EMAIL [--admin] [--password-stdin]", help: "add a dashboard account (the first is an admin; a generated password is printed once)", nargs: 1,
			flags: func(fs *flag.FlagSet) {
				isAdmin = fs.Bool("admin", false, "the user sees every site and manages users (the first user always does)")
				addStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input; otherwise one is generated and printed once")
			},
			run: func(ctx context.Context, e env, pos []string) error {
				pw, err := password(stdin, *addStdin)
				if err != nil {
					return fmt.Errorf("user add: %w", err)
				}
				u, err := e.acc.AddUser(ctx, pos[0], pw, *isAdmin)
				if err != nil {
					return fmt.Errorf("user add: %w", err)
				}
				fmt.Fprintf(e.stdout, "added %s (%s)\n", u.Email, userRole(u))
				if !*addStdin {
					fmt.Fprintf(e.stdout, "password (shown only now):\n%s\n", pw)
				}
				return nil
			}},
		{name: "list", help: "list accounts: email, admin or user, created", nargs: 0,
			run: func(ctx context.Context, e env, _ []string) error {
				users, err := e.st.Users(ctx)
				if err != nil {
					return fmt.Errorf("user list: %w", err)
				}
				for _, u := range users {
					fmt.Fprintf(e.stdout, "%s\t%s\tsince %s\n", u.Email, userRole(u), u.Created.Format(time.DateOnly))
				}
				return nil
			}},
		{name: "delete", args: "EMAIL", help: "delete an account with its sessions, site roles and API keys (not the last admin)", nargs: 1,
			run: func(ctx context.Context, e env, pos []string) error {
				u, err := e.acc.User(ctx, pos[0])
				if err != nil {
					return fmt.Errorf("user delete %s: %w", pos[0], err)
				}
				if err := e.acc.DeleteUser(ctx, u); err != nil {
					return fmt.Errorf("user delete: %w", err)
				}
				fmt.Fprintf(e.stdout, "deleted %s\n", u.Email)
				return nil
			}},
		{name: "passwd", args: "EMAIL [--password-stdin]", help: "set a new password (generated and printed once unless given on standard input) and sign the user out everywhere", nargs: 1,
			flags: func(fs *flag.FlagSet) {
				pwStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input")
			},
			run: func(ctx context.Context, e env, pos []string) error {
				u, err := e.acc.User(ctx, pos[0])
				if err != nil {
					return fmt.Errorf("user passwd %s: %w", pos[0], err)
				}
				pw, err := password(stdin, *pwStdin)
				if err != nil {
					return fmt.Errorf("user passwd: %w", err)
				}
				if err := e.acc.SetPassword(ctx, u, pw); err != nil {
					return fmt.Errorf("user passwd: %w", err)
				}
				fmt.Fprintf(e.stdout, "new password set for %s; their sessions are signed out\n", u.Email)
				if !*pwStdin {
					fmt.Fprintf(e.stdout, "password (shown only now):\n%s\n", pw)
				}
				return nil
			}},
	}
}

func userRole(u account.User) string {
	if u.Admin {
		return "admin"
	}
	return "user"
}

// password reads one from the first line of stdin, or makes one.
func password(stdin io.Reader, fromStdin bool) (string, error) {
	if !fromStdin {
		return account.NewToken()[:24], nil // 144 random bits
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
