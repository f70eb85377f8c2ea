"""analysis/sensitivity"""
