// Command tally is the whole of tally in one binary: `tally serve` runs the
// collector, the dashboard and the Stats API; the other subcommands
// administer sites and keys on the same store.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand. run gets the arguments after its name.
type command struct {
	name, usage, help string
	run               func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "tally serve [flags]", "run the collector, dashboard and Stats API (the default)", runServe},
		{"site", "tally site add DOMAIN [--timezone Area/City] [--count-dnt] | list | delete DOMAIN | publish DOMAIN [--min-visitors K] [--round N] [--epsilon E] | unpublish DOMAIN", "manage sites and their public reports", runSite},
		{"apikey", "tally apikey create [--name NAME]", "create a Stats API key (printed once, on the last line)", runAPIKey},
		{"report", "tally report --site DOMAIN --period 2026-10|2026-Q4|2026 --format html|json|csv --out FILE", "write a protected public usage report (see docs/reports.md)", runReport},
		{"privacy-notice", "tally privacy-notice [--site DOMAIN]", "print a privacy notice derived from this configuration", runPrivacyNotice},
		{"user", "tally user add EMAIL [--admin] [--password-stdin]", "add a dashboard account (the first is an admin; a generated password is printed once)", runUser},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tally:", err)
		os.Exit(1)
	}
}

// run dispatches to a subcommand; with none, or only flags, it serves.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	name := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args, stdout, stderr)
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", name)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "tally — privacy-first web analytics\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n           %s\n", c.name, c.help, c.usage)
	}
	fmt.Fprintln(w, "\nRun `tally COMMAND --help` for a command's flags; every flag also reads a TALLY_* variable.")
}

// parseArgs parses flags that may come before or after positional
// arguments ("site add example.com --timezone Europe/Paris") and returns
// the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("tally "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
