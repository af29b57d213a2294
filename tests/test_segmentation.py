"""Segmentation and localisation: IoU metrics, Dice, per-pixel crossentropy, U-Net, MNIST canvases, boxes."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import confusion_matrix, jaccard_score

from glassnet import losses, metrics, optimizers
from glassnet.errors import InvalidArgumentError
from glassnet.segmentation import (BoxIoU, BoxIoULoss, box_iou, draw_boxes, localisation_model, make_canvases,
                                   mnist_canvases, show_masks, unet)


def test_mean_iou_is_sklearns_macro_jaccard_over_present_classes():
    rng = np.random.RandomState(0)
    y_true, y_pred = rng.randint(0, 5, (4, 6, 6)), rng.randint(0, 4, (4, 6, 6))  # class 4 never predicted
    m = metrics.MeanIoU(num_classes=6)  # class 5 appears nowhere: Keras leaves it out of the mean
    m.update_state(y_true[:2], y_pred[:2]); m.update_state(y_true[2:], y_pred[2:])
    expected = jaccard_score(y_true.ravel(), y_pred.ravel(), labels=list(range(5)), average="macro")
    assert float(m.result()) == pytest.approx(expected, rel=1e-5)
    np.testing.assert_array_equal(m.total_cm.numpy(), confusion_matrix(y_true.ravel(), y_pred.ravel(), labels=range(6)))
    m.reset_state()
    assert float(m.total_cm.sum()) == 0


def test_iou_of_chosen_classes_with_probabilities_weights_and_an_ignored_class():
    rng = np.random.RandomState(1)
    y_true, scores = rng.randint(0, 3, (50,)), rng.rand(50, 3).astype("float32")
    weights = rng.rand(50)
    m = metrics.IoU(num_classes=3, target_class_ids=[1, 2], sparse_y_pred=False, ignore_class=0)
    m.update_state(torch.tensor(y_true), torch.tensor(scores), sample_weight=torch.tensor(weights))
    keep = y_true != 0
    per_class = jaccard_score(y_true[keep], scores.argmax(1)[keep], labels=[1, 2], average=None,
                              sample_weight=weights[keep])
    assert float(m.result()) == pytest.approx(per_class.mean(), rel=1e-5)


def test_mean_iou_explains_probabilities_given_as_class_ids():
    with pytest.raises(ValueError, match="sparse_y_pred=False"):
        metrics.MeanIoU(num_classes=3)(torch.zeros(2, 4, 4), torch.rand(2, 4, 4, 3))
    config = metrics.serialize(metrics.MeanIoU(num_classes=4, sparse_y_pred=False))
    assert metrics.serialize_lookup(config).get_config() == config["config"]


def test_dice_loss_follows_its_formula_and_takes_class_ids():
    rng = np.random.RandomState(2)
    probabilities = torch.softmax(torch.tensor(rng.randn(3, 5, 5, 4), dtype=torch.float32), -1)
    labels = torch.tensor(rng.randint(0, 4, (3, 5, 5)))
    one_hot = F.one_hot(labels, 4).float().numpy()
    p = probabilities.numpy()
    expected = np.mean([1 - 2 * (one_hot[i] * p[i]).sum() / (one_hot[i].sum() + p[i].sum()) for i in range(3)])
    assert losses.get("dice")(labels, probabilities).item() == pytest.approx(expected, rel=1e-5)
    assert losses.Dice()(torch.tensor(one_hot), probabilities).item() == pytest.approx(expected, rel=1e-5)


def test_per_pixel_sparse_crossentropy_is_torchs_and_trains_a_channels_last_output():
    logits = torch.randn(2, 4, 5, 5).contiguous(memory_format=torch.channels_last).movedim(1, -1).requires_grad_()
    labels = torch.randint(0, 4, (2, 5, 5))
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
    assert loss.item() == pytest.approx(F.cross_entropy(logits.detach().movedim(-1, 1), labels).item(), rel=1e-6)
    loss.backward()  # used to fail: "grad_input must be contiguous"
    assert logits.grad.shape == logits.shape


@pytest.mark.parametrize("upsampling", ["transpose", "bilinear"])
def test_unet_keeps_the_resolution_and_gives_class_probabilities(upsampling):
    model = unet((16, 24, 1), num_classes=5, filters=(4, 8, 8), upsampling=upsampling)
    out = model(torch.rand(2, 16, 24, 1))
    assert tuple(out.shape) == (2, 16, 24, 5)
    torch.testing.assert_close(out.sum(-1), torch.ones(2, 16, 24))
    with pytest.raises(InvalidArgumentError, match="divisible by 4"):
        unet((18, 18, 1), 2, filters=(4, 8, 8))


def test_canvases_are_seeded_and_masks_and_boxes_agree():
    rng = np.random.RandomState(0)
    digits = (rng.rand(20, 14, 14) > 0.6).astype(np.float32)
    labels = rng.randint(0, 10, 20)
    a = make_canvases(digits, labels, 10, canvas_size=40, digits=(2, 3), seed=5)
    b = make_canvases(digits, labels, 10, canvas_size=40, digits=(2, 3), seed=5)
    np.testing.assert_array_equal(a.images, b.images)
    for i in range(10):
        for box, cls in zip(a.boxes[i], a.classes[i]):
            if cls < 0:
                continue
            x0, y0, x1, y1 = np.round(box * 40).astype(int)
            inside = a.masks[i, y0:y1, x0:x1]
            assert (inside == cls + 1).any() and set(np.unique(inside)) <= {0, cls + 1}  # no overlaps
        assert a.masks[i].astype(bool).sum() == sum((a.masks[i] == c + 1).sum() for c in set(a.classes[i]) - {-1})
    with pytest.raises(InvalidArgumentError, match="canvas"):
        make_canvases(digits, labels, 1, canvas_size=10)


def _raster_iou(a, b, generalized=False, grid=800):
    """IoU / GIoU by counting the cells of a fine grid that each box covers: an independent reference."""
    centres = (np.arange(grid) + 0.5) / grid
    def cover(box):
        x0, y0, x1, y1 = box
        return ((centres >= y0) & (centres < y1))[:, None] & ((centres >= x0) & (centres < x1))[None, :]
    ca, cb = cover(a), cover(b)
    inter, union = (ca & cb).sum(), (ca | cb).sum()
    iou = inter / union
    if not generalized:
        return iou
    hull = cover([min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]).sum()
    return iou - (hull - union) / hull


def test_box_iou_and_giou_match_a_raster_count():
    rng = np.random.RandomState(3)
    corners = np.sort(rng.rand(8, 2, 2), axis=1)  # (x0 < x1, y0 < y1)
    boxes = np.stack([corners[:, 0, 0], corners[:, 0, 1], corners[:, 1, 0], corners[:, 1, 1]], 1).astype("float32")
    a, b = torch.tensor(boxes[:4]), torch.tensor(boxes[4:])
    for generalized in (False, True):
        expected = [_raster_iou(boxes[i], boxes[4 + i], generalized) for i in range(4)]
        np.testing.assert_allclose(box_iou(a, b, generalized).numpy(), expected, atol=0.01)
    giou = box_iou(a, b, generalized=True)
    assert BoxIoULoss()(a, b).item() == pytest.approx((1 - giou).mean().item(), rel=1e-6)
    assert box_iou(a, b.flip(-1).flip(-1)).tolist() == box_iou(b, a).tolist()  # symmetric
    m = BoxIoU(); m.update_state(a[:2], b[:2]); m.update_state(a[2:], b[2:])
    assert float(m.result()) == pytest.approx(box_iou(a, b).mean().item(), rel=1e-5)


def test_pictures_are_written(tmp_path):
    masks = np.zeros((3, 8, 8), int); masks[:, 2:5, 2:5] = 4
    assert (tmp_path / "m.png").exists() is False
    show_masks(np.random.rand(3, 8, 8, 1), masks, masks, tmp_path / "m.png")
    draw_boxes(np.random.rand(3, 8, 8, 1), np.tile([0.1, 0.1, 0.6, 0.6], (3, 1)), tmp_path / "b.png",
               np.tile([0.2, 0.2, 0.7, 0.7], (3, 1)), [1, 2, 3], [1, 2, 0])
    assert (tmp_path / "m.png").stat().st_size > 1000 and (tmp_path / "b.png").stat().st_size > 1000


@pytest.mark.slow
def test_unet_learns_to_find_the_digits_on_mnist_canvases(data_dir):
    train = mnist_canvases(600, canvas_size=32, digits=(1, 3), seed=0, shrink_by=2, data_dir=data_dir)
    test = mnist_canvases(200, canvas_size=32, digits=(1, 3), split="test", seed=1, shrink_by=2, data_dir=data_dir)
    model = unet((32, 32, 1), num_classes=2, filters=(8, 16, 32))
    model.compile(optimizer=optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=[metrics.MeanIoU(num_classes=2, sparse_y_pred=False)])
    model.fit(train.images, (train.masks > 0).astype("int64"), epochs=2, batch_size=16, verbose=0)
    _, mean_iou = model.evaluate(test.images, (test.masks > 0).astype("int64"), verbose=0)
    assert mean_iou > 0.7  # all-background scores about 0.48


@pytest.mark.slow
def test_localisation_model_learns_where_the_digit_is(data_dir):
    train = mnist_canvases(2000, canvas_size=32, digits=(1, 1), seed=0, shrink_by=2, data_dir=data_dir)
    test = mnist_canvases(300, canvas_size=32, digits=(1, 1), split="test", seed=1, shrink_by=2, data_dir=data_dir)
    model = localisation_model((32, 32, 1), 10, filters=(16, 32, 64))
    model.compile(optimizer=optimizers.Adam(1e-3), metrics={"box": [BoxIoU()]},
                  loss={"class": "sparse_categorical_crossentropy", "box": BoxIoULoss()})
    model.fit(train.images, {"class": train.classes[:, 0], "box": train.boxes[:, 0]}, epochs=2, batch_size=32,
              verbose=0)
    logs = model.evaluate(test.images, {"class": test.classes[:, 0], "box": test.boxes[:, 0]}, verbose=0,
                          return_dict=True)
    assert logs["box_iou"] > 0.5
