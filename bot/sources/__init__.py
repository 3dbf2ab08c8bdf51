"""Sources: bytes in, typed records out. No network, no database, no Discord."""
