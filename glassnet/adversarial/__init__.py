"""glassnet.adversarial: adversarial examples (FGSM, PGD), robustness curves and adversarial training.

>>> from glassnet.adversarial import fgsm, pgd
>>> fgsm.__name__, pgd.__name__
('fgsm', 'pgd')
"""

from glassnet.adversarial.attacks import ATTACKS, fgsm, frozen, infer_value_range, pgd
from glassnet.adversarial.evaluation import (RobustnessCurve, accuracy_vs_epsilon, plot_adversarial_examples,
                                             predict_classes)
from glassnet.adversarial.training import AdversarialTraining

__all__ = ["fgsm", "pgd", "infer_value_range", "frozen", "ATTACKS", "accuracy_vs_epsilon", "RobustnessCurve",
           "predict_classes", "plot_adversarial_examples", "AdversarialTraining"]
