-- Clause lineage across merges (issue 15): a clause made by merging several older clauses keeps
-- the lineage of the first and lists every merged lineage in `merged_from` (JSON), carried
-- forward with the clause; NULL for a clause that no merge made. A split needs no column: both
-- parts carry the lineage of the clause they were split from. `clause_history` shows it.
ALTER TABLE version_clauses ADD COLUMN merged_from TEXT;
DROP VIEW clause_history;
CREATE VIEW clause_history AS
SELECT vc.lineage, d.company, d.name AS document, s.version_id, s.start_ts AS in_force_from,
       s.next_start_ts AS in_force_to, vc.position, vc.section, cl.text, cl.tags, cl.id AS clause_id,
       vc.merged_from
FROM version_clauses vc
JOIN clauses cl ON cl.id = vc.clause_id
JOIN spans s ON s.version_id = vc.version_id
JOIN documents d ON d.id = s.document_id;
