"""Real servers of the e-mail sign-in tests and demo: nginx (HTTPS) and dnsmasq (DNS)."""
