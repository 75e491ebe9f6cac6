-- Fixture: loaded from this test assembly's embedded resources.
CREATE TABLE ledger (id integer PRIMARY KEY, note text NOT NULL);
