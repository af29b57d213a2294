"""What a search leaves behind: a table of trials, the best parameters and model, Optuna's plots.

:func:`finish_search` writes ``trials.csv``, ``best_params.json``, ``best_model.glassnet`` (a copy of the
best trial's saved model) and the PNGs into the output folder; :class:`SearchResult` shows them
(``print``, rich, or a notebook's table via ``_repr_html_`` / ``_repr_markdown_``).

>>> import optuna
>>> study = optuna.create_study()
>>> study.optimize(lambda t: (t.suggest_float('lr', 0, 1) - 0.3) ** 2, n_trials=3)
>>> result = SearchResult(study, objective='val_loss')
>>> [row['state'] for row in result.rows()]
['complete', 'complete', 'complete']
>>> result._repr_markdown_().splitlines()[2].startswith('| trial |')
True
"""

from __future__ import annotations

import base64
import html
import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import optuna

from glassnet.io import atomic_path, atomic_write_bytes

#: the PNGs finish_search writes: file name -> Optuna's matplotlib function
PLOTS = {
    "optimization_history": "plot_optimization_history",
    "param_importances": "plot_param_importances",
    "intermediate_values": "plot_intermediate_values",
}


class SearchResult:
    """A finished (or running) study seen from glassnet: ``best_params``, ``best_value``, ``rows()`` (one
    dict per trial), ``best_model()``, and the files in ``output``."""

    def __init__(self, study: optuna.Study, objective: str = "value", output: Path | None = None):
        self.study, self.objective = study, objective
        self.output = Path(output) if output is not None else None

    @property
    def trials(self) -> list[optuna.trial.FrozenTrial]:
        return self.study.get_trials(deepcopy=False)

    @property
    def best_trial(self) -> optuna.trial.FrozenTrial:
        return self.study.best_trial

    @property
    def best_params(self) -> dict[str, Any]:
        """The hyper-parameters of the best COMPLETE trial."""
        return dict(self.study.best_params)

    @property
    def best_value(self) -> float:
        return float(self.study.best_value)

    @property
    def best_model_path(self) -> Path | None:
        """``output/best_model.glassnet`` if the search saved it."""
        path = self.output / "best_model.glassnet" if self.output is not None else None
        return path if path is not None and path.exists() else None

    def best_model(self):
        """The best trial's trained model, loaded from ``best_model.glassnet``."""
        from glassnet.errors import DataFileError
        from glassnet.models import load_model
        if self.best_model_path is None:
            raise DataFileError(f"No best_model.glassnet in {self.output}: the best trial's model was not saved "
                                "(the search ran without output=, or in a worker with another output folder).")
        return load_model(self.best_model_path)

    def counts(self) -> dict[str, int]:
        """How many trials ended in each state, e.g. ``{'COMPLETE': 14, 'PRUNED': 6}``."""
        counts: dict[str, int] = {}
        for trial in self.trials:
            counts[trial.state.name] = counts.get(trial.state.name, 0) + 1
        return counts

    def rows(self) -> list[dict[str, Any]]:
        """One dict per trial: trial, state, the objective's value, epochs trained, seconds, parameters."""
        rows = []
        for t in self.trials:
            seconds = t.duration.total_seconds() if t.duration is not None else None
            epochs = t.user_attrs.get("epochs", len(t.intermediate_values) or None)
            rows.append({"trial": t.number, "state": t.state.name.lower(), self.objective: t.value,
                         "epochs": epochs, "seconds": seconds, **t.params})
        return rows

    def _header(self) -> str:
        states = ", ".join(f"{n} {s.lower()}" for s, n in self.counts().items())
        try:
            params = ", ".join(f"{k}={_cell(v)}" for k, v in self.best_params.items())
            best = f"best {self.objective} {self.best_value:.4f} (trial {self.best_trial.number}): {params}"
        except ValueError:
            best = "no trial completed yet"
        return f"Search '{self.study.study_name}': {len(self.trials)} trials ({states}); {best}"

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        rows = self.rows()
        columns = list(dict.fromkeys(k for row in rows for k in row))
        best = self._best_number()
        cells = [[_cell(row.get(c)) + (" ★" if c == "trial" and row["trial"] == best else "") for c in columns]
                 for row in rows]
        return columns, cells

    def _best_number(self) -> int | None:
        try:
            return self.best_trial.number
        except ValueError:
            return None

    def __str__(self) -> str:
        columns, cells = self._cells()
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)] if cells else []
        lines = [self._header(), "  ".join(c.rjust(w) for c, w in zip(columns, widths))]
        lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths)) for row in cells]
        return "\n".join(lines)

    def __rich__(self):
        """rich's hook: the header and a table of trials (the best one starred)."""
        from rich.console import Group
        from rich.table import Table
        columns, cells = self._cells()
        table = Table()
        for column in columns:
            table.add_column(column, justify="right", min_width=min(len(column), 12))
        for row in cells:
            table.add_row(*row, style="bold green" if row[0].endswith("★") else None)
        return Group(self._header(), table)

    def _repr_markdown_(self) -> str:
        """Jupyter's rich output: the header and a markdown table."""
        columns, cells = self._cells()
        lines = [f"**{self._header()}**", "", "| " + " | ".join(columns) + " |", "|" + "---:|" * len(columns)]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines) + "\n"

    def _repr_html_(self) -> str:
        """Jupyter's rich output: the header, the table and the optimization history picture."""
        columns, cells = self._cells()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in cells)
        picture = ""
        if self.output is not None and (self.output / "optimization_history.png").exists():
            png = base64.b64encode((self.output / "optimization_history.png").read_bytes()).decode()
            picture = f"<img src='data:image/png;base64,{png}' width='480'/>"
        return (f"<div><p><b>{html.escape(self._header())}</b></p><table><tr>{head}</tr>{body}</table>"
                f"{picture}</div>")

    def plot(self, output: str | Path | None = None) -> dict[str, Path]:
        """Optuna's plots as PNGs in ``output`` (default: the search's folder): optimization history,
        parameter importances (needs 2+ completed trials) and each trial's per-epoch values (pruned
        trials stop early), and glassnet's ``trials.png`` (both at a glance). Returns {name: path}."""
        folder = Path(output) if output is not None else self.output
        made = {}
        for name, function in PLOTS.items():
            path = _optuna_png(self.study, function, folder / f"{name}.png", drop_legend=len(self.trials) > 10)
            if path is not None:
                made[name] = path
        if self._best_number() is not None:
            made["trials"] = plot_trials(self, folder / "trials.png")
        return made

    def __repr__(self) -> str:
        return f"<SearchResult {self._header()}>"


