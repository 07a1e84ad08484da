"""PCA, the best linear autoencoder: the reference the lecture's autoencoder is measured against.

For centred data, the k-dimensional linear map that reconstructs best in mean
squared error projects onto the top-k eigenvectors of the covariance matrix
(Eckart-Young). ``pca_fit`` computes that eigendecomposition once (float64,
``torch.linalg.eigh`` of the n x n covariance); ``PCA.truncate(k)`` and
``pca_reconstruct(pca, x, k)`` then slice it, so a sweep over k costs nothing
extra, and ``pca_error_curve`` gives the error for every k in one pass.
``subspace_angles`` compares two subspaces (e.g. an autoencoder's decoder
columns with the PCA components). ``leave_one_out_pcas`` fits one PCA per class on
every digit but that class, from a single pass over the data (notebook 07's anomaly
baseline). Used by notebooks 01, 02, 05, 06 and 07.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import torch

from .checks import check_digits, check_labels, check_positive_int

__all__ = ["PCA", "pca_fit", "pca_reconstruct", "pca_error_curve", "subspace_angles", "leave_one_out_pcas"]


@dataclass(frozen=True)
class PCA:
    """A fitted PCA: ``mean`` (n,), ``components`` (k, n), ``eigenvalues`` (k,), all float64.

    ``components`` has orthonormal rows sorted by decreasing ``eigenvalues`` (the
    variance of the data along each row); ``total_variance`` is the trace of the
    covariance (the variance of all n directions together).
    """

    mean: torch.Tensor
    components: torch.Tensor
    eigenvalues: torch.Tensor
    total_variance: float

    @property
    def k(self) -> int:
        """Number of components kept."""
        return len(self.components)

    def truncate(self, k: int) -> "PCA":
        """The same PCA with only the top ``k`` components (no recomputation)."""
        _check_k(k, self.k)
        return PCA(self.mean, self.components[:k], self.eigenvalues[:k], self.total_variance)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """(N, n) images -> (N, k) coordinates along the components (float64)."""
        x = check_digits(images, n=len(self.mean), expected_by="the PCA")
        return (x.double() - self.mean) @ self.components.T

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """(N, k) coordinates -> (N, n) images, float64 (not clipped to any range)."""
        if codes.ndim != 2 or codes.shape[1] != self.k:
            raise ValueError(f"expected codes of shape (N, {self.k}), got {tuple(codes.shape)}")
        return codes.double() @ self.components + self.mean

    def explained_variance_ratio(self) -> torch.Tensor:
        """(k,) cumulative fraction of the total variance kept by the top 1..k components."""
        return self.eigenvalues.cumsum(0) / self.total_variance


def _check_k(k, k_max: int) -> None:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= k_max:
        raise ValueError(f"k must be an int between 1 and {k_max} (the components available), got {k!r}")


def pca_fit(images: torch.Tensor, k: int | None = None, chunk: int = 10_000, precise: bool = False) -> PCA:
    """Principal components of ``images`` (N, n); keeps the top ``k`` (all n if None).

    The mean, the n x n covariance (divided by N) and ``torch.linalg.eigh`` are
    float64. The covariance is summed over chunks of ``chunk`` rows; within a chunk
    the centred products are computed in float32 (about twice as fast on a CPU, and
    on full MNIST the reconstruction errors agree with all-float64 to 8 significant
    digits), unless ``precise=True`` (float64 throughout). Components are the
    eigenvectors as rows, sorted by decreasing eigenvalue; each row's sign is fixed
    so that its largest-magnitude entry is positive (deterministic output). Fit on
    training digits only; evaluate on test digits. Needs N >= 2.
    """
    x = check_digits(images)
    if len(x) < 2:
        raise ValueError(f"PCA needs at least 2 images, got {len(x)}")
    n = x.shape[1]
    k = n if k is None else k
    _check_k(k, n)
    mean = x.double().mean(0)
    cov = torch.zeros(n, n, dtype=torch.float64)
    work = torch.float64 if precise else torch.float32
    for part in x.split(chunk):
        c = (part.double() - mean).to(work)
        cov += (c.T @ c).double()
    cov /= len(x)
    return _from_covariance(mean, cov, k)


def _from_covariance(mean: torch.Tensor, cov: torch.Tensor, k: int) -> PCA:
    """The top ``k`` principal components of a float64 covariance ``cov`` (n, n) around ``mean``:
    eigenvectors by decreasing variance, each signed so that its largest entry is positive.
    Shared by ``pca_fit`` and ``leave_one_out_pcas``."""
    n = len(mean)
    eigenvalues, vectors = torch.linalg.eigh(cov)  # ascending
    eigenvalues = eigenvalues.flip(0).clamp_min(0.0)
    components = vectors.flip(1).T.contiguous()  # (n, n), rows sorted by decreasing variance
    peak = components.abs().argmax(dim=1)
    signs = torch.sign(components[torch.arange(n), peak])
    components = components * signs[:, None]
    return PCA(mean, components[:k].clone(), eigenvalues[:k].clone(), float(eigenvalues.sum()))


def pca_reconstruct(pca: PCA, images: torch.Tensor, k: int | None = None) -> torch.Tensor:
    """Project ``images`` (N, n) onto the top ``k`` components (all of ``pca``'s if None) and back.

    Returns float32 (N, n) in the images' units, not clipped (a linear map can
    leave [-1, 1] slightly). This is the best k-dimensional linear reconstruction
    of the data the PCA was fitted on.
    """
    p = pca if k is None else pca.truncate(k)
    return p.decode(p.encode(images)).float()


def subspace_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Principal angles in degrees between the spans of the rows of ``a`` (k1, n) and ``b`` (k2, n).

    Returns min(k1, k2) angles sorted ascending: 0 where the subspaces share a
    direction, 90 where they are orthogonal. E.g. ``subspace_angles(W_x.T, pca.components)``
    compares an autoencoder's decoder subspace with the PCA subspace. Rows need
    not be orthonormal, but each matrix must have full row rank.
    """
    for name, m in (("a", a), ("b", b)):
        if not isinstance(m, torch.Tensor) or m.ndim != 2:
            raise ValueError(f"{name} must be a 2-D tensor (k, n) whose rows span the subspace, "
                             f"got {getattr(m, 'shape', type(m).__name__)}")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must live in the same space: {a.shape[1]} vs {b.shape[1]} columns")
    bases = []
    for name, m in (("a", a), ("b", b)):
        if len(m) > m.shape[1]:
            raise ValueError(f"{name} has {len(m)} rows in a {m.shape[1]}-dimensional space: "
                             "they cannot be linearly independent")
        q, r = torch.linalg.qr(m.detach().double().T)
        diag = r.diagonal().abs()
        if not torch.isfinite(diag).all() or (diag <= 1e-10 * diag.max().clamp_min(1e-300)).any():
            raise ValueError(f"the rows of {name} are linearly dependent (or not finite): "
                             "they do not span a subspace of that dimension")
        bases.append(q)
    cos = torch.linalg.svdvals(bases[0].T @ bases[1]).clamp(-1.0, 1.0)  # descending
    return torch.rad2deg(torch.arccos(cos))  # ascending


