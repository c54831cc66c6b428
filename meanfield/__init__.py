"""meanfield: exact, fast mean-field theory of signal propagation in random deep networks."""
__version__ = "0.1.0"
