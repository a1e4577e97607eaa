"""Install dpt with its configs and tools, so ``dpt::`` config bases resolve like ``mmdet::``."""

import os
import os.path as osp
import re
import shutil

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def version():
    scope = {}
    with open(osp.join(HERE, 'dpt', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def parse_requirements(fname, exclude=()):
    """The requirement lines of ``fname`` (relative to this file) with their pins, as mmdet's
    and mmyolo's setup.py read requirements/*.txt: comments and blank lines dropped, ``-r``
    includes followed, names in ``exclude`` left out."""
    reqs = []
    with open(osp.join(HERE, fname)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            if line.startswith('-r '):
                reqs += parse_requirements(osp.join(osp.dirname(fname), line[3:].strip()), exclude)
                continue
            name = re.split(r'[<>=!~;\[ ]', line, maxsplit=1)[0].lower()
            if name not in exclude:
                reqs.append(line)
    return reqs


# What `pip install .` may install: requirements.txt with its pins, except
#   - opencv-python: mmengine and mmcv declare it (so pip installs it anyway); dpt itself
#     needs opencv-contrib-python (DETReg's selective search is in its `ximgproc`), which
#     installs the same `cv2` package. Declaring both would leave which one's files win to
#     pip's install order; tools/setup_env.sh instead installs contrib last, forced (see
#     requirements.txt).
#   - mmcv (requirements/mmcv.txt, the `mim` extra as in mmdet): 2.1.0 has no wheel on PyPI and
#     its sdist must be built against the installed torch (--no-build-isolation) to get its
#     compiled ops; pip would build it in an isolated environment without torch. The set-up
#     builds it and installs the wheel, then dpt with `pip install --no-deps -e .`.
INSTALL_REQUIRES = parse_requirements('requirements.txt', exclude=('opencv-python',))
EXTRAS_REQUIRE = dict(
    mim=parse_requirements('requirements/mmcv.txt'),
    tests=parse_requirements('requirements/tests.txt'),
)


def link_mim_files(mode='symlink'):
    """Expose configs/ and tools/ as dpt/.mim/ (mmengine looks there for ``dpt::`` paths)."""
    mim = osp.join(HERE, 'dpt', '.mim')
    os.makedirs(mim, exist_ok=True)
    for name in ('configs', 'tools'):
        src, dst = osp.join(HERE, name), osp.join(mim, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim), dst)
        else:
            shutil.copytree(src, dst)


if __name__ == '__main__':
    import sys

    link_mim_files('copy' if 'bdist_wheel' in sys.argv else 'symlink')
    setup(
        name='dpt',
        version=version(),
        description='Detector pre-training strategies on MMDetection 3',
        license='Apache-2.0',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks')),
        include_package_data=True,
        package_data={'dpt': ['.mim/configs/**/*.py', '.mim/tools/**/*', 'ops/csrc/*']},
        python_requires='>=3.10',
        install_requires=INSTALL_REQUIRES,
        extras_require=EXTRAS_REQUIRE,
        zip_safe=False,
    )
