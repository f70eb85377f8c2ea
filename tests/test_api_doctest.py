"""The examples in the API's docstrings run as doctests (the README's test command runs them)."""

from __future__ import annotations

import doctest

import scenarios.api


def test_api_examples_run():
    result = doctest.testmod(scenarios.api, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8
    assert result.failed == 0
