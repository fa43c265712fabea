"""Differentiable ops: one op is one `Function` subclass with its forward and backward."""
