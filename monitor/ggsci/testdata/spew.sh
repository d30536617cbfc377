#!/bin/sh
# spew.sh: a host that answers with garbage and never stops.
exec yes 'EXTRACT     RUNNING     GARBAGE     garbage garbage garbage garbage'
