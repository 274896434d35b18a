"""End-to-end tests: a real browser or a real native window."""
