-- Version identity from words (extractor html-3): `versions.text_hash` and `extractions.text_hash`
-- now hold the version key, the SHA-256 of the text's words and punctuation without its layout
-- (list and heading markers, table pipes, line breaks, replacement characters; docs/extraction.md).
-- Existing rows keep their old hashes until `policytrail reextract` reads the snapshots with html-3;
-- captures that change version then are recorded in `reextractions`, never as policy changes.
--
-- `extractions.regions`: JSON runs [[slot, lines], ...] of the text's lines outside the page's main
-- block ("" = inside it); NULL when every line is inside. Derive learns from them which regions of
-- a target's page change on their own (`template_chrome`) and leaves those out of the policy text.
ALTER TABLE extractions ADD COLUMN regions TEXT;
CREATE TABLE template_chrome (
    id INTEGER PRIMARY KEY,
    target_id INTEGER NOT NULL REFERENCES targets(id),
    slot TEXT NOT NULL,                -- the region's path in the page (tag, class and id words)
    pairs INTEGER NOT NULL,            -- pairs of consecutive captures in which it changed alone
    first_from_ts TEXT NOT NULL,       -- the first such pair: its two captures
    first_to_ts TEXT NOT NULL,
    before_text TEXT NOT NULL,         -- what the region said in them
    after_text TEXT NOT NULL,
    UNIQUE (target_id, slot)
);
-- A version's text laid out again with every word the same (a list re-marked as paragraphs,
-- headings re-levelled, lines re-broken, replacement characters come and gone): cosmetic, never
-- a new version. One row per pair of consecutive captures of one version whose texts differ.
CREATE TABLE layout_changes (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    version_id INTEGER NOT NULL REFERENCES versions(id),
    from_capture_id INTEGER NOT NULL REFERENCES captures(id),
    to_capture_id INTEGER NOT NULL REFERENCES captures(id),
    from_ts TEXT NOT NULL,
    to_ts TEXT NOT NULL
);
CREATE INDEX layout_changes_document ON layout_changes(document_id);
CREATE VIEW learnt_chrome AS
SELECT d.company, d.name AS document, t.url, tc.slot, tc.pairs, tc.first_from_ts, tc.first_to_ts,
       tc.before_text, tc.after_text
FROM template_chrome tc
JOIN targets t ON t.id = tc.target_id
JOIN documents d ON d.id = t.document_id;
CREATE VIEW cosmetic_layout_changes AS
SELECT d.company, d.name AS document, lc.version_id, v.text_hash AS version_key, lc.from_ts, lc.to_ts,
       cf.url AS from_url, ct.url AS to_url
FROM layout_changes lc
JOIN documents d ON d.id = lc.document_id
JOIN versions v ON v.id = lc.version_id
JOIN captures cf ON cf.id = lc.from_capture_id
JOIN captures ct ON ct.id = lc.to_capture_id;
