"""analysis/plane"""
