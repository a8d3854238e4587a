#!/bin/sh
# cfgdump.sh DIR - DIR/config.db as SQL, for before/after comparisons,
# without what every shell session writes whatever it runs: the sessions
# and logins rows and the id sequences (sqlite_sequence) that number
# them. A refused command must leave all the rest byte for byte.
sqlite3 "$1/config.db" .dump | grep -v -e '^INSERT INTO sqlite_sequence' \
	-e '^INSERT INTO "\{0,1\}sessions"\{0,1\} ' -e '^INSERT INTO "\{0,1\}logins"\{0,1\} '
