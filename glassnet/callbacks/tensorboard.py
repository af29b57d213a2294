"""TensorBoard: write the training curves (and weight histograms) for ``tensorboard --logdir logs``.

Keras' callback on PyTorch's ``SummaryWriter``, with Keras' folder layout and tags:
``<log_dir>/train`` and ``<log_dir>/validation`` hold ``epoch_loss``,
``epoch_accuracy``, ... (validation values under the same tag, so TensorBoard
draws both curves in one chart); ``update_freq='batch'`` (or every N batches)
adds ``batch_*`` tags; ``histogram_freq=N`` adds a histogram of every weight
every N epochs.

>>> import tempfile
>>> board = TensorBoard(log_dir=tempfile.mkdtemp(), histogram_freq=1)
>>> board.update_freq
'epoch'
"""

from __future__ import annotations

import os
from typing import Any

from glassnet.callbacks.base import Callback


class TensorBoard(Callback):
    """Log ``fit``'s metrics as TensorBoard events (see the module docstring).

    ``write_graph`` writes the model's ``summary()`` as text (no traced graph);
    ``write_images``, ``profile_batch`` and ``embeddings_*`` are accepted for
    compatibility and do nothing.
    """

    writes_files = True

    def __init__(self, log_dir: str | os.PathLike = "logs", histogram_freq: int = 0, write_graph: bool = False,
                 write_images: bool = False, write_steps_per_second: bool = False, update_freq: Any = "epoch",
                 profile_batch: Any = 0, embeddings_freq: int = 0, embeddings_metadata: Any = None):
        super().__init__()
        if update_freq not in ("epoch", "batch") and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(f"TensorBoard(update_freq={update_freq!r}): use 'epoch', 'batch' or a positive number "
                             "of batches.")
        self.log_dir, self.histogram_freq, self.write_graph = os.fspath(log_dir), int(histogram_freq), write_graph
        self.update_freq = update_freq
        self._writers: dict[str, Any] = {}
        self._batches = 0

    @property
    def _implements_batch_hooks(self) -> bool:
        return self.update_freq != "epoch"  # per-epoch logging costs the training loop nothing per batch

    def _writer(self, kind: str):
        if kind not in self._writers:
            from torch.utils.tensorboard import SummaryWriter
            self._writers[kind] = SummaryWriter(os.path.join(self.log_dir, kind))
        return self._writers[kind]

    def on_train_begin(self, logs=None):
        self._batches = 0
        writer = self._writer("train")
        if self.write_graph and self.model is not None:
            try:
                text = self.model.summary(print_fn=lambda *args, **kwargs: None)
            except Exception as err:  # a model that cannot summarise itself still trains and logs
                text = f"(no summary: {err})"
            writer.add_text("model_summary", f"```\n{text}\n```", 0)

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        every = 1 if self.update_freq == "batch" else self.update_freq
        if self.update_freq != "epoch" and self._batches % every == 0:
            writer = self._writer("train")
            for key, value in (logs or {}).items():
                writer.add_scalar(f"batch_{key}", float(value), self._batches)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            if not isinstance(value, (int, float)):
                continue
            kind, tag = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            self._writer(kind).add_scalar(f"epoch_{tag}", float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0 and self.model is not None:
            writer = self._writer("train")
            for name, weight in self.model.state_dict().items():
                if weight.is_floating_point():
                    writer.add_histogram(name, weight.detach().float().cpu(), epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


__all__ = ["TensorBoard"]
