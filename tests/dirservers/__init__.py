"""Directory servers for the sync tests: Radicale (CardDAV) and OpenLDAP slapd, on loopback."""
