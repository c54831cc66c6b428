"""expressivity.continual: continual learning on the package's autodiff — Synaptic Intelligence
(Zenke, Poole & Ganguli, ICML 2017) next to fine-tuning, EWC and joint training.

    from expressivity import continual
    r = continual.run("permuted", "si", strength=0.1, n_tasks=10, seed=0)   # digits
    r.accuracy, r.average_accuracy, r.forgetting, r.seconds
    continual.run("split", "ewc", strength=100.0, data="~/data/mnist")        # real MNIST

Modules: :mod:`.protocols` (split and permuted tasks), :mod:`.model` (the flat-parameter MLP,
masked cross-entropy, diagonal Fisher), :mod:`.si`, :mod:`.ewc`, :mod:`.finetune`,
:mod:`.joint` (the methods), :mod:`.run` (one run), :mod:`.result` (its accuracy matrix and
summaries). The figures of the paper are in :mod:`expressivity.papers.zenke2017_synaptic`.
"""
from .base import Method
from .ewc import EWC, task_fisher
from .finetune import FineTune
from .model import Network, cross_entropy, fisher_diagonal, init_network
from .protocols import PROTOCOLS, Protocol, Task, make, permuted, split
from .result import Result
from .run import DEFAULTS, METHODS, make_method, run
from .si import SI

__all__ = ["run", "Result", "METHODS", "PROTOCOLS", "DEFAULTS", "make", "split", "permuted", "Protocol", "Task",
           "Method", "SI", "EWC", "FineTune", "make_method", "Network", "init_network", "cross_entropy",
           "fisher_diagonal", "task_fisher"]
