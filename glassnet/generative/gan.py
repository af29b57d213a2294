"""Generative adversarial networks (Goodfellow et al. 2014) with Keras' custom-``train_step`` pattern.

A generator maps random codes ``z ~ N(0, I)`` to images; a discriminator maps an image to one
logit, "real" (label 1) or "fake" (label 0). Each ``fit`` step plays one round of the game:

1. the discriminator takes a step on real images (label 1) and generated ones (label 0);
2. the generator takes a step to make the discriminator call fresh fakes real (label 1).

Each player has its own optimizer (``compile(d_optimizer=..., g_optimizer=..., loss_fn=...)``);
``fit`` reports ``d_loss`` and ``g_loss``, and callbacks, the progress bar and ``History`` work
as for any model. :class:`ConditionalGAN` also feeds the class label to both networks, so
``generate(labels=...)`` draws the classes you ask for.

>>> import numpy as np
>>> from glassnet.generative import GAN, dcgan_discriminator, dcgan_generator
>>> gan = GAN(dcgan_generator(8, (28, 28, 1), width=4), dcgan_discriminator((28, 28, 1), width=4), latent_dim=8)
>>> gan.compile(d_optimizer='adam', g_optimizer='adam')
>>> sorted(gan.fit(np.random.rand(8, 28, 28, 1), epochs=1, batch_size=4, verbose=0).history)
['d_loss', 'g_loss']
>>> gan.generate(3, seed=0).shape
(3, 28, 28, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from glassnet import losses, optimizers
from glassnet.errors import InvalidArgumentError
from glassnet.metrics import Mean
from glassnet.models import Model
from glassnet.modes import evaluating
from glassnet.training.steps import unpack


class GAN(Model):
    """A generator and a discriminator trained against each other; see the module docstring.

    ``generator`` maps ``(N, latent_dim)`` codes to images; ``discriminator`` maps images to
    ``(N, 1)`` logits (no sigmoid: the default loss is ``BinaryCrossentropy(from_logits=True)``).
    ``label_smoothing`` puts real labels at ``1 - label_smoothing`` (Salimans et al. 2016).

    >>> from glassnet.generative import dcgan_discriminator, dcgan_generator
    >>> gan = GAN(dcgan_generator(4, (28, 28, 1), width=4), dcgan_discriminator((28, 28, 1), width=4), 4)
    >>> gan.latent_dim, gan.generator.name, gan.discriminator.name
    (4, 'generator', 'discriminator')
    """

    def __init__(self, generator: Model, discriminator: Model, latent_dim: int, label_smoothing: float = 0.0,
                 **kwargs: Any):
        super().__init__(**kwargs)
        if not 0.0 <= label_smoothing < 0.5:
            raise InvalidArgumentError(f"GAN(label_smoothing={label_smoothing}) must be in [0, 0.5): it moves "
                                       "the real label 1 down to 1 - label_smoothing (try 0.1).")
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim, self.label_smoothing = int(latent_dim), float(label_smoothing)
        self.d_loss_tracker, self.g_loss_tracker = Mean(name="d_loss"), Mean(name="g_loss")
        self.d_optimizer = self.g_optimizer = self.loss_fn = None

    # ------------------------------------------------------------------ configuration
    def compile(self, d_optimizer: Any = "adam", g_optimizer: Any = "adam", loss_fn: Any = None,
                **kwargs: Any) -> None:
        """Two optimizers (names or objects; give each its own object) and the loss both players
        use (default: binary crossentropy on the discriminator's logits). Other arguments
        (``device``...) go to :meth:`Model.compile`.

        >>> from glassnet.generative import dcgan_discriminator, dcgan_generator
        >>> gan = GAN(dcgan_generator(4, (28, 28, 1), width=4), dcgan_discriminator((28, 28, 1), width=4), 4)
        >>> gan.compile(d_optimizer='sgd', g_optimizer='adam'); type(gan.d_optimizer).__name__
        'SGD'
        """
        self.d_optimizer, self.g_optimizer = optimizers.get(d_optimizer), optimizers.get(g_optimizer)
        if self.d_optimizer is self.g_optimizer:
            raise InvalidArgumentError("GAN.compile got the same optimizer object for both networks; each "
                                       "needs its own state: e.g. d_optimizer=Adam(2e-4), g_optimizer=Adam(2e-4).")
        self.loss_fn = losses.get(loss_fn if loss_fn is not None else losses.BinaryCrossentropy(from_logits=True))
        kwargs.setdefault("precision", "float32")
        super().compile(optimizer="sgd", **kwargs)  # fit's bookkeeping; the two optimizers above do the work

    @property
    def metrics(self) -> list:
        return [self.d_loss_tracker, self.g_loss_tracker]

    # ------------------------------------------------------------------ the game
    def latent(self, n: int, device: torch.device | str = "cpu", seed: int | None = None) -> torch.Tensor:
        """``n`` codes from N(0, I), of shape (n, latent_dim) (``seed`` for a fixed set).

        >>> GAN(Model(), Model(), latent_dim=3).latent(2, seed=0).shape
        torch.Size([2, 3])
        """
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        return torch.randn(n, self.latent_dim, generator=generator).to(device)

    def _generate(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return self.generator(z)

    def _discriminate(self, images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return self.discriminator(images)

    def _fake_labels(self, n: int, real_labels: torch.Tensor | None, device: torch.device) -> torch.Tensor | None:
        return None

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        """``loss_fn`` on real logits against label ``1 - label_smoothing`` and fakes against 0, as one batch."""
        targets = torch.cat([torch.full_like(real_logits, 1.0 - self.label_smoothing), torch.zeros_like(fake_logits)])
        return self.loss_fn(targets, torch.cat([real_logits, fake_logits]).float())

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """``loss_fn`` on the fakes' logits against label 1: the generator wins when they pass as real."""
        return self.loss_fn(torch.ones_like(fake_logits), fake_logits.float())

    def train_step(self, data: Any) -> dict[str, torch.Tensor]:
        real, labels, _ = unpack(data)
        n, device = len(real), real.device
        d_weights = [p for p in self.discriminator.parameters() if p.requires_grad]
        g_weights = [p for p in self.generator.parameters() if p.requires_grad]
        # 1. the discriminator: real images are 1, the generator's current fakes are 0
        fake_labels = self._fake_labels(n, labels, device)
        with torch.no_grad():
            fakes = self._generate(self.latent(n, device), fake_labels)
        scores = self._discriminate(torch.cat([real.to(fakes.dtype), fakes]), _joined(labels, fake_labels))
        d_loss = self.discriminator_loss(scores[:n], scores[n:])
        self.d_optimizer.apply(torch.autograd.grad(d_loss, d_weights), d_weights)
        # 2. the generator: fresh fakes that the (updated) discriminator should call real
        fake_labels = self._fake_labels(n, labels, device)
        fake_scores = self._discriminate(self._generate(self.latent(n, device), fake_labels), fake_labels)
        g_loss = self.generator_loss(fake_scores)
        self.g_optimizer.apply(torch.autograd.grad(g_loss, g_weights), g_weights)
        self.d_loss_tracker.update_state(d_loss.detach(), sample_weight=n)
        self.g_loss_tracker.update_state(g_loss.detach(), sample_weight=n)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data: Any) -> dict[str, torch.Tensor]:
        real, labels, _ = unpack(data)
        n, device = len(real), real.device
        fake_labels = self._fake_labels(n, labels, device)
        fake_scores = self._discriminate(self._generate(self.latent(n, device), fake_labels), fake_labels)
        d_loss = self.discriminator_loss(self._discriminate(real, labels), fake_scores)
        self.d_loss_tracker.update_state(d_loss, sample_weight=n)
        self.g_loss_tracker.update_state(self.generator_loss(fake_scores), sample_weight=n)
        return {m.name: m.result() for m in self.metrics}

    def summary(self, *args: Any, **kwargs: Any) -> str:
        """The generator's summary, then the discriminator's (a GAN has no single forward pass).

        >>> from glassnet.generative import dcgan_discriminator, dcgan_generator
        >>> gan = GAN(dcgan_generator(4, (28, 28, 1), width=4), dcgan_discriminator((28, 28, 1), width=4), 4)
        >>> 'discriminator' in gan.summary(print_fn=lambda *a, **k: None)
        True
        """
        return "\n".join(net.summary(*args, **kwargs) for net in (self.generator, self.discriminator))

    # ------------------------------------------------------------------ using the generator
    def generate(self, n: int | None = None, seed: int | None = None, labels: Any = None,
                 batch_size: int = 256) -> np.ndarray:
        """``n`` generated images as a numpy array (in the user's image layout), in inference mode.
        ``seed`` fixes the codes (the same seed gives the same codes, so a grid shows progress).

        >>> from glassnet.generative import dcgan_discriminator, dcgan_generator
        >>> gan = GAN(dcgan_generator(4, (28, 28, 1), width=4), dcgan_discriminator((28, 28, 1), width=4), 4)
        >>> bool((gan.generate(2, seed=1) == gan.generate(2, seed=1)).all())
        True
        """
        if labels is not None:
            raise InvalidArgumentError(f"{type(self).__name__}.generate got labels, but an unconditional GAN "
                                       "ignores them; use ConditionalGAN to generate chosen classes.")
        if n is None:
            raise InvalidArgumentError("generate() needs n, the number of images.")
        return self._generate_batches(self.latent(n, seed=seed), None, batch_size)

    def _generate_batches(self, z: torch.Tensor, labels: torch.Tensor | None, batch_size: int) -> np.ndarray:
        device = next(self.generator.parameters()).device
        outputs = []
        with evaluating(self.generator), torch.no_grad():
            for start in range(0, len(z), batch_size):
                part = None if labels is None else labels[start:start + batch_size].to(device)
                outputs.append(self._generate(z[start:start + batch_size].to(device), part).float().cpu())
        return torch.cat(outputs).numpy()


