package main

import (
	"context"
	"fmt"

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