def pca_error_curve(pca: PCA, images: torch.Tensor) -> torch.Tensor:
    """Mean squared error of ``pca_reconstruct(pca, images, k)`` for every k = 1..pca.k, in one pass.

    Returns float64 (pca.k,), non-increasing. Uses orthonormality: the squared
    error with k components is the squared distance to the mean minus the squared
    coordinates along the first k components, so one projection gives every k
    (for a rate-distortion curve). Values are per pixel, as ``masked_mse`` gives.
    """
    x = check_digits(images, n=len(pca.mean), expected_by="the PCA")
    centred = x.double() - pca.mean
    codes = centred @ pca.components.T
    total = centred.square().sum()
    kept = codes.square().sum(0).cumsum(0)
    return ((total - kept) / centred.numel()).clamp_min(0.0)


def leave_one_out_pcas(images: torch.Tensor, labels: torch.Tensor, k: int | None = None,
                       classes: int = 10, chunk: int = 10_000) -> list[PCA]:
    """PCA number c (c = 0..classes-1) fitted on every image but those of class c, top ``k`` kept.

    What ``pca_fit(images[labels != c], k)`` gives for each c, from one pass over ``images``
    (N, n): the sums of x and of x x^T per class (float32 products per chunk, accumulated in
    float64), from which each union's mean and covariance (divided by N) follow. Notebook 07:
    the PCA baseline of the anomaly detectors that never saw class c.
    """
    x = check_digits(images)
    classes = check_positive_int(classes, "classes")
    labels = check_labels(labels, n=len(x), classes=classes)
    n = x.shape[1]
    k = n if k is None else k
    _check_k(k, n)
    count = torch.bincount(labels, minlength=classes).double()
    total = torch.zeros(classes, n, dtype=torch.float64)
    outer = torch.zeros(classes, n, n, dtype=torch.float64)
    for c in range(classes):
        xc = x[labels == c]
        total[c] = xc.double().sum(0)
        for part in xc.split(chunk):
            outer[c] += (part.T @ part).double()
    pcas = []
    for c in range(classes):
        others = torch.arange(classes) != c
        m = float(count[others].sum())
        if m < 2:
            raise ValueError(f"PCA needs at least 2 images, all but class {c} hold {int(m)}")
        mean = total[others].sum(0) / m
        pcas.append(_from_covariance(mean, outer[others].sum(0) / m - torch.outer(mean, mean), k))
    return pcas
