"""Einstein summation: ``einsum('ij,jk->ik', a, b)`` is ``a @ b``.

The gradient of one operand is another einsum: the incoming gradient (subscripts of
the output) with the other operands, summed down to that operand's subscripts. Two
cases need more than that one einsum, and both are handled here:

- a letter only this operand has (``'ij->i'``: j is summed away here alone) appears
  in no other term, so the gradient is constant along it: computed without it, then
  broadcast along it;
- a letter repeated inside the operand (``'ii->i'``, a diagonal) cannot be an
  einsum output; the gradient over the distinct letters is written onto the diagonal.
"""
import string

import numpy as np

from ..autograd import Function
from .shape import IndexAdd


def parse(equation, shapes, op="einsum"):
    """Terms of ``equation`` with '...' written out as letters, and the output term
    (PyTorch's implicit output when there is no '->': the letters seen once, sorted,
    after the ellipsis dims)."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(f"{op}: the equation {equation!r} has {len(terms)} operand "
                           f"term(s) but {len(shapes)} operand(s) were given")
    for term in terms + [out]:
        bad = set(term.replace("...", "")) - set(string.ascii_letters)
        if bad:
            raise RuntimeError(f"{op}: invalid subscript(s) {sorted(bad)} in {equation!r} "
                               "(use letters a-z, A-Z and '...')")
    unused = [c for c in string.ascii_letters if c not in eq]
    explicit = [len(t.replace("...", "")) for t in terms]
    n_ell = max([len(s) - k for t, s, k in zip(terms, shapes, explicit, strict=True)
                 if "..." in t], default=0)
    ell = "".join(unused[:n_ell])
    full = []
    for i, (t, s, k) in enumerate(zip(terms, shapes, explicit, strict=True)):
        if "..." in t:
            if len(s) < k:
                raise RuntimeError(f"{op}: operand {i} of shape {s} has fewer dims than "
                                   f"the subscripts {t!r} name")
            t = t.replace("...", ell[n_ell - (len(s) - k):])
        if len(t) != len(s):
            raise RuntimeError(f"{op}: subscripts {t!r} name {len(t)} dims but operand "
                               f"{i} has shape {s}")
        full.append(t)
    if arrow:
        out = out.replace("...", ell)
    else:
        letters = "".join(full)
        out = ell + "".join(sorted(c for c in set(letters) - set(ell)
                                   if letters.count(c) == 1))
    if len(set(out)) != len(out) or set(out) - set("".join(full)):
        raise RuntimeError(f"{op}: output subscripts {out!r} of {equation!r} must be "
                           "distinct letters that appear in the operands")
    sizes = {}
    for i, (t, s) in enumerate(zip(full, shapes, strict=True)):
        for c, n in zip(t, s, strict=True):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise RuntimeError(f"{op}: subscript {c!r} has size {n} in operand {i} "
                                   f"(shape {s}) but size {sizes[c]} elsewhere")
            sizes[c] = max(sizes.get(c, 1), n)
    return full, out, sizes


def apply_einsum(equation, tensors):
    """Parse and run ``equation`` on tensors of one dtype."""
    terms, out, sizes = parse(equation, [t.shape for t in tensors])
    return Einsum.apply(*tensors, terms=terms, out=out, sizes=sizes)


class Einsum(Function):
    def forward(self, *operands, terms, out, sizes):
        self.terms, self.out, self.sizes = terms, out, sizes
        self.save_for_backward(*operands)
        equation = ",".join(terms) + "->" + out
        return np.einsum(equation, *[o.data for o in operands], optimize=len(operands) > 1)

    def backward(self, grad):
        operands = self.saved
        grads = []
        for i, term in enumerate(self.terms):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [t for j, t in enumerate(self.terms) if j != i]
            elsewhere = set(self.out).union(*others)
            distinct = "".join(dict.fromkeys(term))
            kept = "".join(c for c in distinct if c in elsewhere)
            g = apply_einsum(",".join([self.out] + others) + "->" + kept,
                             [grad] + [o for j, o in enumerate(operands) if j != i])
            grads.append(_to_operand(g, kept, distinct, term, operands[i].shape, self.sizes))
        return tuple(grads)


def _to_operand(g, kept, distinct, term, shape, sizes):
    """A gradient over the letters ``kept`` → the operand's own shape: summed where the
    operand broadcast (size 1), broadcast along its private letters, and written onto
    the diagonal of a repeated letter."""
    size_of = dict(zip(term, shape, strict=True))
    for k, c in enumerate(kept):
        if size_of[c] == 1 and g.shape[k] != 1:
            g = g.sum(k, keepdim=True)
    if kept != distinct:
        shape_kept = dict(zip(kept, g.shape, strict=True))
        g = g.reshape(tuple(shape_kept.get(c, 1) for c in distinct))
        g = g.expand(tuple(size_of[c] for c in distinct))
    if distinct == term:
        return g
    index = tuple(np.arange(size_of[c]).reshape(
        [-1 if d == c else 1 for d in distinct]) for c in term)
    return IndexAdd.apply(g, index=index, shape=shape)
