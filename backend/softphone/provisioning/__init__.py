"""Sign-in by e-mail: find and fetch the provisioning document, or the SIP server by DNS."""
