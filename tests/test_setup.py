"""setup.py declares requirements.txt's pins as dpt's dependencies (less opencv-python, whose
cv2 opencv-contrib-python replaces) and mmcv, built by tools/setup_env.sh, as the `mim` extra."""

import importlib.util
import os.path as osp

from _cli import ROOT


def _setup():
    spec = importlib.util.spec_from_file_location('dpt_setup', osp.join(ROOT, 'setup.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # setup() itself runs only as __main__
    return module


def test_install_requires_are_the_pinned_requirements():
    setup = _setup()
    with open(osp.join(ROOT, 'requirements.txt')) as f:
        lines = [ln.strip() for ln in f if ln.strip() and not ln.startswith('#')]
    assert setup.INSTALL_REQUIRES == [ln for ln in lines if not ln.startswith('opencv-python==')]
    assert 'torch==2.14.1' in setup.INSTALL_REQUIRES and 'mmdet==3.3.0' in setup.INSTALL_REQUIRES
    assert 'opencv-contrib-python==4.14.0.94' in setup.INSTALL_REQUIRES
    assert not any(r.startswith('mmcv') for r in setup.INSTALL_REQUIRES)
    assert setup.EXTRAS_REQUIRE['mim'] == ['mmcv==2.1.0']


def test_parse_requirements_comments_includes_and_exclusions(tmp_path, monkeypatch):
    setup = _setup()
    monkeypatch.setattr(setup, 'HERE', str(tmp_path))
    (tmp_path / 'base.txt').write_text('numpy>=1.26  # why\n\n# a comment\nfoo[extra]==1\n')
    (tmp_path / 'all.txt').write_text('-r base.txt\nOpenCV-Python==4\nbar; python_version>"3"\n')
    assert setup.parse_requirements('all.txt', exclude=('opencv-python', 'foo')) == [
        'numpy>=1.26',
        'bar; python_version>"3"',
    ]
