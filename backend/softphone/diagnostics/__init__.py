"""Support diagnostics: the log file, the redacted log archive for support, the network check."""
