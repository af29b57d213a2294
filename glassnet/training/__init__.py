"""glassnet.training: compile settings, the fit/evaluate/predict loops and their steps.

Users reach it through ``Model.compile/fit/evaluate/predict`` or :func:`glassnet.fit`.
"""
