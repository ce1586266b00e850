"""policytrail: how company privacy policies changed, reconstructed from web archives."""

__version__ = "0.1.0"
