"""Make the README pictures of "Generative models, style transfer and segmentation" and print the numbers
beside them, with CPU times. Run from the repository root:

    GLASSNET_DATA=/path/to/data python docs/generative_pictures.py [--quick] [PART ...]

--quick shrinks every run to check that the script works (and writes to /tmp, not docs/images); PART names
one of the functions below (e.g. segmentation) to redo only its pictures.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from glassnet import metrics, optimizers
from glassnet.datasets import fashion_mnist, mnist
from glassnet.datasets.files import data_dir
from glassnet.generative import (GAN, ClassifierScore, ConditionalGAN, GANSampleGrid, classifier_score,
                                 dcgan_discriminator, dcgan_generator, style_transfer)
from glassnet.layers import Dense, Flatten, Input
from glassnet.models import Sequential
from glassnet.plots import plt
from glassnet.segmentation import (BoxIoU, BoxIoULoss, box_iou, draw_boxes, localisation_model, mnist_canvases,
                                   show_masks, unet)

QUICK = "--quick" in sys.argv
IMAGES = Path(tempfile.mkdtemp()) if QUICK else Path(__file__).parent / "images"


def size(full: int, quick: int) -> int:
    return quick if QUICK else full


def mlp_classifier(x: np.ndarray, y: np.ndarray) -> Sequential:
    """The scoring classifier: an MLP trained on real images (3 epochs)."""
    model = Sequential([Input(shape=(28, 28, 1)), Flatten(), Dense(128, activation="relu"),
                        Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=size(3, 1), batch_size=128, verbose=0)
    return model


def gan_fashion() -> None:
    (x, y), (xt, yt) = fashion_mnist.load_data()
    x = x[..., None].astype("float32") / 255
    clf = mlp_classifier(x[:size(20000, 1000)], y[:size(20000, 1000)])
    print("classifier test accuracy", clf.evaluate(xt[..., None] / 255.0, yt, verbose=0)[1])
    gan = GAN(dcgan_generator(32, (28, 28, 1), width=24), dcgan_discriminator((28, 28, 1), width=24), 32)
    gan.compile(d_optimizer=optimizers.Adam(5e-4, beta_1=0.5), g_optimizer=optimizers.Adam(5e-4, beta_1=0.5))
    print("untrained", classifier_score(clf, gan.generate(1000, seed=0)))
    grid = GANSampleGrid(tempfile.mkdtemp(), n=32)
    start = time.time()
    history = gan.fit(x[:size(8000, 256)], epochs=size(6, 1), batch_size=64, verbose=0,
                      callbacks=[ClassifierScore(clf, n=1000), grid])
    print({k: np.round(v, 3).tolist() for k, v in history.history.items()}, f"{time.time() - start:.0f} s")
    shutil.copy(grid.paths[0], IMAGES / "gan_fashion_mnist_epoch1.png")
    shutil.copy(grid.paths[-1], IMAGES / "gan_fashion_mnist.png")


def gan_conditional() -> None:
    (x, y), _ = mnist.load_data()
    x, y = x[:size(6000, 1000), ..., None].astype("float32") / 255, y[:size(6000, 1000)]
    clf = mlp_classifier(x, y)
    cgan = ConditionalGAN(dcgan_generator(16, (28, 28, 1), width=16, num_classes=10),
                          dcgan_discriminator((28, 28, 1), width=16, num_classes=10), 16, num_classes=10)
    cgan.compile(d_optimizer=optimizers.Adam(1e-3, beta_1=0.5), g_optimizer=optimizers.Adam(1e-3, beta_1=0.5))
    grid = GANSampleGrid(tempfile.mkdtemp(), columns=8)
    start = time.time()
    cgan.fit(x[:size(3000, 256)], y[:size(3000, 256)], epochs=size(5, 1), batch_size=64, verbose=0, callbacks=[grid])
    asked = np.arange(500) % 10
    drawn = clf.predict(cgan.generate(labels=asked, seed=0), verbose=0).argmax(1)
    print("asked digit drawn:", (drawn == asked).mean(), f"{time.time() - start:.0f} s")
    shutil.copy(grid.paths[-1], IMAGES / "gan_conditional_mnist.png")


def segmentation() -> None:
    train = mnist_canvases(size(2000, 64), canvas_size=32, digits=(1, 3), seed=0, shrink_by=2)
    test = mnist_canvases(size(500, 32), canvas_size=32, digits=(1, 3), split="test", seed=1, shrink_by=2)
    model = unet((32, 32, 1), 11, filters=(16, 32, 64))
    model.compile(optimizer=optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=[metrics.MeanIoU(11, sparse_y_pred=False)])
    start = time.time()
    model.fit(train.images, train.masks, sample_weight=np.where(train.masks > 0, 5.0, 1.0).astype("float32"),
              epochs=size(6, 1), batch_size=16, verbose=0)
    print("U-Net test loss, mean IoU", model.evaluate(test.images, test.masks, verbose=0),
          f"{time.time() - start:.0f} s")
    show_masks(test.images, test.masks, model.predict(test.images, verbose=0).argmax(-1), IMAGES / "seg_masks.png",
               n=8)


def localisation() -> None:
    train = mnist_canvases(size(3000, 64), canvas_size=32, digits=(1, 1), seed=0, shrink_by=2)
    test = mnist_canvases(size(500, 32), canvas_size=32, digits=(1, 1), split="test", seed=1, shrink_by=2)
    model = localisation_model((32, 32, 1), 10, filters=(16, 32, 64), dense=128)
    model.compile(optimizer=optimizers.Adam(1e-3), metrics={"class": ["accuracy"], "box": [BoxIoU()]},
                  loss={"class": "sparse_categorical_crossentropy", "box": BoxIoULoss()})
    start = time.time()
    model.fit(train.images, {"class": train.classes[:, 0], "box": train.boxes[:, 0]}, epochs=size(8, 1),
              batch_size=32, verbose=0)
    classes, boxes = model.predict(test.images, verbose=0)
    iou = box_iou(torch.tensor(boxes), torch.tensor(test.boxes[:, 0])).numpy()
    print(f"box IoU {iou.mean():.3f}, IoU > 0.5: {(iou > 0.5).mean():.3f}, class accuracy "
          f"{(classes.argmax(1) == test.classes[:, 0]).mean():.3f}, {time.time() - start:.0f} s")
    draw_boxes(test.images, test.boxes[:, 0], IMAGES / "seg_boxes.png", boxes, test.classes[:, 0],
               classes.argmax(1), n=8)


def style() -> None:
    def photo(name: str) -> np.ndarray:
        image = Image.open(data_dir() / "photos" / name).convert("RGB").resize((size(128, 32),) * 2)
        return np.asarray(image, np.float32) / 255
    content, style_image = photo("n01882714_koala.JPEG"), photo("n02317335_starfish.JPEG")
    start = time.time()
    result = style_transfer(content, style_image, steps=size(40, 3), init="content", style_weight=30, tv_weight=2,
                            optimizer="lbfgs")
    history = result.history
    print("style loss", history["style_loss"][0], "->", history["style_loss"][-1], f"{time.time() - start:.0f} s")
    fig, axes = plt.subplots(1, 4, figsize=(11, 3))
    for ax, image, title in zip(axes[:3], (content, style_image, result.image), ("content", "style", "result")):
        ax.imshow(image), ax.set_title(title), ax.axis("off")
    axes[3].plot(history["content_loss"], label="content loss")
    axes[3].plot(history["style_loss"], label="style loss")
    axes[3].set_yscale("log"), axes[3].set_xlabel("evaluation"), axes[3].set_title("losses (unweighted)")
    axes[3].legend()
    fig.tight_layout()
    fig.savefig(IMAGES / "style_transfer.png", dpi=90)
    plt.close(fig)


PARTS = {f.__name__: f for f in (gan_fashion, gan_conditional, segmentation, localisation, style)}

if __name__ == "__main__":
    torch.manual_seed(0)
    chosen = [a for a in sys.argv[1:] if not a.startswith("--")] or list(PARTS)
    for part in chosen:
        print(f"--- {part}")
        PARTS[part]()
    print("pictures in", IMAGES)
