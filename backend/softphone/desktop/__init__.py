"""Desktop shell: the native window, single-instance hand-over and other OS integration."""
