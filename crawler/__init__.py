"""policytrail: how company privacy policies changed, reconstructed from web archives."""

from pathlib import Path

__version__ = "0.1.0"

# Where the package's own data lives (sample archive, templates, taxonomy, schema docs):
# inside the package, so that a wheel installed with pip or pipx works without a checkout.
PACKAGE_DIR = Path(__file__).resolve().parent

# The checkout the package runs from, or None when it runs from an installed wheel.
_root = PACKAGE_DIR.parent
CHECKOUT: Path | None = _root if (_root / "pyproject.toml").is_file() and (_root / "spiders").is_dir() else None


def package_data(*parts: str) -> Path:
    """A file or folder shipped inside the package; a clear error, not a traceback, when it is missing."""
    path = PACKAGE_DIR.joinpath(*parts)
    if not path.exists():
        from crawler.errors import PolicytrailError

        raise PolicytrailError(f"{path} is missing: this installation lacks its package data; reinstall policytrail")
    return path
