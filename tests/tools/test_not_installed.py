"""Every tool finds dpt as an installed package (tools/setup_env.sh: pip install -e .), never by
path: no tool edits ``sys.path``, and run by a Python without the installed packages, a tool
that needs dpt stops with Python's own "No module named" error."""

import glob
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
from _cli import ROOT

TOOLS = sorted(
    osp.relpath(f, ROOT) for f in glob.glob(osp.join(ROOT, 'tools', '**', '*.py'), recursive=True)
)


def test_every_tool_is_listed():
    assert 'tools/train.py' in TOOLS and 'tools/analysis_tools/dap_miniature.py' in TOOLS
    assert len(TOOLS) >= 20


@pytest.mark.parametrize('tool', TOOLS)
def test_no_sys_path_edits(tool):
    with open(osp.join(ROOT, tool)) as f:
        source = f.read()
    assert not re.search(r'sys\.path\.(insert|append)|PYTHONPATH', source), tool


@pytest.mark.parametrize('tool', ['tools/train.py', 'tools/analysis_tools/stages.py'])
def test_without_installed_packages_it_stops(tool):
    # -S: no site-packages, so neither the editable install of dpt nor anything else
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    proc = subprocess.run(
        [sys.executable, '-S', tool, '--help'],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "ModuleNotFoundError: No module named '" in proc.stderr, proc.stderr[-2000:]
