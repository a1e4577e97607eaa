"""Shared fixtures: small demo datasets made once per test session."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (ROOT, os.path.join(ROOT, 'tests')):  # the package, and tests/_cli.py
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture(scope='session')
def repo_root():
    return ROOT


@pytest.fixture(scope='session')
def demo_data_root(tmp_path_factory):
    """A small demo dataset (16 train / 8 val images), made once for the whole session."""
    from dpt.datasets import make_demo_dataset
    root = tmp_path_factory.mktemp('demo') / 'demo'
    make_demo_dataset(root, num_train=16, num_val=8, seed=0)
    return str(root) + '/'
