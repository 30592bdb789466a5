"""Simplified models of the chip and where they hold.

- :mod:`chipsim.models.mock`: the reference software's mock (``gain * x @ w`` plus Gaussian noise)
  and the measurement of its parameter on a simulated chip;
- :mod:`chipsim.models.surrogates`: richer per-column surrogates fitted to a simulated chip;
- :mod:`chipsim.models.validity`: metrics and maps of where a model agrees with the full simulation.
"""
