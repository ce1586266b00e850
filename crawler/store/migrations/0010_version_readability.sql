-- Length and readability of each version (words, sentences, Coleman–Liau grade), computed once per
-- text by derive (crawler/diff/readability.py) and named by what computed them (`readability`).
-- Versions made before this migration keep NULL until the next derive fills them in: it reads
-- the stored texts, never the snapshots again.
ALTER TABLE versions ADD COLUMN words INTEGER;
ALTER TABLE versions ADD COLUMN sentences INTEGER;
ALTER TABLE versions ADD COLUMN reading_grade REAL;
ALTER TABLE versions ADD COLUMN readability TEXT;
CREATE VIEW policy_readability AS
SELECT d.company, d.name AS document, s.position, s.version_id, v.text_hash,
       s.start_ts AS in_force_from, s.next_start_ts AS in_force_to, s.end_ts AS last_seen,
       v.words, v.sentences, v.reading_grade, v.readability
FROM spans s
JOIN documents d ON d.id = s.document_id
JOIN versions v ON v.id = s.version_id;
