"""Support diagnostics: the app's log file, and the redacted log archive users send to support."""
