"""Desktop SIP softphone for business users of a hosted PBX."""

__version__ = "0.1.0"
