"""One self-contained HTML page per training run: what the model is, how it learned, how it errs.

The page (``report.html`` in the run folder) inlines every picture as base64 and loads nothing
from elsewhere, so it opens offline, can be mailed, and survives moving the folder. Sections:
model summary (shapes, parameters, FLOPs), results (``metrics.json``), learning curves, the
bias/variance verdict, the health diagnosis (``diagnosis.md`` and its pictures, when
``glassnet train --diagnose`` wrote them), and, given test data: the confusion matrix, the
per-class report, the top losses with their Grad-CAM, and sample predictions.

>>> import tempfile, json, pathlib
>>> run = pathlib.Path(tempfile.mkdtemp())
>>> _ = (run / 'metrics.json').write_text(json.dumps({'dataset': 'digits', 'test_accuracy': 0.97}))
>>> page = write_report(run)
>>> 'test_accuracy' in page.read_text() and page.name
'report.html'
"""

from __future__ import annotations

import base64
import csv
import html
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from glassnet.io import atomic_write_bytes

_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ccc; }
pre { background: #f6f6f6; padding: .8em; overflow-x: auto; font-size: 12px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25em .6em; text-align: left; }
img { max-width: 100%; height: auto; display: block; margin: .5em 0; }
.verdict { font-size: 1.2em; font-weight: bold; } .note { color: #666; font-size: .9em; }
"""


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _pre(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def _metrics_table(metrics: dict) -> str:
    rows = []
    for key, value in metrics.items():
        if isinstance(value, dict):
            continue
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        rows.append(f"<tr><th>{html.escape(str(key))}</th><td>{html.escape(shown)}</td></tr>")
    return f"<table>{''.join(rows)}</table>"


def _bias_variance(metrics: dict) -> str:
    bv = metrics.get("bias_variance")
    if not bv:
        return "<p class='note'>No bias/variance verdict (the run had no validation split).</p>"
    steps = "".join(f"<li>{html.escape(step)}</li>" for step in bv.get("recipe", []))
    return (f"<p class='verdict'>Verdict: {html.escape(str(bv.get('verdict')))}</p>"
            f"<p>train error {bv.get('train_error', float('nan')):.1%} · dev error "
            f"{bv.get('dev_error', float('nan')):.1%}</p><p>Try, in this order:</p><ol>{steps}</ol>")


def _history_plot(run_dir: Path) -> bytes | None:
    """Learning curves from history.csv when the run has no learning_curves.png."""
    path = run_dir / "history.csv"
    if not path.exists():
        return None
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return None
    from glassnet.plots import plot_history
    logs = {k: [float(r[k]) for r in rows] for k in rows[0] if k != "epoch"}
    with tempfile.TemporaryDirectory() as tmp:
        plot_history(logs, Path(tmp) / "curves.png")
        return (Path(tmp) / "curves.png").read_bytes()


def _summary(model: torch.nn.Module) -> str:
    try:
        text = model.summary(print_fn=lambda line: None)
    except Exception as err:  # a model the summary cannot trace still gets a report
        return f"<p class='note'>No summary: {html.escape(str(err))}</p>"
    return _pre(str(text))


def _diagnosis(run_dir: Path) -> str:
    """diagnosis.md as HTML with its pictures inlined, then any other PNG of the run."""
    parts, used = [], {"learning_curves.png"}
    md = run_dir / "diagnosis.md"
    if md.exists():
        text = md.read_text(errors="replace")
        try:
            import markdown
            page = markdown.markdown(html.escape(text, quote=False), extensions=["tables"])
        except ImportError:  # pragma: no cover - markdown comes with tensorboard
            page = _pre(text)
        for png in run_dir.glob("*.png"):
            for quote in ('"', "'"):
                ref = f"src={quote}{png.name}{quote}"
                if ref in page:
                    used.add(png.name)
                    data = base64.b64encode(png.read_bytes()).decode()
                    page = page.replace(ref, f'src="data:image/png;base64,{data}"')
        parts.append(page)
    for png in sorted(run_dir.glob("*.png")):
        if png.name not in used:
            parts.append(f"<h3>{html.escape(png.stem.replace('_', ' '))}</h3>{_img(png.read_bytes(), png.stem)}")
    return "".join(parts) or ("<p class='note'>No health diagnosis in this run (train with "
                              "<code>glassnet train --diagnose</code> to get one).</p>")


def _classifier_sections(model, x, y, class_names, top_k: int) -> str:
    from glassnet.explain.interpretation import interpret
    from glassnet.explain.overlay import overlay
    result = interpret(model, x, y, class_names=class_names)
    confused = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(p)}</td><td>{c}</td></tr>"
                       for a, p, c in result.most_confused()[:10])
    parts = [f"<h2>Confusion matrix</h2><p>{len(result.y_true)} test samples, accuracy {result.accuracy:.2%}.</p>",
             _img(result.plot_confusion_matrix(path=None), "confusion matrix"),
             "<h3>Most confused pairs</h3>",
             f"<table><tr><th>actual</th><th>predicted</th><th>count</th></tr>{confused}</table>" if confused
             else "<p>No mistakes.</p>",
             "<h3>Per-class precision, recall, F1</h3>", _pre(result.classification_report())]
    if result.binary and len(np.unique(result.y_true)) == 2:
        parts += [f"<h2>ROC and calibration</h2><p>AUC {result.auc:.3f}; Youden threshold "
                  f"{result.youden_threshold:.3f}</p>", _img(result.plot_roc(path=None), "ROC curve"),
                  _img(result.plot_calibration(path=None), "calibration")]
    if np.ndim(x) != 4:  # not images: the worst mistakes as a table
        rows = "".join(f"<tr><td>{r.index}</td><td>{html.escape(r.predicted)}</td><td>{html.escape(r.actual)}</td>"
                       f"<td>{r.probability:.3f}</td><td>{r.loss:.3f}</td></tr>" for r in result.top_losses(top_k))
        return "".join(parts) + ("<h2>Top losses</h2><table><tr><th>sample</th><th>predicted</th><th>actual</th>"
                                 f"<th>probability</th><th>loss</th></tr>{rows}</table>")
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(result.plot_top_losses(top_k, path=Path(tmp) / "top.png"))
        parts += ["<h2>Top losses</h2><p>The test images the model got most wrong: predicted/actual, the "
                  "probability of the prediction and the loss; the Grad-CAM of the predicted class is laid "
                  "over convolutional models' images.</p>", _img(top.read_bytes(), "top losses")]
        n = min(16, len(result.y_true))
        sample = overlay(np.asarray(x)[:n], np.zeros(np.asarray(x)[:n].shape[:3]), predicted=result.y_pred[:n],
                         true=result.y_true[:n], class_names=result.class_names, path=Path(tmp) / "s.png", alpha=0.0,
                         title="Sample predictions (red: wrong)")
        parts += ["<h2>Sample predictions</h2>", _img(Path(sample).read_bytes(), "sample predictions")]
    return "".join(parts)


def write_report(run_dir: str | os.PathLike, model: torch.nn.Module | None = None, x: Any = None, y: Any = None,
                 class_names: Sequence[str] | None = None, path: str | os.PathLike | None = None,
                 top_k: int = 12) -> Path:
    """Write the run's HTML report (default ``RUN_DIR/report.html``) and return its path.

    ``model``: the trained model (default: ``RUN_DIR/model.glassnet`` when present). ``x``, ``y``:
    test images (user layout, as the model takes them) and labels, for the confusion matrix, top
    losses and sample predictions; without them those sections are left out.
    """
    run_dir = Path(run_dir)
    metrics = json.loads((run_dir / "metrics.json").read_text()) if (run_dir / "metrics.json").exists() else {}
    if model is None and (run_dir / "model.glassnet").exists():
        from glassnet.models import load_model
        model = load_model(run_dir / "model.glassnet", compile=False)
    title = f"{metrics.get('model', 'model')} on {metrics.get('dataset', 'data')}"
    body = [f"<h1>glassnet run report: {html.escape(title)}</h1><p class='note'>{html.escape(str(run_dir))}</p>",
            "<h2>Results</h2>", _metrics_table(metrics)]
    if model is not None:
        body += ["<h2>Model</h2>", _summary(model)]
    curves = (run_dir / "learning_curves.png").read_bytes() if (run_dir / "learning_curves.png").exists() \
        else _history_plot(run_dir)
    body += ["<h2>Learning curves</h2>", _img(curves, "learning curves") if curves
             else "<p class='note'>No history in this run.</p>"]
    body += ["<h2>Bias and variance</h2>", _bias_variance(metrics), "<h2>Health diagnosis</h2>", _diagnosis(run_dir)]
    if model is not None and x is not None and y is not None:
        body.append(_classifier_sections(model, x, y, class_names, top_k))
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><link rel='icon' href='data:,'>"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>{''.join(body)}</body></html>")
    out = Path(path) if path is not None else run_dir / "report.html"
    atomic_write_bytes(out, page.encode("utf-8"))
    return out


__all__ = ["write_report"]
