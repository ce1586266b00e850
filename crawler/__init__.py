"""policytrail: how company privacy policies changed, reconstructed from web archives."""

from pathlib import Path

__version__ = "0.1.0"

# The checkout the package runs from (sample data, docs, the pywb virtualenv live here).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
