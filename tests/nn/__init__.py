"""Tests of minigrad.nn: modules, layers, pooling, losses and the summary table."""
