"""Record every leaf config of ``configs/`` resolved, for tests/configs/test_resolved_configs.py.

A config is resolved as a run sees it: ``mmengine.Config.fromfile(path).to_dict()``, then made
JSON-stable (keys sorted, tuples as lists, anything else JSON cannot hold as its ``repr``).
The fixture (tests/data/configs/resolved.json.gz) maps each config's path relative to
``configs/`` to its sha256 and the full resolved dict, so that a test failure can name the
first key that differs. Run it only when a config is meant to change what it resolves to:

    .venv/bin/python tests/configs/make_resolved_configs.py
"""

import argparse
import glob
import gzip
import hashlib
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG_DIR = os.path.join(ROOT, 'configs')
FIXTURE = os.path.join(ROOT, 'tests', 'data', 'configs', 'resolved.json.gz')


def leaf_configs(config_dir=CONFIG_DIR):
    """Paths (relative to ``config_dir``) of every config outside ``_base_`` folders."""
    paths = glob.glob(os.path.join(config_dir, '**', '*.py'), recursive=True)
    rel = (os.path.relpath(p, config_dir) for p in paths)
    return sorted(
        r for r in rel if '_base_' not in r.split(os.sep) and '__pycache__' not in r.split(os.sep)
    )


def stable(value):
    """``value`` with dict keys as sorted strings, tuples as lists, non-JSON leaves as repr."""
    if isinstance(value, dict):
        return {str(k): stable(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [stable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def resolve(path):
    """The JSON-stable resolved dict of the config at ``path``."""
    from mmengine.config import Config

    return stable(Config.fromfile(path).to_dict())


def digest(resolved):
    return hashlib.sha256(json.dumps(resolved, sort_keys=True).encode()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=FIXTURE)
    args = parser.parse_args()
    record = {}
    for rel in leaf_configs():
        resolved = resolve(os.path.join(CONFIG_DIR, rel))
        record[rel] = dict(sha256=digest(resolved), config=resolved)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with gzip.GzipFile(args.out, 'wb', mtime=0) as f:
        f.write(json.dumps(record, sort_keys=True, separators=(',', ':')).encode())
    print(f'{len(record)} configs -> {args.out} ({os.path.getsize(args.out)} bytes)')


if __name__ == '__main__':
    main()
