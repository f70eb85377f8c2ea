"""``futures discover``: where a lever setting or portfolio fails (PRIM; docs/discover.md)."""
