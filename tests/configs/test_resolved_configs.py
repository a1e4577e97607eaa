"""Every config recorded in tests/data/configs/resolved.json.gz still resolves to what it did.

A restructuring of ``configs/`` (new bases, fewer repetitions) must not change what a run
sees: each recorded config is resolved again (``Config.fromfile(...).to_dict()``, JSON-stable,
as tests/configs/make_resolved_configs.py records it) and compared with its record; a failure
names the first key path that differs. Registry names renamed since the record are applied
to the record through :data:`RENAMED_TYPES` (old name -> new), and the variables that new
``_base_`` files add for configs to merge (:data:`BASE_HELPERS`) are left out, so that
nothing else may differ. Configs added after the record are not compared (they have nothing
to be equal to).
"""

import gzip
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_resolved_configs import CONFIG_DIR, FIXTURE, resolve  # noqa: E402

# registry renames since the record: every ``type`` value equal to a key becomes its value
RENAMED_TYPES = {'DptDETR': 'PreNormDETR', 'DptDeformableDETR': 'DeformableDETRWithOp'}
# top-level variables of ``_base_`` files added since the record, which a config merges where
# it needs them and no runner reads (mmengine keeps every base variable in the config): left
# out of the comparison; what they are merged into is compared
BASE_HELPERS = {
    'tiny_detr',
    'tiny_deformable_detr',
    'tiny_retinanet',
    'tiny_fcos',
    'tiny_faster_rcnn',
    'demo_dataset',
    'aligndet_view',
    'aligndet_demo_view',
    'direct_train_pipeline',
    'direct_instance_train_pipeline',
}


def _load_record():
    with gzip.open(FIXTURE, 'rt') as f:
        return json.load(f)


RECORD = _load_record()


def renamed(value, renames=RENAMED_TYPES):
    """``value`` with every ``type`` entry of a dict renamed by ``renames``."""
    if isinstance(value, dict):
        return {
            k: (renames.get(v, v) if k == 'type' and isinstance(v, str) else renamed(v, renames))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [renamed(v, renames) for v in value]
    return value


def first_difference(expected, actual, where=''):
    """Description of the first key path at which ``actual`` differs from ``expected``, or
    None when they are equal."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                return f'{where}.{key}: missing (recorded {expected[key]!r:.200})'
            if key not in expected:
                return f'{where}.{key}: new (now {actual[key]!r:.200})'
            found = first_difference(expected[key], actual[key], f'{where}.{key}')
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f'{where}: {len(actual)} items, recorded {len(expected)}'
        for i, (e, a) in enumerate(zip(expected, actual)):
            found = first_difference(e, a, f'{where}[{i}]')
            if found:
                return found
        return None
    if type(expected) is not type(actual) or expected != actual:
        return f'{where or "<top>"}: {actual!r:.200}, recorded {expected!r:.200}'
    return None


def test_first_difference_names_the_key_path():
    recorded = dict(model=dict(type='DETR', layers=[dict(a=1), dict(a=2)]))
    assert first_difference(recorded, recorded) is None
    changed = dict(model=dict(type='DETR', layers=[dict(a=1), dict(a=3)]))
    assert first_difference(recorded, changed).startswith('.model.layers[1].a: 3')
    assert 'missing' in first_difference(recorded, dict(model=dict(type='DETR')))
    # an int is not its float (a changed type is a changed config)
    assert first_difference(dict(lr=1), dict(lr=1.0)) is not None


def test_renames_touch_only_type_values():
    cfg = dict(type='Old', name='Old', sub=[dict(type='Old'), dict(type='Other')])
    assert renamed(cfg, {'Old': 'New'}) == dict(
        type='New', name='Old', sub=[dict(type='New'), dict(type='Other')]
    )


def test_record_is_complete():
    assert len(RECORD) > 100
    for rel in RECORD:
        assert os.path.isfile(os.path.join(CONFIG_DIR, rel)), f'configs/{rel}: removed'


@pytest.mark.parametrize('rel', sorted(RECORD))
def test_config_resolves_as_recorded(rel):
    expected = renamed(RECORD[rel]['config'])
    actual = resolve(os.path.join(CONFIG_DIR, rel))
    assert not BASE_HELPERS & set(expected), 'a recorded variable cannot be a new helper'
    actual = {k: v for k, v in actual.items() if k not in BASE_HELPERS}
    difference = first_difference(expected, actual)
    assert difference is None, f'configs/{rel}: {difference}'
