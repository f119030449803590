"""Plots and reports that explain a training run and a dataset (PNG files
through matplotlib's Agg backend; each plot function returns the figure and
the data drawn)."""
from .annotations import *  # noqa: F401,F403
from .figure import *  # noqa: F401,F403
from .freda_grid import *  # noqa: F401,F403
from .quality_plots import *  # noqa: F401,F403
from .quality_report import *  # noqa: F401,F403
from .roc import *  # noqa: F401,F403
from .training_curves import *  # noqa: F401,F403
