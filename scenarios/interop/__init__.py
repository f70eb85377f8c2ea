"""Interoperability: IAMC and tidy tables (`futures export`), the EMA Workbench model."""
