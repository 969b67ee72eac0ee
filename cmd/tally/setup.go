package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"tally/account"
	"tally/aggregate"
)

// firstRunToken returns a fresh random token for the first-run page while
// the store holds no account, and "" once one exists. It lives in this
// process's memory only: each start prints a new one.
func firstRunToken(ctx context.Context, st aggregate.Store) (string, error) {
	n, err := st.CountUsers(ctx)
	if err != nil {
		return "", fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	return account.NewToken(), nil
}

// setupLink is the first-run page's URL on the address tally listens on;
// a wildcard address (0.0.0.0, ::) is shown as localhost, where a browser
// on the same machine finds it.
func setupLink(addr net.Addr, token string) string {
	host := addr.String()
	if ap, err := netip.ParseAddrPort(host); err == nil && ap.Addr().IsUnspecified() {
		host = net.JoinHostPort("localhost", strconv.Itoa(int(ap.Port())))
	}
	return "http://" + host + "/setup?token=" + token
}
