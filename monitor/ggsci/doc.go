// Package ggsci reads a classic-architecture deployment by running GGSCI (or
// the Microservices Admin Client) and parsing what it prints.
//
// The parsers are pure: bytes in, typed values out, no exec and no clock.
// There is one file per command (infoall.go, lag.go, status.go, detail.go,
// mgr.go, stats.go, showtrans.go, showch.go, activity.go, heartbeat_sql.go);
// reply.go walks a session's output for all of them.
//
// The I/O is thin: collector.go runs INFO ALL alone (stdin written at
// once); session.go drives one GGSCI process reply by reply, and
// observe.go uses it for a check's whole session (INFO ALL, then the
// deeper commands per running group; connect.go logs the Admin Client in
// first); heartbeat.go runs heartbeat_command. They
// accept what real sessions look like (see ogg-facts.md §1, §7 in the
// project's research notes): a banner or none, prompts with or without a
// newline after them, the command echo or none, blank lines or none, CRLF,
// rows padded to 62 columns or trimmed.
//
// Errors, for every parser:
//   - output it cannot read (empty, garbage, truncated mid-row, the wrong
//     command's output) is a *monitor.ParseError;
//   - an error GGSCI itself printed ("ERROR: …", an ERROR-severity OGG-nnnnn
//     message, or the loader's "error while loading shared libraries") is an
//     *Error, unless the parser can pin it on one group (ParseLag,
//     ParseSendStatus report "REPLICAT REP9 not currently running." as that
//     group's Error);
//   - both match monitor.ErrUnreadable with errors.Is, never
//     monitor.ErrUnreachable: whether GGSCI could be run at all is the
//     collector's business.
//
// No parser returns an empty result without an error.
package ggsci
