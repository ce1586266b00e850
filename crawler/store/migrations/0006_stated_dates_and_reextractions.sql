ALTER TABLE versions ADD COLUMN stated_date TEXT;
ALTER TABLE versions ADD COLUMN stated_date_text TEXT;
CREATE TABLE reextractions (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    from_version_id INTEGER NOT NULL REFERENCES versions(id),
    to_version_id INTEGER REFERENCES versions(id),
    captures INTEGER NOT NULL,
    first_ts TEXT NOT NULL,
    last_ts TEXT NOT NULL,
    extractor TEXT NOT NULL
);
CREATE INDEX reextractions_document ON reextractions(document_id);
DROP VIEW policy_timeline;
CREATE VIEW policy_timeline AS
SELECT d.company, d.name AS document, s.position, s.version_id, v.text_hash,
       s.start_ts AS in_force_from, s.next_start_ts AS in_force_to, s.days AS in_force_days,
       s.end_ts AS last_seen, s.capture_count, c.url AS first_url, v.extractor,
       v.stated_date, v.stated_date_text
FROM spans s
JOIN documents d ON d.id = s.document_id
JOIN versions v ON v.id = s.version_id
JOIN captures c ON c.id = s.first_capture_id;
