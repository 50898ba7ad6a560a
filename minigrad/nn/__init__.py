"""minigrad.nn: Module and Parameter, the notes' layers (Dense, Local, Conv2D) composed from
primitives, pooling, activations, initializers, losses (`nn.functional`) and `nn.summary`."""

from minigrad.nn import functional, init
from minigrad.nn.layers import Conv2D, Dense, Local, ReLU, Sigmoid, Tanh, Unvect, Vect
from minigrad.nn.module import Module, Parameter, Sequential
from minigrad.nn.pooling import AvgPool2D, MaxPool2D
from minigrad.nn.summary import Summary, summary
