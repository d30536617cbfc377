// Command syncmon watches Oracle GoldenGate deployments and pushes every
// failure to every open screen the moment it is known: shown, spoken, and
// repeated until an admin acknowledges it.
//
//	syncmon                          serve with defaults: :8080, ./syncmon.db, a simulator target
//	syncmon serve --config FILE
//	syncmon check --config FILE --once [--json]
//	syncmon config check FILE
//	syncmon user add NAME --role admin|viewer [--config FILE]
//	syncmon version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	var ee exitError
	switch {
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case err != nil:
		fmt.Fprintln(os.Stderr, "syncmon:", err)
		os.Exit(1)
	}
}

// exitError ends the program with a given status (check's Nagios codes).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

const usage = `usage:
  syncmon                                        serve on :8080 with ./syncmon.db and a simulator target
  syncmon serve [--config FILE] [--listen ADDR] [--database FILE]
  syncmon check [--config FILE] --once [--json]  run every check once; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
  syncmon config check FILE                      validate a config file
  syncmon user add|passwd|remove NAME [--role admin|viewer] [--config FILE]
  syncmon user list [--config FILE]
  syncmon version                                print the version, commit, build date and Go version
`

// run is the whole program, with its dependencies passed in (tests call it).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return serve(ctx, nil, getenv, stdout, stderr)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "check":
		return check(ctx, args[1:], getenv, stdout, stderr)
	case "config":
		if len(args) != 3 || args[1] != "check" {
			fmt.Fprint(stderr, usage)
			return exitError{2}
		}
		return configCheck(args[2], getenv, stdout, stderr)
	case "user":
		return userCommand(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "version", "--version":
		return versionCommand(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "unknown command %q\n%s", args[0], usage)
	return exitError{2}
}
