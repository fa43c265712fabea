"""``python -m tinygrad_jp.viz MODEL --input-size ... -o graph.svg``: draw a model's graph.

A launcher only (``python -m`` needs it here): the command line is the application's,
``tinygrad_jp/app/graph_cli.py``; no module of ``viz`` imports it."""
import sys

from ..app.graph_cli import main

sys.exit(main())
