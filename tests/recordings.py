"""Read the real recorded Wayback Machine exchanges in tests/fixtures/ia-recordings (VCR.py YAML)."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import yaml

RECORDINGS = Path(__file__).parent / "fixtures" / "ia-recordings"


@dataclass
class Exchange:
    uri: str
    status: int
    headers: dict[str, list[str]]
    body: bytes


def load(name: str) -> list[Exchange]:
    data = yaml.safe_load((RECORDINGS / f"{name}.yaml").read_text())
    out = []
    for it in data["interactions"]:
        resp = it["response"]
        body = resp["body"].get("string", b"")
        headers = {k: v for k, v in resp["headers"].items()}
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif any(k.lower() == "content-encoding" and "gzip" in v[0] for k, v in headers.items()):
            body = gzip.decompress(body)
        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-encoding", "transfer-encoding")}
        out.append(Exchange(it["request"]["uri"], resp["status"]["code"], headers, body))
    return out
