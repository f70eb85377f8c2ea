"""analysis/narratives"""
