"""The lecture's notebook 4.2, "Classification with CE loss", with the toolkit, over many seeds.

The notebook: the 2-class curve data, the MLP 2-50-100-50-2 (ReLU) with N(0, 0.02)
initialisation, Adam with lr 0.005, mini-batches of 5, 499 epochs, ``CrossEntropyLoss`` and the
predicted class by argmax. It reported one run: 23 of 32 test points correct (accuracy 0.72);
the notes do not show how those 32 test points were drawn (here: an 80/20 split of the 160).
(Its mini-batch loop applied ``softmax`` before ``CrossEntropyLoss``, a double softmax;
``TorchMLPClassifier(loss="ce")`` applies the loss to the logits, as intended.)

Same procedure as ``design1_mse.py`` (shared code there): ``--seeds`` fresh data sets and
80/20 splits, trained in one batched call, the loss plot, the scatter plot and the accuracies.
With this loss the N(0, 0.02) initialisation leaves some seeds' networks on the ln 2 plateau
(in the default run 4 of 20 by the criterion of ``clfcompare.report.stalled_trials``, and seed
5, whose loss fell just over 1% from a first epoch above ln 2, also predicts one class): the
summary gives the accuracies with them (the headline) and without them.

Usage::

    python analyses/design2_ce.py                  # 20 seeds, the notebook's settings
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from design1_mse import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main("ce"))
