-- SPDX-License-Identifier: BSD-2-Clause
-- rdd: registration database schema (documentation copy of rdd_schema.c; a unit test keeps them equal).
-- Version 1. PRAGMA user_version is set by the program after the steps ran.

-- One row per registration (RFC 9176 section 5). AUTOINCREMENT: an id is
-- never reused, so a stale /reg/<id> can never reach someone else's entry.
CREATE TABLE reg (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	ep TEXT NOT NULL,
	d TEXT NOT NULL DEFAULT '',
	base TEXT NOT NULL,
	base_explicit INTEGER NOT NULL DEFAULT 0,
	lt INTEGER NOT NULL,
	et TEXT,
	attrs TEXT NOT NULL DEFAULT '',
	expires_ms INTEGER NOT NULL,
	links TEXT NOT NULL
);
CREATE UNIQUE INDEX reg_ep_d ON reg (ep, d);
CREATE INDEX reg_expires ON reg (expires_ms);

-- The lookup index: one row per attribute value, n = -1 for registration
-- attributes (ep, d, base, lt, et, extra ones), else the link's position,
-- with href and anchor resolved to absolute URIs and list attributes also
-- split into tokens. The primary key is the index (no second copy): a
-- filter is a probe or range on (name, value) that yields (reg_id, n) in
-- order. Rows are deleted by regenerating them from the reg row.
CREATE TABLE attr (
	name TEXT NOT NULL,
	value TEXT NOT NULL,
	reg_id INTEGER NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (name, value, reg_id, n)
) WITHOUT ROWID;
