/* SPDX-License-Identifier: BSD-2-Clause */
/* kaasd: the compiled-in schema migrations of the subscription database. */
#include "config.h"

#include <stddef.h>

#include "ti_store.h"
#include "kaasd_db.h"

/* Not in kaasd_db.h (yet): kaasd_db.c and check_kaasd_db.c declare them too. */

/*
 * The SQL is compiled in so that the daemon never depends on an installed
 * file to start. db/kaasd.sql is the readable copy (installed for operators
 * and reviewers); check_kaasd_db compares it with the concatenation of these
 * steps, so the two cannot drift. A later step N appends its SQL there too.
 */
static const char kaasd_schema_1[] =
    "-- SPDX-License-Identifier: BSD-2-Clause\n"
    "-- kaasd: subscription database schema (documentation copy of kaasd_schema.c; a unit test "
    "keeps them equal).\n"
    "-- Version 1. PRAGMA user_version is set by the program after the steps ran.\n"
    "\n"
    "-- One row per subscription, keyed by its endpoint name. kaasd holds every\n"
    "-- subscription in memory and reads this table only when it starts; it writes\n"
    "-- a row when a device subscribes, when discovery ends and when it goes away.\n"
    "-- AUTOINCREMENT: an id is never reused, so a stale /kaas/<id> (or a relay\n"
    "-- still in flight) can never reach another device.\n"
    "-- Addresses are the raw bytes in network order: 4 for IPv4 (family 4, which\n"
    "-- includes IPv4-mapped IPv6 peers), 16 for IPv6 (family 6); the IPv6 scope\n"
    "-- id of a link-local address is not stored. local_addr is kaasd's address\n"
    "-- the device sent to, 4 or 16 bytes as well. 0 in interval, ttl_hint,\n"
    "-- recv_ttl, ka_ttl and nat_hops means \"none\" or \"not known yet\". Integers\n"
    "-- take 0 to 4 bytes each: with 9-byte endpoint names, 1M IPv4 subscriptions\n"
    "-- fill 58 bytes a row in this table and 20 in the index of ep (77 MB).\n"
    "CREATE TABLE subscription (\n"
    "\tid INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "\tep TEXT NOT NULL UNIQUE,\n"
    "\tfamily INTEGER NOT NULL,\n"
    "\taddr BLOB NOT NULL,\n"
    "\tport INTEGER NOT NULL,\n"
    "\tlocal_addr BLOB NOT NULL,\n"
    "\tlocal_port INTEGER NOT NULL,\n"
    "\tcreated INTEGER NOT NULL,\n"
    "\texpires INTEGER NOT NULL,\n"
    "\tinterval INTEGER NOT NULL,\n"
    "\tttl_hint INTEGER NOT NULL,\n"
    "\trecv_ttl INTEGER NOT NULL,\n"
    "\tka_ttl INTEGER NOT NULL,\n"
    "\tnat_hops INTEGER NOT NULL,\n"
    "\tCHECK (typeof(ep) = 'text' AND length(ep) BETWEEN 1 AND 63),\n"
    "\tCHECK (family IN (4, 6)),\n"
    "\tCHECK (typeof(addr) = 'blob' AND length(addr) = CASE family WHEN 4 THEN 4 ELSE 16 END),\n"
    "\tCHECK (port BETWEEN 0 AND 65535),\n"
    "\tCHECK (typeof(local_addr) = 'blob' AND length(local_addr) IN (4, 16)),\n"
    "\tCHECK (local_port BETWEEN 1 AND 65535),\n"
    "\tCHECK (created >= 0 AND expires >= 0),\n"
    "\tCHECK (interval BETWEEN 0 AND 4294967295),\n"
    "\tCHECK (ttl_hint BETWEEN 0 AND 255 AND recv_ttl BETWEEN 0 AND 255),\n"
    "\tCHECK (ka_ttl BETWEEN 0 AND 255 AND nat_hops BETWEEN 0 AND 255)\n"
    ");\n";

const struct ti_store_migration kaasd_migrations[] = {
	{ 1, kaasd_schema_1 },
};

const size_t kaasd_n_migrations = sizeof(kaasd_migrations) / sizeof(kaasd_migrations[0]);
