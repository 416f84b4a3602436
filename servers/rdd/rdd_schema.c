/* SPDX-License-Identifier: BSD-2-Clause */
/* rdd: the compiled-in schema migrations of the registration database. */
#include "config.h"

#include <stddef.h>

#include "ti_store.h"
#include "rdd_db.h"

/*
 * The SQL is compiled in so that the daemon never depends on an installed
 * file to start. db/rdd.sql is the readable copy (installed for operators
 * and reviewers); check_rdd_db compares it with the concatenation of these
 * steps, so the two cannot drift. A later step N appends its SQL there too.
 */
static const char rdd_schema_1[] =
    "-- SPDX-License-Identifier: BSD-2-Clause\n"
    "-- rdd: registration database schema (documentation copy of rdd_schema.c; a unit test keeps "
    "them equal).\n"
    "-- Version 1. PRAGMA user_version is set by the program after the steps ran.\n"
    "\n"
    "-- One row per registration (RFC 9176 section 5). AUTOINCREMENT: an id is\n"
    "-- never reused, so a stale /reg/<id> can never reach someone else's entry.\n"
    "CREATE TABLE reg (\n"
    "\tid INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "\tep TEXT NOT NULL,\n"
    "\td TEXT NOT NULL DEFAULT '',\n"
    "\tbase TEXT NOT NULL,\n"
    "\tbase_explicit INTEGER NOT NULL DEFAULT 0,\n"
    "\tlt INTEGER NOT NULL,\n"
    "\tet TEXT,\n"
    "\tattrs TEXT NOT NULL DEFAULT '',\n"
    "\texpires_ms INTEGER NOT NULL,\n"
    "\tlinks TEXT NOT NULL\n"
    ");\n"
    "CREATE UNIQUE INDEX reg_ep_d ON reg (ep, d);\n"
    "CREATE INDEX reg_expires ON reg (expires_ms);\n"
    "\n"
    "-- The lookup index: one row per attribute value, n = -1 for registration\n"
    "-- attributes (ep, d, base, lt, et, extra ones), else the link's position,\n"
    "-- with href and anchor resolved to absolute URIs and list attributes also\n"
    "-- split into tokens. The primary key is the index (no second copy): a\n"
    "-- filter is a probe or range on (name, value) that yields (reg_id, n) in\n"
    "-- order. Rows are deleted by regenerating them from the reg row.\n"
    "CREATE TABLE attr (\n"
    "\tname TEXT NOT NULL,\n"
    "\tvalue TEXT NOT NULL,\n"
    "\treg_id INTEGER NOT NULL,\n"
    "\tn INTEGER NOT NULL,\n"
    "\tPRIMARY KEY (name, value, reg_id, n)\n"
    ") WITHOUT ROWID;\n";

const struct ti_store_migration rdd_migrations[] = {
	{ 1, rdd_schema_1 },
};

const size_t rdd_n_migrations = sizeof(rdd_migrations) / sizeof(rdd_migrations[0]);
