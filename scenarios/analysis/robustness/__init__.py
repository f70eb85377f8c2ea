"""analysis/robustness"""
