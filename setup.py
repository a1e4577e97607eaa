"""Install dpt with its configs and tools, so ``dpt::`` config bases resolve like ``mmdet::``."""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def version():
    scope = {}
    with open(osp.join(HERE, 'dpt', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


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
        zip_safe=False,
    )
