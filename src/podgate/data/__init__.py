"""Package data: the threat and framework mapping table."""
