// Command tally is the whole of tally in one binary: `tally serve` runs the
// collector, the dashboard and the Stats API; the other subcommands
// administer sites, people, roles and keys on the same store, through the
// same account rules as the dashboard (account.Service).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
)

// command is one subcommand. run gets the arguments after its name.
type command struct {
	name, usage, help string
	run               func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands(stdin io.Reader) []command {
	return []command{
		{"serve", "tally serve [flags]", "run the collector, dashboard and Stats API (the default)", runServe},
		{"site", "tally site add|list|delete|grant|revoke|publish|unpublish …", "manage sites, who may see them, and their public reports", group("site", siteCommands())},
		{"goal", "tally goal add|list|delete DOMAIN …", "manage a site's goals (custom events and page visits)", group("goal", goalCommands())},
		{"funnel", "tally funnel add|list|delete DOMAIN …", "manage a site's funnels (goals in order, counted per visit)", group("funnel", funnelCommands())},
		{"user", "tally user add|list|delete|passwd …", "manage dashboard accounts", group("user", userCommands(stdin))},
		{"apikey", "tally apikey create|list|revoke …", "manage Stats API keys", group("apikey", apikeyCommands())},
		{"report", "tally report --site DOMAIN --period 2026-10|2026-Q4|2026 --format html|json|csv --out FILE", "write a protected public usage report (see docs/reports.md)", runReport},
		{"privacy-notice", "tally privacy-notice [--site DOMAIN]", "print a privacy notice derived from this configuration", runPrivacyNotice},
		{"version", "tally version", "print the version of this binary", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := runIO(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
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
	return runIO(ctx, args, os.Stdin, stdout, stderr)
}

func runIO(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	name := "serve"
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		usage(stdout, stdin)
		return nil
	}
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	for _, c := range commands(stdin) {
		if c.name == name {
			return c.run(ctx, args, stdout, stderr)
		}
	}
	usage(stderr, stdin)
	return fmt.Errorf("unknown command %q", name)
}

func usage(w io.Writer, stdin io.Reader) {
	fmt.Fprintln(w, "tally — privacy-first web analytics\n\nusage: tally [COMMAND] [flags]   (no command: serve)\n\nCommands:")
	for _, c := range commands(stdin) {
		fmt.Fprintf(w, "  %-15s %s\n                  %s\n", c.name, c.help, c.usage)
	}
	fmt.Fprintln(w, "\nRun `tally COMMAND --help` for a command's subcommands and flags; every flag also reads a TALLY_* variable.")
}

// version is set at build time (-ldflags "-X main.version=v1.2.3"); else
// the module's version or VCS revision, when the build recorded one.
var version = ""

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 || len(args) > 0 {
		return errors.New("usage: tally version")
	}
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "" {
		v = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v += " " + s.Value
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	fmt.Fprintf(stdout, "tally %s %s\n", v, runtime.Version())
	return nil
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
