package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"tally/account"
	"tally/dashboard"
)

// runUser manages dashboard accounts. The first account is always an
// admin, so a fresh install cannot end up with nobody who sees the sites.
func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "usage: tally user add EMAIL [--admin] [--password-stdin]"
	if len(args) == 0 || args[0] != "add" {
		return errors.New(usage)
	}
	var isAdmin, fromStdin *bool
	st, pos, err := admin(ctx, "user add", args[1:], stderr, func(fs *flag.FlagSet) {
		isAdmin = fs.Bool("admin", false, "the user sees every site (the first user always does)")
		fromStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input; otherwise one is generated and printed once")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if len(pos) != 1 {
		return errors.New(usage)
	}
	email := dashboard.NormalizeEmail(pos[0])

	var pw string
	if *fromStdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the password from standard input: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	} else {
		raw := make([]byte, 15)
		if _, err := rand.Read(raw); err != nil {
			return fmt.Errorf("generate a password: %w", err)
		}
		pw = base64.RawURLEncoding.EncodeToString(raw)
	}
	if msg := dashboard.CheckAccount(email, pw); msg != "" {
		return fmt.Errorf("user add: %s", strings.ToLower(strings.TrimSuffix(msg, ".")))
	}
	n, err := st.CountUsers(ctx)
	if err != nil {
		return fmt.Errorf("count users: %w", err)
	}
	hash, err := dashboard.HashPassword(pw)
	if err != nil {
		return err
	}
	u, err := st.AddUser(ctx, account.User{Email: email, PasswordHash: hash, Admin: *isAdmin || n == 0})
	if err != nil {
		return err
	}
	role := "user"
	if u.Admin {
		role = "admin"
	}
	fmt.Fprintf(stdout, "added %s (%s)\n", u.Email, role)
	if !*fromStdin {
		fmt.Fprintf(stdout, "password (shown only now):\n%s\n", pw)
	}
	return nil
}
