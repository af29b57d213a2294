"""Worked examples the course, the README and the tests share (``glassnet.examples.sequences``)."""
