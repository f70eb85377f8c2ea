"""analysis/validation: ``futures validate``, the narrative cells scored in and out of sample."""
