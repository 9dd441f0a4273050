"""Datasets shared by several systems (real data from packages, or documented generators)."""

from paperzoo.core.data.fashion_mnist import FASHION_MNIST_CLASSES, load_fashion_mnist

__all__ = ["FASHION_MNIST_CLASSES", "load_fashion_mnist"]
