"""Classifiers trained on shipped data: Raghu et al.'s (2017) trained-network experiments and
Schoenholz et al.'s (2017) trainability grid.

    from expressivity import trained
    r = trained.train_classifier("tanh", sigma_w2=1.76, sigma_b2=0.05, depth=100, width=64, steps=1000)
    r.test_accuracy, r.train_loss, r.seconds

Modules (one concept each): :mod:`.data` (standardised digits / MNIST / CIFAR-10),
:mod:`.model` (the deep classifier, batch norm, exact-measure view of its hidden layers),
:mod:`.optimizers` (in-place SGD, momentum, RMSProp, Adam by name), :mod:`.classifier`
(``train_classifier`` and the resumable trainer), :mod:`.single_layer` (train one layer, the
rest frozen), :mod:`.noise` (weight-noise robustness per layer), :mod:`.trajectory` (exact
trajectory length of trained layers), :mod:`.regularizer` (trajectory regularisation),
:mod:`.trainability` (the depth x sigma_w2 trainability cell and grid).
"""
from .classifier import ClassifierTrainer, TrainedClassifier, train_classifier
from .data import Prepared, prepare

__all__ = ["train_classifier", "TrainedClassifier", "ClassifierTrainer", "prepare", "Prepared"]
