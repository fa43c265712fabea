"""``tinygrad_jp.cli`` moved to :mod:`tinygrad_jp.app.cli`; this name stays for the
``tinygrad-jp`` console script of installs made before the move (their launcher imports
``tinygrad_jp.cli:main``) and for scripts that import it.

It is a package rather than ``cli.py`` so that git sees ``cli.py`` renamed to
``app/cli.py`` and carries changes made to ``cli.py`` elsewhere into ``app/cli.py`` when
branches merge.
"""
from ..app.cli import *  # noqa: F401, F403
from ..app.cli import __all__, main  # noqa: F401
