#!/bin/sh
# no_prompt.sh FIXTURE: a GGSCI behind a wrapper that buffers its output:
# nothing is printed until stdin closes, then the INFO ALL fixture.
cat >/dev/null
cat "$1"
