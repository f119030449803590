import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

# shipped inside the package as qcdet/.mim/<folder> (OpenMMLab's layout: mim
# and tools/test.py --datasets find them there in a wheel install)
MIM_FOLDERS = ('configs', 'tools')

# pip install "qcdet[<extra>]", one requirements/<extra>.txt each; the
# runtime install alone runs the default commands, and a missing extra's
# package names its extra (qcdet/utils/optional_imports.py)
EXTRAS = ('dlib', 'tensorboard', 'onnx', 'serve')
EXTRA_REQUIREMENTS = {extra: f'requirements/{extra}.txt' for extra in EXTRAS}


class BuildPyWithMimFiles(build_py):
    """build_py that also copies configs/ and tools/ into the built
    package, leaving the source tree as it is."""

    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads the checkout
            return
        for folder in MIM_FOLDERS:
            target = osp.join(self.build_lib, 'qcdet', '.mim', folder)
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(folder, target, ignore=shutil.ignore_patterns(
                '__pycache__', '*.pyc'))


def read_requirements(path):
    with open(path) as f:
        return [line.strip() for line in f
                if line.strip() and not line.startswith(('#', '-r'))]


def read_version():
    scope = {}
    with open('qcdet/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='qcdet',
    version=read_version(),
    description='Quality-centric deepfake detection on MMEngine',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(
        exclude=('configs', 'tools', 'tests', 'benchmarks', 'studies')),
    include_package_data=True,
    python_requires='>=3.9',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={
        'tests': read_requirements('requirements/tests.txt'),
        # every extra (requirements/optional.txt names their files)
        'optional': [req for path in EXTRA_REQUIREMENTS.values()
                     for req in read_requirements(path)],
        **{extra: read_requirements(path)
           for extra, path in EXTRA_REQUIREMENTS.items()},
    },
    license='Apache-2.0',
    zip_safe=False,
    cmdclass={'build_py': BuildPyWithMimFiles},
)
