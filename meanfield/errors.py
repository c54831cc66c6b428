"""The library's own exceptions (besides ValueError/TypeError for bad arguments).

Both say in their message what was attempted, where (activation, q, c, variances) and what
bound was hit; neither is raised for valid input of the built-in activations in the range
the docstrings state.
"""


class ConvergenceError(RuntimeError):
    """An iterative solver reached its iteration bound without converging."""


class IntegrationError(ArithmeticError):
    """The q-independent quadrature (large q) could not resolve an integrand: the activation
    varies on its unit scale far from its features (it oscillates, for instance)."""
