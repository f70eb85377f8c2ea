"""analysis/calibration"""
