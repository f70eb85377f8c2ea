"""The four futures and everything that runs, stores and shows them.

``scenarios`` reads configuration (Hydra/OmegaConf), builds plain arrays, calls
:mod:`models`, and writes labelled datasets. Imports flow one way: ``scenarios -> models``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("futures-nl")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