def _optuna_png(study: optuna.Study, function: str, path: Path, drop_legend: bool) -> Path | None:
    """One of Optuna's matplotlib plots saved as a PNG; None when the study has too few trials for it.
    Optuna switches matplotlib to its 'ggplot' style: that stays inside this function (rc_context)."""
    from optuna.visualization import matplotlib as optuna_plots

    from glassnet.plots import plt, save_figure  # files outside notebooks, inline inside

    with plt.rc_context(), warnings.catch_warnings():  # the plots are flagged 'experimental'
        warnings.simplefilter("ignore")
        try:
            axes = getattr(optuna_plots, function)(study)
        except (ValueError, RuntimeError, ZeroDivisionError):
            return None
        figure = axes.figure if hasattr(axes, "figure") else axes.flat[0].figure
        if drop_legend and hasattr(axes, "get_legend") and axes.get_legend() is not None:
            axes.get_legend().remove()  # one entry per trial would hide the picture
        figure.set_size_inches(7, 4.5)
        figure.tight_layout()
        save_figure(figure, path)
    return path


def plot_trials(result: SearchResult, path: Path) -> Path:
    """glassnet's picture of a search: every trial's dev curve (pruned ones stop early, the best is
    green) beside each trial's final value and the best so far."""
    from glassnet.plots import plt, save_figure  # files outside notebooks, inline inside

    pruned_state, best = optuna.trial.TrialState.PRUNED, result._best_number()
    maximize = result.study.direction == optuna.study.StudyDirection.MAXIMIZE
    fig, (curves, history) = plt.subplots(1, 2, figsize=(11, 4))
    best_so_far, numbers = [], []
    for trial in result.trials:
        steps = sorted(trial.intermediate_values)
        values = [trial.intermediate_values[s] for s in steps]
        epochs = [s + 1 for s in steps]
        if trial.number == best:
            curves.plot(epochs, values, "-", color="tab:green", linewidth=2.5, zorder=3, label=f"best (trial {best})")
        elif trial.state == pruned_state:
            curves.plot(epochs, values, "--", color="tab:orange", alpha=0.6, linewidth=1)
            if values:
                curves.plot(epochs[-1], values[-1], "x", color="tab:orange")
        else:
            curves.plot(epochs, values, "-", color="tab:blue", alpha=0.5, linewidth=1)
        last = trial.value if trial.value is not None else (values[-1] if values else None)
        if last is not None:
            history.plot(trial.number, last, "o" if trial.state != pruned_state else "x",
                         color="tab:orange" if trial.state == pruned_state else "tab:blue")
        if trial.value is not None:
            previous = best_so_far[-1] if best_so_far else trial.value
            best_so_far.append(max(previous, trial.value) if maximize else min(previous, trial.value))
            numbers.append(trial.number)
    curves.plot([], [], "-", color="tab:blue", label="completed")
    curves.plot([], [], "--x", color="tab:orange", label="pruned (stopped early)")
    curves.set(xlabel="epoch", ylabel=f"{result.objective} (dev set)", title="Every trial's dev curve")
    curves.legend()
    history.step(numbers, best_so_far, where="post", color="tab:green", label="best so far")
    history.set(xlabel="trial", ylabel=result.objective, title="Trials in order (x: pruned, last value)")
    history.legend()
    for axes in (curves, history):
        axes.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)
    return path


def finish_search(study: optuna.Study, output: Path, objective: str, plots: bool = True) -> SearchResult:
    """Write the search's files into ``output`` and return its :class:`SearchResult`."""
    result = SearchResult(study, objective, output)
    result_rows = result.rows()
    if result_rows:
        import csv
        with atomic_path(output / "trials.csv") as tmp, open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(dict.fromkeys(k for row in result_rows for k in row)))
            writer.writeheader()
            writer.writerows(result_rows)
    if result._best_number() is not None:
        best = result.best_trial
        summary = {"objective": objective, "direction": study.direction.name.lower(), "best_trial": best.number,
                   "best_value": best.value, "best_params": best.params, "counts": result.counts()}
        atomic_write_bytes(output / "best_params.json", json.dumps(summary, indent=2).encode())
        saved = best.user_attrs.get("model_path")
        if saved and Path(saved).exists():
            with atomic_path(output / "best_model.glassnet") as tmp:
                shutil.copyfile(saved, tmp)
    if plots:
        result.plot()
    return result


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if 0.01 <= abs(value) < 100 else f"{value:.3g}"
    return str(value)
