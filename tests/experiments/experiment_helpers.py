"""What the experiment tests share: running the command line in a subprocess."""
import os
import subprocess
import sys


def run_cli(cwd, *args):
    """``python -m tinygrad_jp *args`` in ``cwd``, with one BLAS thread: on a busy
    2-core machine OpenBLAS's threads fight over the cores and make these small matrix
    products many times slower."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "tinygrad_jp", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
