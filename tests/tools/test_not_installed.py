"""Every tool finds dpt as an installed package (tools/setup_env.sh: pip install -e .), not by
path: run by a Python without dpt, it stops with one line saying how to set up."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest

from _cli import ROOT

# modules the scripts beside them import, not scripts
MODULES = {'tools/analysis_tools/stages.py', 'tools/analysis_tools/miniature.py',
           'tools/analysis_tools/strategies_report.py'}
TOOLS = sorted(p for p in (osp.relpath(f, ROOT) for f in glob.glob(
    osp.join(ROOT, 'tools', '**', '*.py'), recursive=True)) if p not in MODULES)


def test_every_tool_is_listed():
    assert 'tools/train.py' in TOOLS and 'tools/analysis_tools/dap_miniature.py' in TOOLS
    assert len(TOOLS) >= 20


@pytest.mark.parametrize('tool', TOOLS)
def test_without_dpt_one_line(tool):
    # -S: no site-packages, so neither the editable install of dpt nor anything else
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    proc = subprocess.run([sys.executable, '-S', tool, '--help'], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stdout[-1000:] + proc.stderr[-2000:]
    assert proc.stderr.splitlines() == [
        f'{osp.basename(tool)}: dpt is not installed in this Python ({sys.executable}); run '
        '`bash tools/setup_env.sh` and use .venv/bin/python'], proc.stderr[-2000:]
