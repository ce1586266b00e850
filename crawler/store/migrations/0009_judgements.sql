-- Researchers' judgements (issue 16), stored apart from everything derive makes and keyed by
-- content-derived identities, so that they survive reextract, an extractor upgrade and a re-crawl
-- into a fresh database (plus `policytrail annotate --import`). Derive applies them: a capture
-- judged not the policy gets no version; a change judged false joins the spans around it in the
-- timeline (judged_spans) and stays in `changes`, marked.
CREATE TABLE annotations (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('capture', 'change')),
    company TEXT NOT NULL,
    document TEXT NOT NULL,
    archive TEXT,
    url TEXT,
    timestamp TEXT,
    digest TEXT,
    change_key TEXT,
    from_hash TEXT,
    to_hash TEXT,
    verdict TEXT NOT NULL
        CHECK (verdict IN ('not_policy', 'policy', 'accepted', 'false', 'cosmetic', 'substantive')),
    topics TEXT NOT NULL DEFAULT '[]',
    note TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL,
    at TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'cli',
    CHECK (kind <> 'capture' OR (archive IS NOT NULL AND url IS NOT NULL AND timestamp IS NOT NULL
                                 AND digest IS NOT NULL AND verdict IN ('not_policy', 'policy'))),
    CHECK (kind <> 'change' OR (change_key IS NOT NULL AND from_hash IS NOT NULL AND to_hash IS NOT NULL
                                AND verdict IN ('accepted', 'false', 'cosmetic', 'substantive')))
);
-- one judgement per subject, author and time: importing the same file twice adds nothing
CREATE UNIQUE INDEX annotations_capture_once ON annotations (archive, url, timestamp, digest, author, at)
    WHERE kind = 'capture';
CREATE UNIQUE INDEX annotations_change_once ON annotations (company, document, change_key, author, at)
    WHERE kind = 'change';
-- Skip rules of the rules file ([[skip]]): whether each one matches each body, read once.
CREATE TABLE skip_matches (
    digest TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    matched TEXT,
    PRIMARY KEY (digest, rule_id)
);
-- The judgement in force on each change, as derive applied it.
ALTER TABLE changes ADD COLUMN judgement TEXT;
ALTER TABLE changes ADD COLUMN judged_by TEXT;
ALTER TABLE changes ADD COLUMN judged_at TEXT;
ALTER TABLE changes ADD COLUMN judgement_note TEXT;
ALTER TABLE changes ADD COLUMN judgement_topics TEXT NOT NULL DEFAULT '[]';
ALTER TABLE changes ADD COLUMN review_state TEXT NOT NULL DEFAULT 'unreviewed';
CREATE INDEX changes_key ON changes(document_id, key);
-- The timeline after judgements: spans joined where the change between them was judged false.
CREATE TABLE judged_spans (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    position INTEGER NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    last_version_id INTEGER NOT NULL REFERENCES versions(id),
    first_capture_id INTEGER NOT NULL REFERENCES captures(id),
    last_capture_id INTEGER NOT NULL REFERENCES captures(id),
    start_ts TEXT NOT NULL,
    end_ts TEXT NOT NULL,
    next_start_ts TEXT,
    days REAL,
    capture_count INTEGER NOT NULL,
    spans INTEGER NOT NULL,
    joined_changes TEXT NOT NULL DEFAULT '[]',
    entry_change_key TEXT,
    UNIQUE (document_id, position)
);
INSERT INTO judged_spans (document_id, position, version_id, last_version_id, first_capture_id, last_capture_id,
                          start_ts, end_ts, next_start_ts, days, capture_count, spans, joined_changes,
                          entry_change_key)
SELECT s.document_id, s.position, s.version_id, s.version_id, s.first_capture_id, s.last_capture_id, s.start_ts,
       s.end_ts, s.next_start_ts, s.days, s.capture_count, 1, '[]',
       (SELECT ch.key FROM changes ch WHERE ch.document_id = s.document_id AND ch.position = s.position - 1)
FROM spans s;
DROP VIEW policy_timeline;
CREATE VIEW policy_timeline AS
SELECT d.company, d.name AS document, s.position, s.version_id, v.text_hash,
       s.start_ts AS in_force_from, s.next_start_ts AS in_force_to, s.days AS in_force_days,
       s.end_ts AS last_seen, s.capture_count, c.url AS first_url, v.extractor,
       v.stated_date, v.stated_date_text,
       s.last_version_id, s.joined_changes, s.entry_change_key, ec.review_state AS entry_review_state
FROM judged_spans s
JOIN documents d ON d.id = s.document_id
JOIN versions v ON v.id = s.version_id
JOIN captures c ON c.id = s.first_capture_id
LEFT JOIN changes ec ON ec.document_id = s.document_id AND ec.key = s.entry_change_key;
DROP VIEW clause_change_details;
DROP VIEW policy_changes;
CREATE VIEW policy_changes AS
SELECT ch.id AS change_id, d.company, d.name AS document, ch.position, ch.window_start, ch.window_end,
       ch.from_version_id, ch.to_version_id, ch.added, ch.removed, ch.modified, ch.moved, ch.split, ch.merged,
       ch.substantive, ch.cosmetic, ch.tags, ch.fallback, ch.key AS change_key,
       ch.review_state, ch.judgement, ch.judged_by, ch.judged_at, ch.judgement_note, ch.judgement_topics,
       CASE WHEN ch.judgement IN ('false', 'cosmetic', 'substantive') THEN ch.judgement
            WHEN ch.substantive > 0 THEN 'substantive' ELSE 'cosmetic' END AS significance,
       coalesce(ch.judgement, '') <> 'false' AS in_timeline
FROM changes ch JOIN documents d ON d.id = ch.document_id;
CREATE VIEW clause_change_details AS
SELECT cc.id AS clause_change_id, pc.company, pc.document, pc.window_start, pc.window_end, cc.kind,
       cc.significance, cc.tags, cc.section, cc.old_text, cc.new_text, cc.word_diff,
       pc.change_key, pc.review_state, pc.judgement, pc.significance AS change_significance
FROM clause_changes cc JOIN policy_changes pc ON pc.change_id = cc.change_id;
