"""``python -m tinygrad_jp``: the ``tinygrad-jp`` command line (``tinygrad_jp/app/cli.py``).

With no arguments it prints the help; ``python -m tinygrad_jp demo`` runs the ten-second
autograd demo (``tinygrad_jp/app/demo.py``). A launcher only: the application lives in
``tinygrad_jp.app``, on the top floor, and no library module imports it."""
import sys


def main(argv=None):
    """Run the command line (``tinygrad_jp.app.cli.main``); returns the exit status."""
    from tinygrad_jp.app.cli import main as cli_main
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
