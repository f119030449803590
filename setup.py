from setuptools import find_packages, setup


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
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks')),
    include_package_data=True,
    python_requires='>=3.9',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={
        'tests': read_requirements('requirements/tests.txt'),
        'optional': read_requirements('requirements/optional.txt'),
    },
    license='Apache-2.0',
    zip_safe=False,
)
