-- Changes get a stable key (the two texts' hashes and the pair's occurrence) and keep how each
-- new clause was made (for lineage); clauses remember which taxonomy tagged them, so that an
-- edited taxonomy re-tags them. The differ column now names differ, segmenter and taxonomy.
ALTER TABLE changes ADD COLUMN key TEXT;
ALTER TABLE changes ADD COLUMN sources TEXT;
ALTER TABLE clauses ADD COLUMN tagger TEXT;
CREATE INDEX changes_versions ON changes(from_version_id, to_version_id);
DROP VIEW clause_change_details;
DROP VIEW policy_changes;
CREATE VIEW policy_changes AS
SELECT ch.id AS change_id, d.company, d.name AS document, ch.position, ch.window_start, ch.window_end,
       ch.from_version_id, ch.to_version_id, ch.added, ch.removed, ch.modified, ch.moved, ch.split, ch.merged,
       ch.substantive, ch.cosmetic, ch.tags, ch.fallback, ch.key AS change_key
FROM changes ch JOIN documents d ON d.id = ch.document_id;
CREATE VIEW clause_change_details AS
SELECT cc.id AS clause_change_id, pc.company, pc.document, pc.window_start, pc.window_end, cc.kind,
       cc.significance, cc.tags, cc.section, cc.old_text, cc.new_text, cc.word_diff
FROM clause_changes cc JOIN policy_changes pc ON pc.change_id = cc.change_id;
