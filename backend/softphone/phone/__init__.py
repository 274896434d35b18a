"""Phone policy: accounts, calls and the rules between them; the UIs call into this."""
