-- Sign-in locks lifted from the host (`syncmon user unlock NAME`): a running
-- server compares the generation with the one it saw and forgets that
-- account's counted failures when it has grown. Names are kept lower-case.
CREATE TABLE signin_unlocks (
  name       TEXT PRIMARY KEY,
  generation INTEGER NOT NULL
);
-- Keys the server derives tokens with (the CSRF token of a session), kept
-- so that open pages' forms still work after a restart.
CREATE TABLE server_keys (
  name TEXT PRIMARY KEY,
  key  BLOB NOT NULL
);
