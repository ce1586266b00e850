CREATE TABLE clauses (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    tags TEXT
);
CREATE TABLE version_clauses (
    version_id INTEGER NOT NULL REFERENCES versions(id),
    position INTEGER NOT NULL,
    clause_id INTEGER NOT NULL REFERENCES clauses(id),
    kind TEXT NOT NULL,
    section TEXT NOT NULL,
    sep TEXT NOT NULL,
    lineage TEXT,
    segmenter TEXT NOT NULL,
    PRIMARY KEY (version_id, position)
);
CREATE INDEX version_clauses_clause ON version_clauses(clause_id, version_id);
CREATE INDEX version_clauses_lineage ON version_clauses(lineage);
CREATE TABLE changes (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    position INTEGER NOT NULL,
    from_version_id INTEGER NOT NULL REFERENCES versions(id),
    to_version_id INTEGER NOT NULL REFERENCES versions(id),
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    window_start_capture_id INTEGER NOT NULL REFERENCES captures(id),
    window_end_capture_id INTEGER NOT NULL REFERENCES captures(id),
    added INTEGER NOT NULL, removed INTEGER NOT NULL, modified INTEGER NOT NULL,
    moved INTEGER NOT NULL, split INTEGER NOT NULL, merged INTEGER NOT NULL,
    substantive INTEGER NOT NULL, cosmetic INTEGER NOT NULL,
    tags TEXT NOT NULL,
    fallback TEXT,
    differ TEXT NOT NULL,
    UNIQUE (document_id, position)
);
CREATE TABLE clause_changes (
    id INTEGER PRIMARY KEY,
    change_id INTEGER NOT NULL REFERENCES changes(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('added', 'removed', 'modified', 'moved', 'split', 'merged')),
    old_positions TEXT NOT NULL,
    new_positions TEXT NOT NULL,
    old_text TEXT NOT NULL,
    new_text TEXT NOT NULL,
    section TEXT NOT NULL,
    word_diff TEXT NOT NULL,
    significance TEXT NOT NULL CHECK (significance IN ('cosmetic', 'substantive')),
    tags TEXT NOT NULL,
    UNIQUE (change_id, position)
);
CREATE INDEX clause_changes_change ON clause_changes(change_id);;
