"""Inpainting by energy minimisation: the image the decoder can draw that best fits the known pixels.

The lecture's fig 10-11: a face with a grey patch lies off the manifold of faces, and the
repair searches for the closest image on it by minimising an energy. With an autoencoder,
the images its decoder can draw, ``decode(z)``, stand for that set: ``energy_inpaint``
keeps the decoder fixed and optimises the code ``z`` so that ``decode(z)`` agrees with the
known pixels. ``start_codes`` gives it the encoder's code of the corrupted digit as a
starting point. Images are (N, 784) in [-1, 1]. Used by notebook 05 and exercise 05.2.
"""

from __future__ import annotations

import torch

from .checks import check_digits, check_mask, check_positive_int, check_positive_real
from .inpainting import check_images
from .model import EncoderDecoder, check_model, encode

__all__ = ["energy_inpaint", "start_codes"]


def energy_inpaint(model: EncoderDecoder, images: torch.Tensor, known_mask: torch.Tensor, *,
                   steps: int = 50, lr: float = 0.05, init: torch.Tensor | None = None,
                   batch_size: int = 10_000, callback=None) -> torch.Tensor:
    """Inpainting by energy minimisation: the decoder's image closest to the known pixels.

    Keeps the model's weights frozen and, for every image at once, optimises a code
    ``z`` so that the energy ``E(z) = sum over known pixels (decode(z) - x)^2`` is
    minimal (Adam, ``steps`` steps of rate ``lr``); returns ``decode(z)``, the
    whole decoded image (N, 784) in (-1, 1). Read the missing pixels from it, or use
    ``fill_missing``. Values of ``images`` outside ``known_mask`` are never used.

    The code is parameterised as ``z = tanh(u)`` so it stays in (-1, 1), the range
    of the encoder's tanh codes. ``init``: starting codes (N, d) in (-1, 1), e.g.
    ``model.encode(corrupted)``; default zeros (the centre of the code space).
    Each image's code only affects its own energy and Adam acts elementwise, so the
    result does not depend on ``batch_size`` (chunks, to bound memory).
    ``callback(step, decoded)``, if given, is called before every step and after the
    last one with the chunk's current decoded images (to watch the optimisation).
    """
    check_images(images)
    check_mask(known_mask, "known_mask", shape=images.shape, nonempty=False)
    steps = check_positive_int(steps, "steps", allow_zero=True)
    lr = check_positive_real(lr, "lr")
    if not known_mask.any(dim=1).all():
        raise ValueError("every image needs at least one known pixel (known_mask is all False for some row)")
    d = check_model(model).d
    dev = next(model.parameters()).device
    if init is not None:
        if init.shape != (len(images), d):
            raise ValueError(f"init must have shape (N, d) = {(len(images), d)}, got {tuple(init.shape)}")
        if init.abs().max() >= 1:
            raise ValueError("init codes must lie strictly inside (-1, 1) (tanh codes)")
    flags = [p.requires_grad for p in model.parameters()]
    was_training = model.training
    model.eval().requires_grad_(False)
    try:
        out = []
        for start in range(0, len(images), batch_size):
            x = images[start:start + batch_size].to(dev)
            known = known_mask[start:start + batch_size].to(dev)
            u0 = (torch.zeros(len(x), d, device=dev) if init is None
                  else torch.atanh(init[start:start + batch_size].to(dev).float()))
            u = u0.clone().requires_grad_(True)
            opt = torch.optim.Adam([u], lr=lr)
            for step in range(steps):
                decoded = model.decode(torch.tanh(u))
                if callback is not None:
                    callback(step, decoded.detach().cpu())
                loss = ((decoded - x).square() * known).sum()  # the energy: known pixels only
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            with torch.no_grad():
                out.append(model.decode(torch.tanh(u)).cpu())
            if callback is not None:
                callback(steps, out[-1])
    finally:
        for p, f in zip(model.parameters(), flags):
            p.requires_grad_(f)
        model.train(was_training)
    return torch.cat(out) if out else images.new_empty(0, 784)


def start_codes(model: EncoderDecoder, corrupted: torch.Tensor) -> torch.Tensor:
    """The encoder's codes (N, d) of ``corrupted`` (N, 784), clipped to [-0.999, 0.999].

    ``energy_inpaint``'s starting point in notebook 05: decoding them gives the
    model's direct output (exactly, unless a code was clipped; the clipping keeps
    ``atanh`` finite).
    """
    check_digits(corrupted, "corrupted", n=784)
    return encode(model, corrupted).clamp(-0.999, 0.999)
