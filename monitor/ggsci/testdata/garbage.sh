#!/bin/sh
# garbage.sh: answers with something that is not GGSCI output, and exits 0.
printf '\000\377\376<html><body>502 Bad Gateway</body></html>\nEXTRACT RUNNING\nrandom noise 00:00:00\n'