class ConditionalGAN(GAN):
    """A GAN whose generator takes ``[z, label]`` and discriminator ``[image, label]`` (Mirza & Osindero
    2014): ``fit(images, labels)`` teaches the generator to draw the class it is given. Fakes get
    labels drawn uniformly from ``num_classes``. Build the two networks with
    ``dcgan_generator(..., num_classes=10)`` and ``dcgan_discriminator(..., num_classes=10)``.

    >>> from glassnet.generative import dcgan_discriminator, dcgan_generator
    >>> cgan = ConditionalGAN(dcgan_generator(4, (28, 28, 1), width=4, num_classes=10),
    ...                       dcgan_discriminator((28, 28, 1), width=4, num_classes=10), 4, num_classes=10)
    >>> cgan.generate(labels=[0, 7, 7], seed=0).shape
    (3, 28, 28, 1)
    """

    def __init__(self, generator: Model, discriminator: Model, latent_dim: int, num_classes: int, **kwargs: Any):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.num_classes = int(num_classes)

    def _generate(self, z, labels):
        return self.generator([z, labels])

    def _discriminate(self, images, labels):
        return self.discriminator([images, labels])

    def _fake_labels(self, n, real_labels, device):
        return torch.randint(0, self.num_classes, (n,), device=device)

    def train_step(self, data: Any) -> dict[str, torch.Tensor]:
        _, labels, _ = unpack(data)
        if labels is None:
            raise InvalidArgumentError("ConditionalGAN.fit needs the class labels: fit(images, labels).")
        return super().train_step(data)

    def generate(self, n: int | None = None, seed: int | None = None, labels: Any = None,
                 batch_size: int = 256) -> np.ndarray:
        """Images of the given ``labels`` (one per label), or ``n`` images of random classes."""
        if labels is None:
            if n is None:
                raise InvalidArgumentError("generate() needs labels=[...] or n.")
            generator = torch.Generator().manual_seed(seed) if seed is not None else None
            labels = torch.randint(0, self.num_classes, (n,), generator=generator)
        labels = torch.as_tensor(np.asarray(labels)).long().reshape(-1)
        if len(labels) and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise InvalidArgumentError(f"generate(labels=...) got classes outside 0..{self.num_classes - 1}.")
        return self._generate_batches(self.latent(len(labels), seed=seed), labels, batch_size)


def _joined(real_labels: torch.Tensor | None, fake_labels: torch.Tensor | None) -> torch.Tensor | None:
    if fake_labels is None:
        return None
    return torch.cat([real_labels.reshape(-1).long().to(fake_labels.device), fake_labels])


__all__ = ["GAN", "ConditionalGAN"]
