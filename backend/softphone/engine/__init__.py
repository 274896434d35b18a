"""The SIP and media engine: the only package that imports pjsua2, run in its own process."""
