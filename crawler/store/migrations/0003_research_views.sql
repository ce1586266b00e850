CREATE VIEW policy_timeline AS
SELECT d.company, d.name AS document, s.position, s.version_id, v.text_hash,
       s.start_ts AS in_force_from, s.next_start_ts AS in_force_to, s.days AS in_force_days,
       s.end_ts AS last_seen, s.capture_count, c.url AS first_url, v.extractor
FROM spans s
JOIN documents d ON d.id = s.document_id
JOIN versions v ON v.id = s.version_id
JOIN captures c ON c.id = s.first_capture_id;
CREATE VIEW policy_changes AS
SELECT ch.id AS change_id, d.company, d.name AS document, ch.position, ch.window_start, ch.window_end,
       ch.from_version_id, ch.to_version_id, ch.added, ch.removed, ch.modified, ch.moved, ch.split, ch.merged,
       ch.substantive, ch.cosmetic, ch.tags, ch.fallback
FROM changes ch JOIN documents d ON d.id = ch.document_id;
CREATE VIEW clause_change_details AS
SELECT cc.id AS clause_change_id, pc.company, pc.document, pc.window_start, pc.window_end, cc.kind,
       cc.significance, cc.tags, cc.section, cc.old_text, cc.new_text, cc.word_diff
FROM clause_changes cc JOIN policy_changes pc ON pc.change_id = cc.change_id;
CREATE VIEW clause_history AS
SELECT vc.lineage, d.company, d.name AS document, s.version_id, s.start_ts AS in_force_from,
       s.next_start_ts AS in_force_to, vc.position, vc.section, cl.text, cl.tags, cl.id AS clause_id
FROM version_clauses vc
JOIN clauses cl ON cl.id = vc.clause_id
JOIN spans s ON s.version_id = vc.version_id
JOIN documents d ON d.id = s.document_id;
CREATE VIEW capture_log AS
SELECT d.company, d.name AS document, c.url, c.timestamp, c.statuscode, c.mimetype, c.state, c.reason,
       c.digest, c.version_id, c.archive
FROM captures c JOIN targets t ON t.id = c.target_id JOIN documents d ON d.id = t.document_id;
