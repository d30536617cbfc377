#!/bin/sh
# loader_error.sh: GGSCI that cannot start (LD_LIBRARY_PATH without
# ORACLE_HOME/lib): the loader's message on stderr, exit status 127.
cat "$(dirname "$0")/ggsci_shared_library_error_COMPOSED.txt" >&2
exit 127
