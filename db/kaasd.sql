-- SPDX-License-Identifier: BSD-2-Clause
-- kaasd: subscription database schema (documentation copy of kaasd_schema.c; a unit test keeps them equal).
-- Version 1. PRAGMA user_version is set by the program after the steps ran.

-- One row per subscription, keyed by its endpoint name. kaasd holds every
-- subscription in memory and reads this table only when it starts; it writes
-- a row when a device subscribes, when discovery ends and when it goes away.
-- AUTOINCREMENT: an id is never reused, so a stale /kaas/<id> (or a relay
-- still in flight) can never reach another device.
-- Addresses are the raw bytes in network order: 4 for IPv4 (family 4, which
-- includes IPv4-mapped IPv6 peers), 16 for IPv6 (family 6); the IPv6 scope
-- id of a link-local address is not stored. local_addr is kaasd's address
-- the device sent to, 4 or 16 bytes as well. 0 in interval, ttl_hint,
-- recv_ttl, ka_ttl and nat_hops means "none" or "not known yet". Integers
-- take 0 to 4 bytes each: with 9-byte endpoint names, 1M IPv4 subscriptions
-- fill 58 bytes a row in this table and 20 in the index of ep (77 MB).
CREATE TABLE subscription (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	ep TEXT NOT NULL UNIQUE,
	family INTEGER NOT NULL,
	addr BLOB NOT NULL,
	port INTEGER NOT NULL,
	local_addr BLOB NOT NULL,
	local_port INTEGER NOT NULL,
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	interval INTEGER NOT NULL,
	ttl_hint INTEGER NOT NULL,
	recv_ttl INTEGER NOT NULL,
	ka_ttl INTEGER NOT NULL,
	nat_hops INTEGER NOT NULL,
	CHECK (typeof(ep) = 'text' AND length(ep) BETWEEN 1 AND 63),
	CHECK (family IN (4, 6)),
	CHECK (typeof(addr) = 'blob' AND length(addr) = CASE family WHEN 4 THEN 4 ELSE 16 END),
	CHECK (port BETWEEN 0 AND 65535),
	CHECK (typeof(local_addr) = 'blob' AND length(local_addr) IN (4, 16)),
	CHECK (local_port BETWEEN 1 AND 65535),
	CHECK (created >= 0 AND expires >= 0),
	CHECK (interval BETWEEN 0 AND 4294967295),
	CHECK (ttl_hint BETWEEN 0 AND 255 AND recv_ttl BETWEEN 0 AND 255),
	CHECK (ka_ttl BETWEEN 0 AND 255 AND nat_hops BETWEEN 0 AND 255)
);
