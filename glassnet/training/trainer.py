"""The Trainer: Keras' ``compile / fit / evaluate / predict`` and the steps they run.

``Model`` inherits it (Keras 3's ``class Model(Trainer, Layer)`` shape). ``compile``
only records choices (:class:`~glassnet.training.compile_config.CompileConfig`);
each ``fit``/``evaluate``/``predict`` derives what it needs from the model as it is
at that moment (:mod:`glassnet.training.run`). Override ``train_step``,
``test_step``, ``predict_step`` or ``compute_loss`` for custom training: they
return scalar tensors and never call ``.item()``, so the device is not waited on
per step.

>>> import numpy as np
>>> from glassnet.models import Sequential
>>> from glassnet.layers import Dense
>>> model = Sequential([Dense(1, input_dim=2)])
>>> model.compile(optimizer='sgd', loss='mse')
>>> history = model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=2, verbose=0)
>>> len(history.history['loss'])
2
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import torch

from glassnet import constraints
from glassnet.callbacks.base import Callback, CallbackList, History
from glassnet.errors import NotCompiledError
from glassnet.modes import evaluating
from glassnet.threads import ThreadGovernor
from glassnet.training import distributed, resume, run
from glassnet.training.compile_config import CompileConfig
from glassnet.training.data import ArrayData, make_data
from glassnet.training.loop import StepLogs, batch_size_of, concat_to_numpy, keras_batch, keras_result, nan_error
from glassnet.training.progress import ProgressBar, resolve_verbose
from glassnet.training.steps import unpack
from glassnet.training.validation import (check_labels, check_last_batch, labels_checker,
                                          validate_fit_arguments)

Data = Any  # arrays, tensors, lists/dicts of them, a dataset, a DataLoader or a generator


class Trainer:
    """Keras' training API; see the module docstring. Mixed into :class:`glassnet.models.Model`."""

    compiled: CompileConfig | None = None
    stop_training: bool = False
    history: History | None = None
    _shuffle_seed: int | None = None

    # ------------------------------------------------------------------ configuration
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                loss_weights: Any = None, device: str | torch.device | None = None,
                precision: str = "auto", compile: bool = False, **keras_only: Any) -> None:
        """Configure training: optimizer, loss, metrics; the device, precision ('auto' uses bf16
        mixed precision where the hardware has it, 'float32' forces full precision) and
        ``compile=True`` for ``torch.compile`` (it pays on GPUs; on CPUs the benchmark in
        benchmarks/RESULTS.md found small models slower compiled). Keras-only arguments
        (``run_eagerly``, ``steps_per_execution``, ``jit_compile``...) are accepted.

        >>> from glassnet.models import Sequential
        >>> from glassnet.layers import Dense
        >>> m = Sequential([Dense(1, input_dim=2)])
        >>> m.compile(optimizer='sgd', loss='mse')
        >>> m.optimizer.get_config()['learning_rate']
        0.01
        """
        self.compiled = CompileConfig(self.output_names, optimizer, loss, metrics, loss_weights, device,
                                      precision, compile, **keras_only)

    @property
    def optimizer(self):
        """The optimizer given to compile (None before)."""
        return self.compiled.optimizer if self.compiled is not None else None

    @property
    def metrics_names(self) -> list[str]:
        """Names of what ``evaluate`` returns, in order: 'loss', then each compiled metric.

        >>> from glassnet.models import Sequential
        >>> from glassnet.layers import Dense
        >>> m = Sequential([Dense(2, input_dim=2)]); m.compile(loss='mse', metrics=['mae'])
        >>> m.metrics_names
        ['loss', 'mae']
        """
        if self.compiled is None:
            return []
        return ["loss", *(name for name, _ in self.compiled.metric_names())]

    @property
    def metrics(self) -> list:
        """Keras' ``model.metrics``: the loss tracker (named 'loss'), then every compiled metric.
        ``fit`` resets them at each epoch start; a custom ``train_step`` may update them and
        return ``{m.name: m.result() for m in self.metrics}``. Override it to track your own.

        >>> from glassnet.models import Sequential
        >>> from glassnet.layers import Dense
        >>> m = Sequential([Dense(2, input_dim=2)]); m.compile(loss='mse', metrics=['mae'])
        >>> [metric.name for metric in m.metrics]
        ['loss', 'mae']
        """
        if self.compiled is None:
            return []
        return [self.compiled.loss_tracker, *(m for _, m in self.compiled.metric_names())]

    def reset_metrics(self) -> None:
        """Start every metric in ``self.metrics`` afresh (fit does it each epoch, evaluate once)."""
        for metric in self.metrics:
            metric.reset_state()

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: torch.Tensor | None = None):
        """Feed one batch to the compiled metrics and return every metric's result (Keras 3's
        ``compute_metrics``); the values are computed when read, not now."""
        config = self._require_compiled("compute_metrics")
        config.update_metrics(y, y_pred, sample_weight)
        return config.results()

    def _require_compiled(self, what: str) -> CompileConfig:
        if self.compiled is None:
            raise NotCompiledError(f"You must compile the model before calling {what}(): e.g. "
                                   f"model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
                                   f"metrics=['accuracy']).")
        return self.compiled

    def _forward_function(self):
        """The model, or its ``torch.compile``d form when compile(compile=True) asked for it."""
        # DistributedDataParallel for the training steps of a distributed fit (evaluation runs each rank alone)
        model = self.__dict__.get("_ddp", self) if torch.is_grad_enabled() else self
        if self.compiled is None or not self.compiled.use_compile:
            return model
        key = "_torch_compiled_ddp" if model is not self else "_torch_compiled"
        compiled = self.__dict__.get(key)
        if compiled is None or getattr(compiled, "_orig_mod", model) is not model:  # torch's guards recompile if the model changes
            compiled = torch.compile(model)
            object.__setattr__(self, key, compiled)
        return compiled

    # ------------------------------------------------------------------ steps
    def train_step(self, data: tuple) -> dict[str, torch.Tensor]:
        """One optimisation step on a batch ``(x, y)`` or ``(x, y, sample_weight)``; override it for
        custom training. Return a dict of scalar tensors — as Keras does, the running results of
        ``self.metrics`` (the loop shows the latest values); don't call ``.item()``."""
        x, y, sample_weight = unpack(data)
        config = self.compiled
        with config.autocast():
            y_pred = self._forward_function()(x)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        config.optimizer.zero_grad()
        if loss.requires_grad:  # a model with nothing to train still fits, as in Keras
            loss.backward()
            config.optimizer.step()
        constraints.apply_all(self)  # Keras projects constrained weights right after each update
        config.loss_tracker.add(loss, batch_size_of((x,)))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data: tuple) -> dict[str, torch.Tensor]:
        """Loss and metric updates on one batch, without training, in full precision."""
        x, y, sample_weight = unpack(data)
        y_pred = self._forward_function()(x)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        self.compiled.loss_tracker.add(loss, batch_size_of((x,)))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        """The outputs for one batch, in full precision (mixed precision speeds up training only)."""
        x, _, _ = unpack(data)
        return self._forward_function()(x)

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: torch.Tensor | None = None) -> torch.Tensor:
        """The total loss of a batch: the compiled (weighted) losses plus the model's own
        ``losses`` (regularization penalties, ``add_loss`` terms). Override to add terms."""
        total = self._require_compiled("compute_loss").compute_loss(y, y_pred, sample_weight)
        extra = getattr(self, "losses", None)
        if extra:
            device = total.device if total is not None else self.compiled.device
            penalty = torch.stack([torch.as_tensor(t, device=device).float().sum() for t in extra]).sum()
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError("No loss to minimise: compile(loss=...) with a loss for at least one output, "
                             "or add loss terms in the model (add_loss, regularizers).")
        return total

    # ------------------------------------------------------------------ fit
    def fit(self, x: Data = None, y: Data = None, batch_size: int | None = None, epochs: int = 1,
            verbose: int | str = "auto", callbacks: list[Callback] | None = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: bool = True, class_weight: dict | None = None,
            sample_weight: Any = None, initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1, diagnose: bool = False) -> History:
        """Train for ``epochs`` epochs (Keras semantics); returns the ``History``. ``diagnose=True`` watches
        the network's health with a :class:`glassnet.diagnose.Monitor` (kept as ``history.monitor``) and
        prints its findings at the end (unless ``verbose=0``)."""
        config = self._require_compiled("fit")
        group = distributed.setup()  # inside torchrun: join the job (see glassnet.training.distributed)
        if group is not None and not group.is_main:
            verbose, callbacks = 0, [cb for cb in callbacks or [] if not (cb.saves_model or cb.writes_files)]
        if diagnose:
            from glassnet.diagnose import Monitor
            callbacks = [*(callbacks or []), Monitor()]
        validate_fit_arguments(epochs, initial_epoch, batch_size, steps_per_epoch, validation_split,
                               validation_freq, validation_steps, validation_batch_size)
        data = make_data(x, y, sample_weight, batch_size, config.device, steps_per_epoch, class_weight)
        data, val = self._validation_data(data, validation_split, validation_data,
                                          validation_batch_size or batch_size, validation_steps)
        self._check_labels(data, run.prepare(self, config, data.example(), training=True))
        if isinstance(data, ArrayData):
            check_last_batch(self, data.num_samples, data.batch_size, data.example())
        if self._shuffle_seed is None:
            self._shuffle_seed = int(torch.randint(0, 2**31 - 1, ()).item())
        self._shuffle_seed = distributed.agree_on_seed(self._shuffle_seed, group)  # one order on every rank
        history = History()
        callback_list = CallbackList([*(callbacks or []), history], model=self, epochs=epochs, steps=len(data),
                                     verbose=resolve_verbose(verbose))
        self._fit_callbacks = list(callbacks or [])  # their state goes into saves made during this fit
        if initial_epoch > 0:  # continuing a loaded run: its callbacks' state and random generators
            resume.restore(self, self._fit_callbacks, self.__dict__.pop("_resume_state", None))
        with ThreadGovernor(config.device) as threads:  # fewer CPU threads while other processes are busy
            bar = ProgressBar(verbose, epochs, len(data))
            bar.header(self._fit_header(data, val))
            self.stop_training = False
            self.history = history
            callback_list.on_train_begin({})
            with self._data_parallel(group):
                logs = self._run_epochs(data, val, range(initial_epoch, epochs), shuffle, validation_freq,
                                        callback_list, bar, threads, group)
        callback_list.on_train_end(logs)
        if diagnose:
            history.monitor = callbacks[-1]
            if resolve_verbose(verbose):
                history.monitor.report()
        return history

    @contextlib.contextmanager
    def _data_parallel(self, group: distributed.Group | None):
        """In a distributed fit: the default step runs the model through DistributedDataParallel; a
        custom ``train_step`` gets its gradients averaged by the optimizers' ``step``."""
        if group is None:
            yield
            return
        if type(self).train_step is Trainer.train_step:
            object.__setattr__(self, "_ddp", distributed.wrap(self, group))
            try:
                yield
            finally:
                self.__dict__.pop("_ddp", None)
        else:
            distributed.broadcast_parameters(self)
            with distributed.optimizers_average_gradients(group):
                yield

    def _run_epochs(self, data, val, epochs: range, shuffle: bool, validation_freq: int, callbacks: CallbackList,
                    bar: ProgressBar, threads: ThreadGovernor, group: distributed.Group | None = None
                    ) -> dict[str, float]:
        logs: dict[str, float] = {}
        for epoch in epochs:
            if epoch > epochs.start:
                threads.adjust()
            logs = self._train_epoch(data, epoch, shuffle, callbacks, bar, group)
            if val is not None and (epoch + 1) % validation_freq == 0:
                logs.update(self._evaluate_batches(val, prefix="val_", callbacks=callbacks, group=group))
            callbacks.on_epoch_end(epoch, logs)
            bar.finish(logs, data.num_samples if isinstance(data, ArrayData) else 0)
            if self.stop_training:
                break
        return logs

    def _validation_data(self, data, split: float, validation_data: Any, batch_size: int | None,
                         steps: int | None):
        if split:
            if not isinstance(data, ArrayData):
                raise ValueError("validation_split works with arrays only; pass validation_data= for datasets.")
            return data.split(split)
        if validation_data is None:
            return data, None
        vx, vy, vw = unpack(validation_data) if isinstance(validation_data, (tuple, list)) else (validation_data, None, None)
        return data, make_data(vx, vy, vw, batch_size, self.compiled.device, steps)

    def _fit_header(self, data, val) -> str:
        samples = f"{data.num_samples:,} samples, " if isinstance(data, ArrayData) else ""
        validation = f", validating on {val.num_samples:,}" if isinstance(val, ArrayData) else ""
        cpu = f" · {torch.get_num_threads()} CPU threads" if self.compiled.device.type == "cpu" else ""
        return (f"Training '{self.name}' on {samples}{len(data)} steps per epoch{validation} · "
                f"{self.compiled.describe()}{cpu}")

    def _check_labels(self, data, pred: Any) -> None:
        """All labels vs the model's outputs ``pred`` on the first samples: in-memory labels at once,
        those of a dataset or generator batch by batch, on the host, as each batch arrives."""
        config = self.compiled
        y = data.y if isinstance(data, ArrayData) else data.first_labels()
        if y is None or pred is None:
            return
        if not isinstance(data, ArrayData):
            shapes = [tuple(p.shape) if torch.is_tensor(p) else () for p in config.as_list(pred)]
            data.label_check = labels_checker(config.losses, config.output_names, shapes, config.as_list)
        for loss, target, p, name in zip(config.losses, config.as_list(y), config.as_list(pred), config.output_names):
            if torch.is_tensor(p):
                check_labels(loss, target, tuple(p.shape), f"output '{name}'")

    def _train_epoch(self, data, epoch: int, shuffle: bool, callbacks: CallbackList, bar: ProgressBar,
                     group: distributed.Group | None = None) -> dict[str, float]:
        config = self.compiled
        steps = len(data)
        batch_events, batch_logs = callbacks.wants_batch_events, callbacks.wants_batch_logs
        self.train()
        self.reset_metrics()
        callbacks.on_epoch_begin(epoch, {})
        logs = StepLogs(config.device)
        bar.start(epoch)
        samples = 0
        for step, batch in enumerate(data.batches(epoch, shuffle, self._shuffle_seed or 0)):
            if group is not None:
                batch, count = distributed.shard(batch, group)
                samples += count
            if batch_events:
                callbacks.on_train_batch_begin(step, {})
            logs.update(self.train_step(keras_batch(batch)), step)
            if batch_events:
                callbacks.on_train_batch_end(step, logs.read() if batch_logs else {})
            if bar.due() or logs.on_host:
                self._stop_on_nan(logs, epoch, steps)
                bar.update(step + 1, logs.read)
            if self.stop_training:
                break
        self._stop_on_nan(logs, epoch, steps)
        return distributed.reduce_logs(logs.read(), samples, group)

    def _stop_on_nan(self, logs: StepLogs, epoch: int, steps: int) -> None:
        bad = logs.first_bad_step()
        if bad >= 0 and not self.stop_training:
            raise nan_error(self.optimizer.learning_rate if self.optimizer is not None else None, epoch, bad, steps)

    # ------------------------------------------------------------------ evaluate
    def evaluate(self, x: Data = None, y: Data = None, batch_size: int | None = None, verbose: int | str = "auto",
                 sample_weight: Any = None, steps: int | None = None, callbacks: list[Callback] | None = None,
                 return_dict: bool = False) -> Any:
        """Loss and metrics on the given data: a scalar without metrics, else a list (a dict with
        ``return_dict``)."""
        config = self._require_compiled("evaluate")
        data = make_data(x, y, sample_weight, batch_size, config.device, steps)
        self._check_labels(data, run.prepare(self, config, data.example(), training=False))
        group = distributed.setup()
        if group is not None and not group.is_main:
            verbose = 0
        callback_list = CallbackList(callbacks or [], model=self, steps=len(data), verbose=resolve_verbose(verbose))
        bar = ProgressBar(verbose, None, len(data))
        logs = self._evaluate_batches(data, callbacks=callback_list, bar=bar, group=group)
        bar.finish(logs, data.num_samples if isinstance(data, ArrayData) else 0)
        return keras_result(logs, return_dict)

    def _evaluate_batches(self, data, prefix: str = "", callbacks: CallbackList | None = None,
                          bar: ProgressBar | None = None, group: distributed.Group | None = None) -> dict[str, float]:
        callbacks = callbacks or CallbackList([])
        self.reset_metrics()
        logs = StepLogs(self.compiled.device)
        callbacks.on_test_begin({})
        if bar is not None:
            bar.start(None, "Evaluate")
        with evaluating(self), torch.inference_mode():
            samples = 0
            for step, batch in enumerate(data.batches()):
                if group is not None:
                    batch, count = distributed.shard(batch, group)
                    samples += count
                    if not count:  # a last batch smaller than the job: nothing for this rank
                        continue
                callbacks.on_test_batch_begin(step, {})
                logs.update(self.test_step(keras_batch(batch)), step)
                callbacks.on_test_batch_end(step, logs.read() if callbacks.wants_batch_logs else {})
                if bar is not None:
                    bar.update(step + 1, logs.read)
        result = distributed.reduce_logs(logs.read(prefix), samples, group)
        callbacks.on_test_end(result)
        return result

    # ------------------------------------------------------------------ predict
    def predict(self, x: Data, batch_size: int | None = None, verbose: int | str = "auto", steps: int | None = None,
                callbacks: list[Callback] | None = None) -> Any:
        """Outputs for every sample as numpy arrays (a list/dict for several outputs)."""
        device = self.compiled.device if self.compiled is not None else _parameter_device(self)
        data = make_data(x, None, None, batch_size, device, steps)
        if self.compiled is not None:
            run.prepare(self, self.compiled, data.example(), training=False)
        else:
            run.place(self, device)
        callback_list = CallbackList(callbacks or [], model=self, steps=len(data), verbose=resolve_verbose(verbose))
        outputs = []
        callback_list.on_predict_begin({})
        with evaluating(self), torch.inference_mode():
            for step, batch in enumerate(data.batches()):
                callback_list.on_predict_batch_begin(step, {})
                outputs.append(self.predict_step(keras_batch(batch)))
                callback_list.on_predict_batch_end(step, {"outputs": outputs[-1]})
        callback_list.on_predict_end({})
        return concat_to_numpy(outputs)

    # ------------------------------------------------------------------ one batch
    def train_on_batch(self, x: Data, y: Data = None, sample_weight: Any = None, class_weight: dict | None = None,
                       return_dict: bool = False) -> Any:
        """One training step on exactly the given batch; returns the loss (and metrics)."""
        config = self._require_compiled("train_on_batch")
        data = make_data(x, y, sample_weight, 10**12, config.device, None, class_weight)
        run.prepare(self, config, data.example(), training=True)
        self.train()
        self.reset_metrics()
        logs = StepLogs(config.device)
        logs.update(self.train_step(keras_batch(next(data.batches()))), 0)
        return keras_result(logs.read(), return_dict)

    def test_on_batch(self, x: Data, y: Data = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        """Loss (and metrics) on exactly the given batch, without training."""
        config = self._require_compiled("test_on_batch")
        data = make_data(x, y, sample_weight, 10**12, config.device)
        run.prepare(self, config, data.example(), training=False)
        self.reset_metrics()
        logs = StepLogs(config.device)
        with evaluating(self), torch.inference_mode():
            logs.update(self.test_step(keras_batch(next(data.batches()))), 0)
        return keras_result(logs.read(), return_dict)

    def predict_on_batch(self, x: Data) -> np.ndarray:
        """Outputs for exactly the given batch, as numpy."""
        return self.predict(x, batch_size=10**12, verbose=0)

    # ------------------------------------------------------------------ diagnose
    def lr_find(self, x: Data, y: Data = None, **options: Any):
        """The learning-rate finder on this compiled model; the weights and the optimizer are left
        as they were. See :func:`glassnet.diagnose.lr_find` for ``start``, ``end``, ``steps``...

        >>> from glassnet.models import Sequential
        >>> from glassnet.layers import Dense
        >>> m = Sequential([Dense(1, input_dim=2)]); m.compile(optimizer='sgd', loss='mse')
        >>> len(m.lr_find(np.ones((8, 2)), np.ones((8, 1)), steps=5).learning_rates) <= 5
        True
        """
        from glassnet.diagnose.lr_finder import lr_find
        return lr_find(self, x, y, **options)

    def diagnose(self, x: Data = None, y: Data = None, validation_data: Any = None, bayes_error: float = 0.0,
                 **options: Any):
        """Bias or variance? Measures the train and dev errors, prints the verdict with the course's
        recipe and returns it; ``x`` may also be a ``History`` with validation metrics. See
        :func:`glassnet.diagnose.bias_variance.diagnose_model` (``verbose``, the thresholds...).

        >>> from glassnet.models import Sequential
        >>> from glassnet.layers import Dense
        >>> m = Sequential([Dense(2, activation='softmax', input_dim=1)])
        >>> m.compile(loss='sparse_categorical_crossentropy', metrics=['accuracy'])
        >>> x, y = np.array([[-1.0], [1.0]]), np.array([0, 1])
        >>> m.diagnose(x, y, validation_data=(x, y), verbose=False).variance
        0.0
        """
        from glassnet.diagnose.bias_variance import diagnose_model
        return diagnose_model(self, x, y, validation_data=validation_data, bayes_error=bayes_error, **options)


def _parameter_device(model: torch.nn.Module) -> torch.device:
    return next((p.device for p in model.parameters()), torch.device("cpu"))


__all__ = ["Trainer"]
