"""``python -m tinygrad_jp.viz MODEL --input-size ... -o graph.svg``: draw a model's graph."""
import sys

from .graph import main

sys.exit(main())
