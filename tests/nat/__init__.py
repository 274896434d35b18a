"""NAT test network: namespaces, veth pairs, masquerade, Kamailio, a peer and coturn in it."""
