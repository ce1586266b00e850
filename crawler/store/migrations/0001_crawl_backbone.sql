CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    company TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (company, name)
);
CREATE TABLE targets (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    company TEXT NOT NULL,
    url TEXT NOT NULL UNIQUE,
    added_at TEXT NOT NULL
);
CREATE INDEX targets_document ON targets(document_id);
CREATE TABLE captures (
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
        CHECK (state IN ('pending', 'fetched', 'duplicate', 'skipped', 'failed')),
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    redirect_to TEXT,
    version_id INTEGER REFERENCES versions(id),
    listed_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (archive, url, timestamp, digest)
);
CREATE INDEX captures_digest ON captures(digest);
CREATE INDEX captures_target_ts ON captures(target_id, timestamp);
CREATE INDEX captures_version ON captures(version_id);
CREATE TABLE snapshots (
    digest TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    body BLOB NOT NULL,
    codec TEXT NOT NULL,
    length INTEGER NOT NULL,
    status INTEGER,
    mimetype TEXT,
    headers TEXT NOT NULL,
    digest_ok INTEGER,
    fetched_url TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
CREATE TABLE extractions (
    digest TEXT NOT NULL REFERENCES snapshots(digest),
    extractor TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT,
    title TEXT,
    text_hash TEXT,
    text TEXT,
    PRIMARY KEY (digest, extractor)
);
CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    target_id INTEGER NOT NULL REFERENCES targets(id),
    text_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    capture_count INTEGER NOT NULL DEFAULT 0,
    extractor TEXT NOT NULL,
    UNIQUE (document_id, text_hash)
);
CREATE TABLE spans (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    position INTEGER NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    first_capture_id INTEGER NOT NULL REFERENCES captures(id),
    last_capture_id INTEGER NOT NULL REFERENCES captures(id),
    start_ts TEXT NOT NULL,
    end_ts TEXT NOT NULL,
    next_start_ts TEXT,
    days REAL,
    capture_count INTEGER NOT NULL,
    UNIQUE (document_id, position)
);
CREATE INDEX spans_version ON spans(version_id, document_id, start_ts, next_start_ts);;
