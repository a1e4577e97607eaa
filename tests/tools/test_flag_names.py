"""The library's errors name its parameters (``depth=``, ``drop=``); each tool names the
flags it exposes them as, in its one error line."""

import pytest
import torch
from _cli import load_tool


def error_line(capsys, main, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_with_flags():
    from dpt.utils.errors import with_flags

    flags = {'depth': '--depth', 'fmt': '--format', 'overwrite=True': '--overwrite'}
    assert with_flags('depth=7: no such ResNet', flags) == '--depth 7: no such ResNet'
    assert with_flags('x.pth: pass depth=50', flags) == 'x.pth: pass --depth 50'
    assert with_flags('pass depth=; or fmt= (a, b)', flags) == 'pass --depth; or --format (a, b)'
    assert (
        with_flags('pass overwrite=True to replace it', flags) == 'pass --overwrite to replace it'
    )
    # other names, and the parameters inside other words, are left alone
    assert with_flags('min_depth=2 a.depth=3 mode=x', flags) == 'min_depth=2 a.depth=3 mode=x'


def test_extract_detector_weights(tmp_path, capsys):
    main = load_tool('tools/model_converters/extract_detector_weights.py').main
    torch.save({'state_dict': {'backbone.conv1.weight': torch.zeros(1)}}, tmp_path / 'a.pth')
    line = error_line(capsys, main, [str(tmp_path / 'a.pth'), '--drop', '(unclosed'])
    assert line.startswith(
        "extract_detector_weights: error: --drop '(unclosed': not a regular expression"
    ), line
    line = error_line(capsys, main, [str(tmp_path / 'a.pth'), '--drop', '.'])
    assert line.endswith('after dropping output layers and --drop patterns'), line


def test_publish_model(tmp_path, capsys):
    main = load_tool('tools/model_converters/publish_model.py').main
    torch.save({'state_dict': {'w': torch.zeros(1)}}, tmp_path / 'bare.pth')
    argv = [str(tmp_path / 'bare.pth'), str(tmp_path / 'o.pth')]
    assert error_line(capsys, main, argv).endswith('give the config it was trained with (--config)')
    line = error_line(capsys, main, [*argv, '--config', str(tmp_path / 'none.py')])
    assert line == f"publish_model: error: --config {tmp_path / 'none.py'}: file not found"


def test_analyze_logs(tmp_path, capsys):
    main = load_tool('tools/analysis_tools/analyze_logs.py').main
    line = error_line(
        capsys,
        main,
        ['plot_curve', str(tmp_path), '--legend', 'a', 'b', '--out', str(tmp_path / 'c.png')],
    )
    assert line.startswith('analyze_logs: error: --legend: 2 names for 1 run(s)'), line


def test_make_cam_boxes(tmp_path, capsys):
    import cv2
    import numpy as np

    (tmp_path / 'imgs' / 'cat').mkdir(parents=True)
    cv2.imwrite(str(tmp_path / 'imgs' / 'cat' / '0.png'), np.zeros((8, 8, 3), np.uint8))
    main = load_tool('tools/misc/make_cam_boxes.py').main
    line = error_line(
        capsys,
        main,
        [
            str(tmp_path / 'imgs'),
            '--classifier',
            'timm:resnet18',
            '--checkpoint',
            'c.pth',
            '--out',
            'boxes.json',
        ],
    )
    assert line.startswith('make_cam_boxes: error: --out boxes.json: give a prefix'), line
