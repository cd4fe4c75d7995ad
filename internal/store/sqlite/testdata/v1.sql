-- Schema version 1, as the first Herald with a store created it. Kept
-- verbatim: TestMigrateV1 builds a database from it and opens it.
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE records (
	key    TEXT PRIMARY KEY,
	state  TEXT NOT NULL,
	status TEXT NOT NULL
);
CREATE TABLE articles (
	source     TEXT NOT NULL,
	id         TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	first_seen INTEGER NOT NULL,
	published  INTEGER NOT NULL,
	updated    INTEGER NOT NULL,
	hash       TEXT NOT NULL,
	data       TEXT NOT NULL,
	PRIMARY KEY (source, id)
);
INSERT INTO schema_version (version) VALUES (1);
