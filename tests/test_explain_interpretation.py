"""interpret(): confusion matrix and report against scikit-learn, top losses against torch's per-sample
crossentropy, ROC AUC and Youden's threshold against scikit-learn, printing, and the model left as it was."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from rich.console import Console
from sklearn.metrics import auc as sk_auc, classification_report, confusion_matrix, roc_auc_score, roc_curve

from glassnet.errors import InvalidArgumentError, LabelError
from glassnet.explain import interpret
from glassnet.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, Input
from glassnet.models import Sequential

NAMES = ["cat", "dog", "bird", "fish"]


def classifier(classes=4, activation="softmax"):
    return Sequential([Input(shape=(6,)), Dense(8, activation="relu"), BatchNormalization(), Dropout(0.2),
                       Dense(classes, activation=activation)])


def data(n=120, features=6, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)).astype(np.float32), rng.integers(0, classes, n)


def test_confusion_matrix_and_report_equal_scikit_learn():
    net, (x, y) = classifier(), data()
    result = interpret(net, x, y, class_names=NAMES)
    net.eval()
    with torch.no_grad():
        predicted = net(torch.from_numpy(x)).argmax(1).numpy()
    np.testing.assert_array_equal(result.y_pred, predicted)
    np.testing.assert_array_equal(result.confusion, confusion_matrix(y, predicted, labels=range(4)))
    np.testing.assert_allclose(result.confusion_normalized,
                               confusion_matrix(y, predicted, labels=range(4), normalize="true"))
    assert result.classification_report() == classification_report(y, predicted, labels=range(4), target_names=NAMES,
                                                                    zero_division=0)
    cells = {(a, p): c for a, p, c in result.most_confused()}
    assert all(cells[(NAMES[a], NAMES[b])] == result.confusion[a, b]
               for a in range(4) for b in range(4) if a != b and result.confusion[a, b])
    assert [c for _, _, c in result.most_confused()] == sorted(cells.values(), reverse=True)


def test_top_losses_are_exactly_the_highest_per_sample_losses():
    net, (x, y) = classifier(), data()
    result = interpret(net, x, y, class_names=NAMES)
    net.eval()
    with torch.no_grad():
        probabilities = net(torch.from_numpy(x))
    reference = torch.nn.functional.nll_loss(torch.log(probabilities.double()), torch.from_numpy(y), reduction="none")
    np.testing.assert_allclose(result.losses, reference.numpy(), rtol=1e-5)
    top = result.top_losses(10)
    assert [row.index for row in top] == np.argsort(-reference.numpy(), kind="stable")[:10].tolist()
    first = top[0]
    assert first.actual == NAMES[y[first.index]] and first.predicted == NAMES[predicted_of(probabilities, first.index)]
    assert first.probability == pytest.approx(probabilities[first.index].max().item(), rel=1e-5)
    assert first.loss == pytest.approx(reference.max().item(), rel=1e-5)


def predicted_of(probabilities, index):
    return int(probabilities[index].argmax())


def test_one_hot_labels_and_logit_outputs():
    net, (x, y) = classifier(activation=None), data()
    one_hot = np.eye(4)[y]
    result = interpret(net, x, one_hot)
    net.eval()
    with torch.no_grad():
        logits = net(torch.from_numpy(x))
    np.testing.assert_allclose(result.losses, torch.nn.functional.cross_entropy(
        logits, torch.from_numpy(y), reduction="none").numpy(), rtol=1e-5, atol=1e-6)
    assert result.class_names == ["0", "1", "2", "3"]


def test_binary_auc_and_youden_threshold_equal_scikit_learn(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 6)).astype(np.float32)
    y = (x[:, 0] + 0.8 * rng.normal(size=300) > 0).astype(int)  # a known, noisy binary problem
    net = Sequential([Input(shape=(6,)), Dense(1, activation="sigmoid")])
    with torch.no_grad():  # the model that knows the rule, up to the noise
        net.layers[0].weight.copy_(torch.tensor([[2.0, 0, 0, 0, 0, 0]]))
        net.layers[0].bias.zero_()
    result = interpret(net, x, y, class_names=["no", "yes"])
    net.eval()
    with torch.no_grad():
        p = net(torch.from_numpy(x))[:, 0].double().numpy()
    np.testing.assert_allclose(result.probabilities[:, 1], p, rtol=1e-6)
    p = result.probabilities[:, 1]
    fpr, tpr, thresholds = roc_curve(y, p)
    assert result.auc == pytest.approx(roc_auc_score(y, p), rel=1e-9) == pytest.approx(sk_auc(fpr, tpr), rel=1e-9)
    assert result.auc > 0.8
    assert result.youden_threshold == thresholds[int(np.argmax(tpr - fpr))]

    def youden(threshold):  # sensitivity + specificity - 1, counted by hand
        sensitivity = ((p >= threshold) & (y == 1)).sum() / (y == 1).sum()
        specificity = ((p < threshold) & (y == 0)).sum() / (y == 0).sum()
        return sensitivity + specificity - 1
    assert youden(result.youden_threshold) == pytest.approx(max(youden(t) for t in np.unique(p)))
    np.testing.assert_array_equal(result.y_pred, (p > 0.5).astype(int))
    for plot in (result.plot_roc, result.plot_calibration, result.plot_confusion_matrix):
        assert (tmp_path / plot.__name__).exists() is False
        assert plot(path=tmp_path / f"{plot.__name__}.png").endswith(".png")
    assert "AUC" in str(result)


def test_top_losses_picture_with_grad_cam_and_state_unchanged(tmp_path):
    net = Sequential([Input(shape=(8, 8, 1)), Conv2D(4, 3, activation="relu"), BatchNormalization(), Flatten(),
                      Dense(3, activation="softmax")])
    net.train()
    stats = {k: v.clone() for k, v in net.state_dict().items()}
    rng = np.random.default_rng(0)
    x, y = rng.random((20, 8, 8, 1), dtype=np.float32), rng.integers(0, 3, 20)
    result = interpret(net, x, y)
    path = result.plot_top_losses(6, path=tmp_path / "top.png")
    assert (tmp_path / "top.png").stat().st_size > 1000 and path.endswith("top.png")
    assert net.training and all(torch.equal(stats[k], v) for k, v in net.state_dict().items())
    assert all(p.grad is None for p in net.parameters())


def test_printing_for_terminal_and_notebook():
    net, (x, y) = classifier(), data()
    result = interpret(net, x, y, class_names=NAMES)
    console = Console(record=True, width=120)
    console.print(result)
    text = console.export_text()
    assert "Confusion matrix" in text and "precision" in text and "accuracy" in text
    assert result._repr_png_()[:4] == b"\x89PNG"
    assert "<img src='data:image/png;base64," in result._repr_html_()
    assert repr(result).startswith("<Interpretation: 120 samples")


def test_mistakes_in_the_call_are_explained():
    net, (x, y) = classifier(), data()
    with pytest.raises(LabelError, match="120 samples but 119 labels"):
        interpret(net, x, y[:-1])
    with pytest.raises(InvalidArgumentError, match="3 class_names for a model with 4 classes"):
        interpret(net, x, y, class_names=NAMES[:3])
    with pytest.raises(LabelError, match=r"labels range 0\.\.4 but the model has 4 classes"):
        interpret(net, x, np.r_[y[:-1], 4])
    with pytest.raises(InvalidArgumentError, match="for two classes"):
        interpret(net, x, y).auc


def test_report_of_a_tabular_classifier_lists_the_top_losses(tmp_path):
    from glassnet.explain import write_report
    net, (x, y) = classifier(), data()
    page = write_report(tmp_path, model=net, x=x, y=y, class_names=NAMES).read_text()
    worst = interpret(net, x, y).top_losses(1)[0]
    assert "<h2>Top losses</h2><table>" in page and f"<tr><td>{worst.index}</td>" in page
    with pytest.raises(InvalidArgumentError, match="plot_top_losses draws images"):
        interpret(net, x, y).plot_top_losses(3, path=tmp_path / "t.png")
