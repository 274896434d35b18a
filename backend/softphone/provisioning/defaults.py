"""Build-time default of the provisioning URL (a company build sets it; empty: none)."""

from __future__ import annotations

# e.g. "https://prov.example.com/softphone/{email}.json" (placeholders: docs/provisioning.md)
PROVISIONING_URL = ""
ENV_URL = "SOFTPHONE_PROVISIONING_URL"
ENV_DNS_SERVER = "SOFTPHONE_DNS_SERVER"
