-- Captures the archive listed without a digest ("-") were stored under one shared digest and taken
-- for one another's duplicates. Key each by its own timestamp and URL (as crawler.archive
-- .capture_digest does), forget the body and readings stored under "-" (it belonged to only one of
-- them), and leave them pending: the next crawl fetches each for itself, the next derive re-links.
DELETE FROM extractions WHERE digest = '-';
DELETE FROM snapshots WHERE digest = '-';
UPDATE captures SET digest = 'NODIGEST:' || timestamp || ':' || url, state = 'pending', reason = NULL,
       attempts = 0, version_id = NULL, redirect_to = NULL
WHERE digest = '-';
