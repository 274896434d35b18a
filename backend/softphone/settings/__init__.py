"""Typed settings with defaults, stored as JSON; secrets in the OS keyring."""
