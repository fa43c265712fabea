"""A PyTorch name tinygrad_jp lacks raises an AttributeError that says what to use
instead; subpackages load on first attribute access, as torch.nn does."""
import importlib
import subprocess
import sys

import pytest

import tinygrad_jp as tg
from tinygrad_jp._hints import HINTS


@pytest.mark.parametrize("module_name, name", [(m, n) for m, names in HINTS.items()
                                               for n in names])
def test_every_hinted_name_is_really_missing_and_gets_its_hint(module_name, name):
    module = importlib.import_module(module_name)
    with pytest.raises(AttributeError) as info:
        getattr(module, name)
    message = str(info.value)
    assert message.startswith(f"module {module_name!r} has no attribute {name!r}; ")
    assert HINTS[module_name][name] in message
    assert info.value.name == name
    assert not hasattr(module, name)


def test_examples_of_hints():
    with pytest.raises(AttributeError, match="bmm'; use tg.matmul"):
        tg.bmm  # noqa: B018
    with pytest.raises(AttributeError, match="LSTM'; no recurrent layers yet"):
        tg.nn.LSTM  # noqa: B018
    with pytest.raises(AttributeError, match="prelu'; use F.leaky_relu"):
        tg.nn.functional.prelu  # noqa: B018


def test_a_misspelt_name_suggests_the_close_ones():
    with pytest.raises(AttributeError, match="'cumsun'; did you mean cumsum"):
        tg.cumsun  # noqa: B018
    with pytest.raises(AttributeError, match="'Lineer'; did you mean Linear"):
        tg.nn.Lineer  # noqa: B018
    with pytest.raises(AttributeError, match="^module 'tinygrad_jp' has no attribute "
                                             "'qwertyuiop'$"):
        tg.qwertyuiop  # noqa: B018


def test_subpackages_load_on_first_use():
    code = ("import sys, tinygrad_jp as tg; assert 'tinygrad_jp.optim' not in sys.modules; "
            "assert tg.optim.SGD and tg.nn.Linear and 'tinygrad_jp.optim' in sys.modules; "
            "assert tg.data.DataLoader and tg.models")
    subprocess.run([sys.executable, "-c", code], check=True)
