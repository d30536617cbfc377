package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/store"
)

const userUsage = `usage:
  syncmon user add NAME --role admin|viewer [--config FILE] [--database FILE]   password on stdin
  syncmon user passwd NAME [--config FILE] [--database FILE]                    password on stdin; signs NAME out everywhere
  syncmon user list [--config FILE] [--database FILE]
  syncmon user remove NAME [--config FILE] [--database FILE]
  syncmon user unlock NAME [--config FILE] [--database FILE]                    lift NAME's sign-in locks (from every address)
The database is the config's (default ./syncmon.db). A password is the first
line of stdin, e.g.: echo "$PASSWORD" | syncmon user add alice --role viewer
`

// userCommand manages accounts in the database directly; a running server
// sees the change on the next request (sessions and cached credentials are
// checked against the database).
func userCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, userUsage)
		return exitError{2}
	}
	sub := args[0]
	fl := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, userUsage) }
	cfgPath := fl.String("config", "", "config file (YAML); its database is used")
	database := fl.String("database", "", "SQLite file, overriding the config's")
	role := fl.String("role", "", "admin or viewer (user add)")
	// NAME may come before or after the flags.
	rest, name := args[1:], ""
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		name, rest = rest[0], rest[1:]
	}
	if err := fl.Parse(rest); err != nil {
		return exitError{2}
	}
	extra := fl.Args()
	if name == "" && len(extra) > 0 {
		name, extra = extra[0], extra[1:]
	}
	needsName := sub != "list"
	switch {
	case sub != "add" && sub != "passwd" && sub != "list" && sub != "remove" && sub != "unlock":
		fmt.Fprintf(stderr, "unknown user command %q\n%s", sub, userUsage)
		return exitError{2}
	case len(extra) > 0 || (needsName && name == "") || (!needsName && name != ""):
		fmt.Fprint(stderr, userUsage)
		return exitError{2}
	case sub == "add" && *role != store.RoleAdmin && *role != store.RoleViewer:
		fmt.Fprintln(stderr, "user add: --role admin or --role viewer is required")
		return exitError{2}
	case sub != "add" && *role != "":
		fmt.Fprintf(stderr, "user %s: --role applies to user add only\n", sub)
		return exitError{2}
	}

	// Only the database is read from the config: secrets it names by
	// environment variable need not be set to manage accounts.
	cfg, err := loadConfig(*cfgPath, config.LenientEnv(getenv, nil))
	if err != nil {
		return err
	}
	if *database != "" {
		cfg.Database = *database
	}
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer st.Close()
	by := store.Actor{Name: "cli"}
	if u := getenv("USER"); u != "" {
		by.Name = "cli:" + u
	}

	switch sub {
	case "add":
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		u, err := st.CreateUser(ctx, by, store.NewUser{Name: name, Role: *role, Password: pw})
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("user %s exists (change its password with `syncmon user passwd %s`)", name, name)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s (%s) to %s\n", u.Name, u.Role, cfg.Database)
	case "passwd":
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		if err := st.SetPassword(ctx, by, name, pw, 0); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "changed the password of %s; its sessions are ended\n", name)
	case "remove":
		u, err := st.RemoveUser(ctx, by, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %s (%s)\n", u.Name, u.Role)
	case "unlock":
		// The running server reads the unlock from the database on NAME's
		// next sign-in attempt: no signal, no restart.
		if err := st.UnlockSignIn(ctx, by, name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "lifted the sign-in locks of %s; a running server applies it on the next attempt\n", name)
	case "list":
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tSESSIONS")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", u.Name, u.Role, u.CreatedAt.UTC().Format("2006-01-02 15:04Z"), u.Sessions)
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("user list: %w", err)
		}
	}
	return nil
}

// readPassword reads the first line of stdin. On a terminal it prompts
// first (the input is echoed: pipe the password in where that matters).
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(stderr, "password: ")
		}
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on stdin: pipe it in, e.g. printf '%s\\n' \"$PASSWORD\" | syncmon user …")
	}
	if err := store.CheckPassword(pw); err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return pw, nil
}
