"""analysis/consistency: ``futures consistency``, cross-impact balance of each narrative."""
