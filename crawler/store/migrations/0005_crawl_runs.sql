CREATE TABLE crawl_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    archive TEXT NOT NULL,
    arguments TEXT NOT NULL,
    figures TEXT
);
