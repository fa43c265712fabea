"""Hypothesis profiles: `ci` (chosen by CI=true) is derandomized and bounded, so CI is
repeatable; `dev` explores with fresh random examples. Neither has a deadline: an op's
first call may be slow on a busy 2-core machine, and that is not a bug."""
import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, max_examples=25, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "dev", max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE",
                                     "ci" if os.environ.get("CI") == "true" else "dev"))


def pytest_addoption(parser):
    parser.addoption("--device", default="auto", choices=("auto", "cuda"),
                     help="tests/device: 'cuda' requires a real GPU (CuPy) instead of "
                          "falling back to the CPU stand-in for CuPy")
