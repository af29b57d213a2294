"""Make the README pictures of "Beyond classification" (autoencoders, anomaly detection, adversarial examples)
and print the numbers beside them, with CPU times. Run from the repository root:

    GLASSNET_DATA=/path/to/data python docs/beyond_classification_pictures.py [--quick] [PART ...]

The settings are those of the tests (tests/test_anomaly.py, tests/test_autoencoders_mnist.py,
tests/test_adversarial.py); --quick shrinks every run to check that the script works; PART names
one of the functions below (e.g. adversarial_mnist) to redo only its pictures.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from glassnet.adversarial import (AdversarialTraining, accuracy_vs_epsilon, fgsm, pgd, plot_adversarial_examples,
                                  predict_classes)
from glassnet.datasets import lfw, mnist
from glassnet.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D, Rescaling
from glassnet.models import Sequential
from glassnet.plots import plt
from glassnet.unsupervised import (dense_autoencoder, detection_auc, pca_reconstruction_errors, plot_image_grid,
                                   plot_latent_space, plot_reconstructions, reconstruction_errors,
                                   variational_autoencoder)

IMAGES = Path(__file__).parent / "images"
QUICK = "--quick" in sys.argv
SCALE = 0.1 if QUICK else 1.0
numbers: dict = {}


def n(count: int) -> int:
    return max(64, int(count * SCALE))


def timed(name: str):
    class Timer:
        def __enter__(self):
            self.start = time.perf_counter()

        def __exit__(self, *exc):
            numbers[f"{name}_seconds"] = round(time.perf_counter() - self.start, 1)
    return Timer()


def mnist_images():
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    return (x_train[..., None].astype("float32") / 255, y_train), (x_test[..., None].astype("float32") / 255, y_test)


def anomaly_and_reconstructions(x_train, y_train, x_test, y_test):
    normal = x_train[y_train != 0][:n(12000)]
    x, y = x_test[:n(4000)], y_test[:n(4000)]
    torch.manual_seed(0)
    with timed("anomaly_autoencoder"):
        ae = dense_autoencoder((28, 28, 1), code_size=32, hidden=(256,))
        ae.compile(optimizer="adam", loss="mse")
        ae.fit(normal, normal, epochs=5, batch_size=128, verbose=0)
    numbers["anomaly_auc_autoencoder"] = round(detection_auc(reconstruction_errors(ae, x), y == 0), 3)
    numbers["anomaly_auc_pca"] = round(detection_auc(pca_reconstruction_errors(normal, x, 32), y == 0), 3)
    shown = np.concatenate([x[y == d][:1] for d in range(10)])
    pca = PCA(32).fit(normal.reshape(len(normal), -1))
    plot_reconstructions({"input": shown, "autoencoder": ae.predict(shown, verbose=0),
                          "PCA (32)": pca.inverse_transform(pca.transform(shown.reshape(10, -1)))},
                         IMAGES / "ae_reconstructions.png", image_shape=(28, 28),
                         title="Code size 32, trained without any 0: the 0 comes back blurred")


def latent_spaces(x_train, y_train, x_test, y_test):
    train, x, y = x_train[:n(20000)], x_test[:n(3000)], y_test[:n(3000)]
    torch.manual_seed(0)
    with timed("latent_autoencoder"):
        ae = dense_autoencoder((28, 28, 1), code_size=2, hidden=(256, 64))
        ae.compile(optimizer="adam", loss="mse")
        ae.fit(train, train, epochs=8, batch_size=128, verbose=0)
    torch.manual_seed(0)
    with timed("vae"):
        vae = variational_autoencoder((28, 28, 1), latent_dim=2, hidden=(256,))
        vae.compile(optimizer="adam")
        history = vae.fit(train, epochs=8, batch_size=128, verbose=0).history
    numbers["vae_final"] = {k: round(v[-1], 2) for k, v in history.items()}
    pca = PCA(2).fit(train.reshape(len(train), -1))
    plot_latent_space({"PCA (2 components)": pca.transform(x.reshape(len(x), -1)),
                       "autoencoder (code size 2)": ae.encoder.predict(x, verbose=0),
                       "VAE (z_mean)": vae.encoder.predict(x, verbose=0)[0]}, y, IMAGES / "ae_latent.png",
                      title="MNIST test digits in two dimensions")
    grid = np.linspace(-2, 2, 10)
    codes = np.array([[a, b] for b in grid[::-1] for a in grid], "float32")
    plot_image_grid(vae.decoder.predict(codes, verbose=0), IMAGES / "ae_vae_samples.png", columns=10,
                    title="VAE: decoded codes on a grid over [-2, 2]^2")


def mnist_convnet() -> Sequential:
    return Sequential([Input(shape=(28, 28, 1)), Conv2D(16, 3, activation="relu"), MaxPooling2D(),
                       Conv2D(32, 3, activation="relu"), MaxPooling2D(), Flatten(), Dense(10, activation="softmax")])


def adversarial_mnist(x_train, y_train, x_test, y_test):
    x, y = x_test[:500], y_test[:500]
    epsilons = [0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2]
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for name in ("plain", "adversarial"):
        torch.manual_seed(0)
        model = mnist_convnet()
        trainer = AdversarialTraining(model, epsilon=0.1) if name == "adversarial" else model
        trainer.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        with timed(f"mnist_{name}_training"):
            trainer.fit(x_train[:n(6000)], y_train[:n(6000)], epochs=2, batch_size=64, verbose=0)
        for attack, options in (("fgsm", {}), ("pgd", {"steps": 10, "alpha": 0.025, "seed": 0})):
            with timed(f"mnist_{name}_{attack}_curve"):
                curve = accuracy_vs_epsilon(model, x, y, epsilons, attack, **options)
            numbers[f"mnist_{name}_{attack}"] = dict(zip(epsilons, [round(a, 3) for a in curve.accuracies]))
            curve.plot(ax=ax, label=f"{attack.upper()}, {name} training")
        if name == "plain":  # four digits the attack fools
            attacked = fgsm(model, x[:100], y[:100], 0.1)
            fooled = np.flatnonzero(predict_classes(model, attacked)[0] != y[:100])[:4]
            plot_adversarial_examples(model, x[fooled], attacked[fooled], IMAGES / "adversarial_mnist.png",
                                      title="FGSM, eps = 0.1: image | perturbation (amplified) | adversarial")
    ax.set_title("MNIST convnet under L-inf attacks (500 test digits)")
    fig.tight_layout()
    fig.savefig(IMAGES / "adversarial_accuracy.png", dpi=100)
    plt.close(fig)


def adversarial_faces():
    from glassnet.applications import MobileNet
    weights = Path(lfw.files.data_dir(None)) / "weights" / "mobilenet_2_5_224_tf_no_top.h5"
    (x_train, y_train), (x_test, y_test) = lfw.load_data(min_faces_per_person=70, resize=1.0, color=True)
    names = [name.replace("_", " ") for name in lfw.class_names(min_faces_per_person=70)]
    x_train, x_test = x_train.astype("float32") / 255, x_test.astype("float32") / 255
    torch.manual_seed(0)
    with timed("lfw_head"):
        base = MobileNet(alpha=0.25, include_top=False, pooling="avg", weights=str(weights),
                         input_shape=x_train.shape[1:])
        features = Sequential([Input(shape=x_train.shape[1:]), Rescaling(2.0, offset=-1.0), base])
        head = Sequential([Input(shape=(256,)), Dense(7, activation="softmax")])
        head.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        head.fit(features.predict(x_train, batch_size=128, verbose=0), y_train, epochs=60, batch_size=64, verbose=0)
    model = Sequential([Input(shape=x_train.shape[1:]), features, head])
    predicted = predict_classes(model, x_test)[0]
    numbers["lfw_test_accuracy"] = round(float((predicted == y_test).mean()), 3)
    faces, people = x_test[predicted == y_test][:n(120)], y_test[predicted == y_test][:n(120)]
    targets = (people + 1) % 7
    with timed("lfw_targeted_pgd"):
        adversarial = pgd(model, faces, None, 2 / 255, alpha=0.5 / 255, steps=10, targeted=True, target=targets,
                          seed=0)
    fooled = predict_classes(model, adversarial)[0]
    numbers["lfw_faces_attacked"] = len(faces)
    numbers["lfw_changed_person"] = round(float((fooled != people).mean()), 3)
    numbers["lfw_hit_target"] = round(float((fooled == targets).mean()), 3)
    plot_adversarial_examples(model, faces[:3], adversarial[:3], IMAGES / "adversarial_lfw.png", class_names=names,
                              title="Targeted PGD, eps = 2/255: face | perturbation (amplified) | adversarial")


if __name__ == "__main__":
    torch.set_num_threads(1)
    IMAGES.mkdir(exist_ok=True)
    chosen = [a for a in sys.argv[1:] if not a.startswith("--")]  # e.g. adversarial_mnist; default: all
    data = mnist_images()
    for part in (anomaly_and_reconstructions, latent_spaces, adversarial_mnist, adversarial_faces):
        if not chosen or part.__name__ in chosen:
            part(*data[0], *data[1]) if part is not adversarial_faces else part()
    print(json.dumps(numbers, indent=1))
