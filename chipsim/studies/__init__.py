"""Experiments run on simulated chips.

- :mod:`chipsim.studies.characterization`: noise against its factors, transfer curves, gain
  against the wait between events, calibration profiles compared, drift, membrane noise
  spectrum, exc/inh imbalance;
- :mod:`chipsim.studies.transfer`: the transfer study (float training, plain transfer,
  hardware-in-the-loop retraining);
- :mod:`chipsim.studies.datasets`: the data sets the studies use.
"""
