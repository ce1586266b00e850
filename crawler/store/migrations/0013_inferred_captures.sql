-- Change-point crawling (--strategy changes) leaves most captures unfetched: a capture between two
-- fetched captures of the same version is `inferred` (its version_id is theirs: not read, deduced),
-- one between captures that differ stays `pending` (unresolved). SQLite cannot change a CHECK in
-- place: the table is rebuilt with the same columns, rows, ids and indexes.
--
-- `changes.window_unread`: how many captures that may hold the policy lie unread between a change's
-- two window captures; 0 = the window is exact (adjacent captures, non-policy ones skipped over).
PRAGMA legacy_alter_table = ON;
CREATE TABLE captures_0012 (
    id INTEGER PRIMARY KEY,
    target_id INTEGER NOT NULL REFERENCES targets(id),
    archive TEXT NOT NULL,
    url TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    statuscode TEXT,
    mimetype TEXT,
    digest TEXT NOT NULL,
    length INTEGER,
    source TEXT NOT NULL DEFAULT 'cdx',
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'fetched', 'duplicate', 'skipped', 'failed', 'inferred')),
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    redirect_to TEXT,
    version_id INTEGER REFERENCES versions(id),
    listed_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (archive, url, timestamp, digest)
);
INSERT INTO captures_0012 (id, target_id, archive, url, timestamp, statuscode, mimetype, digest, length, source,
                           state, reason, attempts, redirect_to, version_id, listed_at, updated_at)
SELECT id, target_id, archive, url, timestamp, statuscode, mimetype, digest, length, source,
       state, reason, attempts, redirect_to, version_id, listed_at, updated_at FROM captures;
DROP TABLE captures;
ALTER TABLE captures_0012 RENAME TO captures;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX captures_digest ON captures(digest);
CREATE INDEX captures_target_ts ON captures(target_id, timestamp);
CREATE INDEX captures_version ON captures(version_id);
ALTER TABLE changes ADD COLUMN window_unread INTEGER NOT NULL DEFAULT 0;
