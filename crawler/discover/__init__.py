"""From a company's domain to its privacy policy URLs over the years (``policytrail discover``).

Pure: the evidence (the archive's index, the homepage's links) is asked for as ``Ask``s and read from
``Answer``s; whoever runs the conversation makes the requests (crawler/crawl/discovering.py, under the crawl's
rate limits). Nothing here touches the database.
"""

from crawler.discover.plan import (
    Answer,
    Ask,
    DomainResult,
    Row,
    Sample,
    check_domain,
    discover_domain,
    estimate,
)

__all__ = [
    "Answer",
    "Ask",
    "DomainResult",
    "Row",
    "Sample",
    "check_domain",
    "discover_domain",
    "estimate",
]
