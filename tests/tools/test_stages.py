"""tools/analysis_tools/stages.py: a stopped multi-stage job stops its stage's child too."""

import os
import signal
import subprocess
import sys
import time

from _cli import ROOT

PARENT = '''
import sys
sys.path.insert(0, {tools!r})
from stages import StageFailed, run_tool
child = [sys.executable, '-c', {code!r}]
try:
    run_tool('sleeper', child)
except StageFailed as e:
    sys.exit(f'job: {{e}}')
'''


def _parent(tmp_path, then='time.sleep(120)'):
    """A job script whose one stage writes its pid to tmp_path/child.pid, then runs ``then``."""
    pid_file = tmp_path / 'child.pid'
    code = f'import os, time; open({str(pid_file)!r}, "w").write(str(os.getpid())); {then}'
    tools = os.path.join(ROOT, 'tools', 'analysis_tools')
    return [sys.executable, '-c', PARENT.format(tools=tools, code=code)], pid_file


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) counts as gone
    with open(f'/proc/{pid}/stat') as f:
        return f.read().split(') ')[-1][0] != 'Z'


def test_sigterm_stops_the_child_and_says_how_to_continue(tmp_path):
    cmd, pid_file = _parent(tmp_path)
    parent = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (pid_file.exists() and pid_file.read_text()) and time.time() < deadline:
        time.sleep(0.1)
    child = int(pid_file.read_text())
    assert _alive(child)
    parent.send_signal(signal.SIGTERM)
    out, err = parent.communicate(timeout=60)
    assert parent.returncode == 1
    assert 'stage "sleeper" stopped by signal 15; run the same command again' in err
    deadline = time.time() + 30
    while _alive(child) and time.time() < deadline:
        time.sleep(0.1)
    assert not _alive(child)


def test_a_failing_stage_is_stage_failed(tmp_path):
    cmd, _ = _parent(tmp_path, then='raise SystemExit(3)')
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 1
    assert 'stage "sleeper" failed; run the same command again to continue' in res.stderr
