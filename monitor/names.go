package monitor

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanName is what every source parser does to a program or group name it
// read from a target before handing it on. A name is an identifier to OGG
// (EXT1, REP_EAST), but a parser reads bytes, and those bytes end up in
// pages, speech, logs and the engine's memory. So CleanName replaces with
// U+FFFD:
//   - each byte that is not valid UTF-8. The store keeps the engine's memory
//     as JSON, which would rewrite such bytes itself; a raw name would then
//     differ from its stored twin on the next check and read as a group that
//     disappeared while a new one appeared;
//   - control characters and format characters (Unicode Cf), among them
//     the bidirectional overrides and isolates (U+202A–U+202E,
//     U+2066–U+2069) that make a page show a name other than the one there,
//     and zero-width characters that make two names look alike.
//
// It is deterministic: the same raw name gives the same name every check.
// Names that need nothing (the usual case) are returned as they are.
func CleanName(s string) string {
	if cleanASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

// cleanASCII reports whether s is printable ASCII only.
func cleanASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
