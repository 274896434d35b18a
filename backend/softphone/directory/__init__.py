"""Company directory and personal contacts: storage, search, import/export and sync."""
