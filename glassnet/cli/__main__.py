"""``python -m glassnet.cli ...``: the ``glassnet`` command (what ``glassnet train --nproc N`` hands to torchrun)."""

from glassnet.cli import main

main()
