package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"tally/account"
	"tally/aggregate"
)

// sub is one subcommand of a command group (`tally site add`): its
// arguments and help, the flags it adds to the store settings, and what it
// does with the opened store and its positional arguments.
type sub struct {
	name, args, help string
	nargs            int // positional arguments it takes exactly; -1: any
	flags            func(fs *flag.FlagSet)
	run              func(ctx context.Context, e env, pos []string) error
}

// env is what a subcommand works with.
type env struct {
	st     aggregate.Store
	acc    *account.Service
	stdout io.Writer
}

// group runs the subcommand named by args[0]. `tally GROUP --help` lists
// the subcommands; `tally GROUP SUB --help` shows one's arguments and
// flags; both exit 0.
func group(name string, subs []sub) func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		if len(args) == 0 {
			groupUsage(stderr, name, subs)
			return fmt.Errorf("%s: which subcommand?", name)
		}
		if isHelp(args[0]) {
			groupUsage(stdout, name, subs)
			return nil
		}
		for _, s := range subs {
			if s.name == args[0] {
				return s.exec(ctx, name, args[1:], stdout, stderr)
			}
		}
		groupUsage(stderr, name, subs)
		return fmt.Errorf("unknown %s subcommand %q", name, args[0])
	}
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" || a == "help" }

func groupUsage(w io.Writer, name string, subs []sub) {
	fmt.Fprintf(w, "usage: tally %s SUBCOMMAND [flags]\n\n", name)
	for _, s := range subs {
		fmt.Fprintf(w, "  tally %s %s %s\n      %s\n", name, s.name, s.args, s.help)
	}
	fmt.Fprintf(w, "\nRun `tally %s SUBCOMMAND --help` for its flags.\n", name)
}

func (s sub) usage() string {
	return strings.TrimSpace(fmt.Sprintf("usage: tally %s %s", s.name, s.args))
}

// exec parses the flags (the store settings and the subcommand's own),
// checks the positional arguments, opens the store and runs.
func (s sub) exec(ctx context.Context, groupName string, args []string, stdout, stderr io.Writer) error {
	full := groupName + " " + s.name
	s.name = full
	fs := newFlagSet(full, stderr)
	cfgFn := flags(fs, false)
	if s.flags != nil {
		s.flags(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\n%s\n\nflags:\n", s.usage(), s.help)
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if s.nargs >= 0 && len(pos) != s.nargs {
		return errors.New(s.usage())
	}
	cfg, err := cfgFn()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return s.run(ctx, env{st: st, acc: account.NewService(st, nil), stdout: stdout}, pos)
}

// admin parses a command's flags (the store settings plus extra) and
// opens the store, for the commands that are not groups.
func admin(ctx context.Context, name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (aggregate.Store, []string, error) {
	fs := newFlagSet(name, stderr)
	cfgFn := flags(fs, false)
	if extra != nil {
		extra(fs)
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := cfgFn()
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, cfg)
	return st, pos, err
}
