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


def _stages():
    sys.path.insert(0, os.path.join(ROOT, 'tools', 'analysis_tools'))
    import stages

    return stages


def test_attempt_clock_sums_every_attempt_and_estimates_a_killed_one(tmp_path):
    stages = _stages()
    work = tmp_path / 'stage'
    clock = stages.AttemptClock(str(work))
    try:  # an attempt stopped by a signal or a failure still writes its seconds
        with clock.attempt():
            time.sleep(0.2)
            raise stages.StageFailed('stopped')
    except stages.StageFailed:
        pass
    first = stages.AttemptClock(str(work)).attempts
    assert len(first) == 1 and first[0]['seconds'] >= 0.2
    # an attempt killed outright (SIGKILL) wrote its start, never its seconds: the next one
    # times it by the newest file it left in the work dir
    killed = stages.AttemptClock(str(work))
    killed.attempts.append(dict(started=time.time() - 30, seconds=None))
    killed._save()
    (work / 'epoch_1.pth').write_bytes(b'x')
    os.utime(work / 'epoch_1.pth', (time.time() - 10, time.time() - 10))
    clock = stages.AttemptClock(str(work))
    with clock.attempt():
        time.sleep(0.1)
    summary = stages.AttemptClock(str(work)).summary()
    assert summary['attempts'] == 3 and summary['estimated_attempts'] == 1
    estimated = stages.AttemptClock(str(work)).attempts[1]['seconds']
    assert 19 <= estimated <= 21  # started 30 s ago, its last file 10 s ago
    assert summary['seconds'] >= 0.2 + 19 + 0.1


def test_train_stage_records_the_time_of_all_its_attempts(tmp_path, monkeypatch):
    stages = _stages()
    work = tmp_path / 'stage'
    calls = []

    def fake_run_tool(title, cmd):  # the first attempt is stopped, the second finishes
        calls.append(cmd)
        time.sleep(0.2)
        if len(calls) == 1:
            raise stages.StageFailed(f'stage "{title}" stopped by signal 15')
        (work / 'epoch_2.pth').write_bytes(b'x')
        (work / 'last_checkpoint').write_text(str(work / 'epoch_2.pth'))

    monkeypatch.setattr(stages, 'run_tool', fake_run_tool)
    try:
        stages.train_stage('t', 'cfg.py', str(work))
    except stages.StageFailed:
        pass
    assert stages.stage_record(str(work)) is None  # not done: the next run resumes it
    record = stages.train_stage('t', 'cfg.py', str(work))
    assert '--resume' in calls[1]
    assert record['attempts'] == 2 and record['seconds'] >= 0.4
    assert stages.stage_record(str(work)) == record
    assert stages.train_stage('t', 'cfg.py', str(work)) == record and len(calls) == 2
