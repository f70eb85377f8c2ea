"""The world's mechanics: trends, cross-impact dynamics, impacts and ensemble sampling.

Pure numpy/scipy/simpy. Nothing here reads configuration files, writes files, draws, or
imports :mod:`scenarios`, Hydra or OmegaConf; :mod:`scenarios` builds plain arrays and
passes them in.
"""
