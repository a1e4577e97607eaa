"""dpt.apis.launch.parse_launcher_args: tools/train.py's and tools/test.py's --launcher and
--local_rank, and LOCAL_RANK for mmengine."""

import argparse
import os

import pytest

from dpt.apis.launch import parse_launcher_args


@pytest.fixture(autouse=True)
def environ(monkeypatch):
    """A copy of the environment without LOCAL_RANK, put back after the test."""
    monkeypatch.setattr(os, 'environ', {k: v for k, v in os.environ.items() if k != 'LOCAL_RANK'})


def test_local_rank_sets_local_rank_unless_the_launcher_did():
    args = parse_launcher_args(
        argparse.ArgumentParser(), ['--launcher', 'pytorch', '--local-rank', '3']
    )
    assert (args.launcher, args.local_rank) == ('pytorch', 3)
    assert os.environ['LOCAL_RANK'] == '3'
    os.environ['LOCAL_RANK'] = '1'  # torchrun's
    assert parse_launcher_args(argparse.ArgumentParser(), ['--local_rank', '0']).local_rank == 0
    assert os.environ['LOCAL_RANK'] == '1'


def test_defaults_and_an_unknown_launcher():
    args = parse_launcher_args(argparse.ArgumentParser(), [])
    assert (args.launcher, args.local_rank) == ('none', 0)
    with pytest.raises(SystemExit):
        parse_launcher_args(argparse.ArgumentParser(), ['--launcher', 'ssh'])
