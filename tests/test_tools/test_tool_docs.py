"""The docs name every tool a user can run, the way it runs now."""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VISUALIZATION = REPO / 'docs' / 'visualization.md'


def table_tools(markdown: str):
    """Tool names in the first column of the markdown tables."""
    return set(re.findall(r'^\| `([\w/]+\.py)`', markdown, flags=re.M))


def test_every_analysis_tool_is_in_the_visualization_table():
    listed = table_tools(VISUALIZATION.read_text())
    tools = {p.name for p in (REPO / 'tools' / 'analysis').glob('*.py')}
    assert tools - listed == set(), \
        'tools/analysis scripts missing from docs/visualization.md'


def test_visualization_docs_use_the_vis_backends_flag():
    """TensorBoard is one flag of train.py/test.py, not a config edit."""
    text = VISUALIZATION.read_text()
    assert '--vis-backends tensorboard' in text
    assert not re.search(r'edit[^.]*config[^.]*TensorBoard|TensorBoard[^.]*'
                         r'edit[^.]*config', text, flags=re.I)
