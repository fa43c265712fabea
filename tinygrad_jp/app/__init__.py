"""The application on the top floor: what a user runs, built from the library below.

* :mod:`tinygrad_jp.app.cli`: the ``tinygrad-jp`` command line (``python -m tinygrad_jp``):
  ``train``, ``graph``, ``experiment``, ``demo``.
* :mod:`tinygrad_jp.app.demo`: the ten-second autograd demo.
* :mod:`tinygrad_jp.app.graph_cli`: ``python -m tinygrad_jp.viz MODEL --input-size ...``.
* :mod:`tinygrad_jp.app.make_sample`: rebuilds the embedded Fashion-MNIST sample.

The arrows point down only: this package imports the library (``models``, ``train``,
``viz``, ``data``, the experiments); no library module imports it.
"""
