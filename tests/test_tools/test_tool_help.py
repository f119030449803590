"""Every tool answers ``--help`` before anything heavy loads, with a
description that is a whole sentence and help text for every option.
(How long it takes is printed by benchmarks/tool_help_speed.py.)"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = sorted(p.relative_to(REPO).as_posix()
               for p in (REPO / 'tools').rglob('*.py'))
# (OpenCV, ~0.2 s, may load: the data tools take their choices from it)
HEAVY = ('torch', 'mmengine', 'matplotlib', 'onnxruntime', 'fvcore',
         'gradio', 'mmpretrain', 'timm')

# runs the tool's --help in this interpreter, then reports what it imported
# and the parser it built
PROBE = r'''
import argparse, json, runpy, sys
parsers = []
original = argparse.ArgumentParser.parse_args
def capture(self, *args, **kwargs):
    parsers.append(self)
    return original(self, *args, **kwargs)
argparse.ArgumentParser.parse_args = capture
sys.argv = [sys.argv[1], '--help']
try:
    runpy.run_path(sys.argv[0], run_name='__main__')
except SystemExit:
    pass
parser = parsers[0]
print(json.dumps(dict(
    heavy=sorted(m for m in HEAVY if m in sys.modules),
    description=parser.description or '',
    undocumented=[a.option_strings[0] for a in parser._actions
                  if a.option_strings and not a.help
                  and a.option_strings[0] not in ('-h', '--local_rank')])))
'''


def test_every_tool_is_covered():
    assert 'tools/train.py' in TOOLS and len(TOOLS) >= 18


@pytest.mark.parametrize('tool', TOOLS)
def test_help_is_light_and_complete(tool):
    code = f'HEAVY = {HEAVY!r}\n' + PROBE
    result = subprocess.run([sys.executable, '-c', code, tool], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report['heavy'] == [], f'{tool} --help imports {report["heavy"]}'
    description = report['description'].strip()
    assert description.endswith('.') and description[0].isupper(), \
        f'{tool}: description {description!r} is not a whole sentence'
    assert report['undocumented'] == [], \
        f'{tool}: options without help: {report["undocumented"]}'
