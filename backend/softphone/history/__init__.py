"""Call history storage (SQLite) and the recorder that fills it from call events."""
