"""Effort's SVD split of a linear layer (Yan et al., "Orthogonal Subspace
Decomposition for Generalizable AI-Generated Image Detection", ICML 2025).

``W = U S V^T``: the top singular directions stay frozen so that the
pre-trained knowledge they carry survives fine-tuning; only the last
``svd_rank`` directions (the residual subspace) train, kept orthonormal and
orthogonal to the frozen ones, and the weight's energy kept at its original
value, by two losses.
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['SVDResidualLinear', 'apply_svd_residual']


def _svd(weight: torch.Tensor):
    """Batched thin SVD ``[C, m, n] -> U [C, m, r], S [C, r], Vh [C, r, n]``
    in float32; a wide matrix is decomposed through its transpose, which
    LAPACK does about twice as fast."""
    weight = weight.float()
    if weight.shape[-2] >= weight.shape[-1]:
        return torch.linalg.svd(weight, full_matrices=False)
    u, s, vh = torch.linalg.svd(weight.mT, full_matrices=False)
    return vh.mT, s, u.mT


def _gram_error(basis: torch.Tensor) -> torch.Tensor:
    """``||B^T B - I||_F^2`` per chunk of orthonormal columns ``[C, m, r]``."""
    gram = basis.mT @ basis
    eye = torch.eye(gram.shape[-1], dtype=gram.dtype, device=gram.device)
    return (gram - eye).pow(2).sum(dim=(-2, -1))


class SVDResidualLinear(nn.Module):
    """An ``nn.Linear`` split by SVD into a frozen principal part and a
    trainable residual: ``W = W_main + U_res diag(S_res) V_res``.

    ``svd_rank`` is the number of **trained** (smallest) singular
    directions. Effort's code calls the other number ``r``: the principal
    directions kept frozen, ``r = min(out, in) - svd_rank`` (its CLIP ViT-L
    uses ``r = 1024 - 1``, i.e. ``svd_rank=1``).

    ``num_chunks`` splits the output rows into equal blocks decomposed
    separately: a fused timm ``qkv`` with ``num_chunks=3`` behaves like the
    separate q/k/v projections of the HF CLIP model Effort adapts. Every
    tensor carries a leading chunk dimension.

    The bias is frozen, as in Effort (only ``U_res, S_res, V_res`` train).
    ``weight_main`` and the frozen singular vectors are persistent buffers:
    a checkpoint restores the split exactly (2.25x to 3x the size of the
    dense layer's, as Effort's is).

    Args:
        linear: the layer to split (left unchanged).
        svd_rank: trained singular directions per chunk,
            ``1 <= svd_rank < min(out / num_chunks, in)``.
        num_chunks: output-row blocks decomposed separately.
    """

    def __init__(self, linear: nn.Linear, svd_rank: int,
                 num_chunks: int = 1):
        super().__init__()
        if not isinstance(linear, nn.Linear):
            raise TypeError(f'SVDResidualLinear splits an nn.Linear, got '
                            f'{type(linear).__name__}')
        out_features, in_features = linear.out_features, linear.in_features
        if isinstance(num_chunks, bool) or not isinstance(num_chunks, int) \
                or num_chunks < 1 or out_features % num_chunks:
            raise ValueError(f'num_chunks must be a positive int dividing '
                             f'out_features={out_features}, got {num_chunks}')
        rows = out_features // num_chunks
        full_rank = min(rows, in_features)
        if isinstance(svd_rank, bool) or not isinstance(svd_rank, int) or \
                not 1 <= svd_rank < full_rank:
            raise ValueError(
                f'svd_rank (trained singular directions) must be an int in '
                f'[1, {full_rank - 1}] for a {rows}x{in_features} weight '
                f'(chunk of {out_features}x{in_features}), got {svd_rank!r}')
        self.in_features = in_features
        self.out_features = out_features
        self.svd_rank = svd_rank
        self.num_chunks = num_chunks
        main_rank = full_rank - svd_rank
        factory = dict(device=linear.weight.device, dtype=linear.weight.dtype)

        def empty(*shape):
            return torch.empty(*shape, **factory)

        self.register_buffer('weight_main', empty(out_features, in_features))
        self.register_buffer('U_main', empty(num_chunks, rows, main_rank))
        self.register_buffer('V_main',
                             empty(num_chunks, main_rank, in_features))
        # ||U_main^T U_main - I||^2 and the same of V_main: constant, so
        # computed once instead of at every step (see orthogonal_loss)
        self.register_buffer('main_gram_error', empty(num_chunks, 2))
        self.register_buffer('initial_sq_norm', empty(num_chunks))
        self.U_res = nn.Parameter(empty(num_chunks, rows, svd_rank))
        self.S_res = nn.Parameter(empty(num_chunks, svd_rank))
        self.V_res = nn.Parameter(empty(num_chunks, svd_rank, in_features))
        if linear.bias is None:
            self.register_parameter('bias', None)
        else:
            self.bias = nn.Parameter(empty(out_features), requires_grad=False)
        self.decompose_(linear.weight, linear.bias)

    @torch.no_grad()
    def decompose_(self, weight: torch.Tensor,
                   bias: Optional[torch.Tensor] = None) -> None:
        """Split a dense ``weight`` (and copy ``bias``) into this layer in
        place: the Parameter objects stay, so an optimizer or DDP wrapper
        built before ``init_weights()`` loads the pre-trained weights keeps
        training the right tensors."""
        if tuple(weight.shape) != (self.out_features, self.in_features):
            raise ValueError(f'decompose_ needs a {self.out_features}x'
                             f'{self.in_features} weight, got '
                             f'{tuple(weight.shape)}')
        chunks = weight.detach().reshape(self.num_chunks, -1,
                                         self.in_features)
        u, s, vh = _svd(chunks)
        main = u.shape[-1] - self.svd_rank
        u_main, s_main = u[..., :main], s[..., :main]
        v_main = vh[..., :main, :]
        self.weight_main.copy_(((u_main * s_main.unsqueeze(-2)) @ v_main)
                               .reshape(self.out_features, self.in_features))
        self.U_main.copy_(u_main)
        self.V_main.copy_(v_main)
        self.main_gram_error.copy_(torch.stack(
            [_gram_error(u_main), _gram_error(v_main.mT)], dim=-1))
        self.initial_sq_norm.copy_(chunks.float().pow(2).sum(dim=(-2, -1)))
        self.U_res.copy_(u[..., main:])
        self.S_res.copy_(s[..., main:])
        self.V_res.copy_(vh[..., main:, :])
        if self.bias is not None:
            if bias is None:
                raise ValueError('decompose_: this layer has a bias, so a '
                                 'bias must be given')
            self.bias.copy_(bias.detach())

    def residual_weight(self) -> torch.Tensor:
        """``U_res diag(S_res) V_res``, shape [out, in]."""
        residual = (self.U_res * self.S_res.unsqueeze(-2)) @ self.V_res
        return residual.reshape(self.out_features, self.in_features)

    @property
    def weight(self) -> torch.Tensor:
        """The adapted weight ``W_main + W_res`` (differentiable)."""
        return self.weight_main + self.residual_weight()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)

    def orthogonal_loss(self) -> torch.Tensor:
        """Effort's orthogonality term, one value per chunk ``[C]``:
        ``0.5 ||U^T U - I||_F + 0.5 ||V V^T - I||_F`` of the full bases
        ``U = [U_main, U_res]``, ``V^T = [V_main; V_res]``, so the residual
        is pushed to stay orthonormal *and* orthogonal to the frozen
        principal subspace. Effort writes ``U U^T`` for its square CLIP
        projections; ``U^T U`` is the same value there and the one that can
        reach zero for a tall ``U``. The frozen principal block of each Gram
        matrix is the stored constant, so a step costs ``O(out * in * k)``,
        not ``O(out * in^2)``."""
        with self._full_precision():
            left = self._basis_error(self.U_main, self.U_res,
                                     self.main_gram_error[:, 0])
            right = self._basis_error(self.V_main.mT, self.V_res.mT,
                                      self.main_gram_error[:, 1])
        return 0.5 * left + 0.5 * right

    def _full_precision(self):
        # float16 autocast would round the ~1e-7 cross products at the
        # optimum to noise; these are a few small matmuls per step
        return torch.autocast(self.U_res.device.type, enabled=False)

    @staticmethod
    def _basis_error(main: torch.Tensor, residual: torch.Tensor,
                     main_error: torch.Tensor) -> torch.Tensor:
        # ||[M R]^T [M R] - I||_F from its blocks: the constant M^T M - I,
        # the cross block M^T R (counted twice) and R^T R - I
        main, residual = main.float(), residual.float()
        cross = main.mT @ residual
        gram = residual.mT @ residual
        eye = torch.eye(gram.shape[-1], dtype=gram.dtype, device=gram.device)
        entries = torch.cat([
            main_error.float().clamp(min=0).sqrt().unsqueeze(-1),
            2**0.5 * cross.flatten(1),
            (gram - eye).flatten(1)
        ], dim=1)
        return torch.linalg.vector_norm(entries, dim=1)

    def singular_value_loss(self) -> torch.Tensor:
        """Effort's singular-value term, one value per chunk ``[C]``:
        ``| ||W_main + W_res||_F^2 - ||W||_F^2 |``, i.e. the sum of squared
        singular values of the adapted weight stays that of the original."""
        with self._full_precision():
            weight = self.weight.float().reshape(self.num_chunks, -1,
                                                 self.in_features)
            energy = weight.pow(2).sum(dim=(-2, -1))
        return (energy - self.initial_sq_norm.float()).abs()

    def to_linear(self) -> nn.Linear:
        """A dense ``nn.Linear`` with the adapted weight (e.g. for export or
        to reload dense pre-trained weights)."""
        linear = nn.Linear(self.in_features, self.out_features,
                           bias=self.bias is not None,
                           device=self.weight_main.device,
                           dtype=self.weight_main.dtype)
        with torch.no_grad():
            linear.weight.copy_(self.weight)
            if self.bias is not None:
                linear.bias.copy_(self.bias)
        return linear

    def extra_repr(self) -> str:
        return (f'in_features={self.in_features}, '
                f'out_features={self.out_features}, '
                f'svd_rank={self.svd_rank}, num_chunks={self.num_chunks}, '
                f'bias={self.bias is not None}')


def apply_svd_residual(module: nn.Module, svd_rank: int,
                       targets: Sequence[str] = ('qkv', 'proj', 'fc1', 'fc2'),
                       split_qkv: bool = True) -> int:
    """Replace, in place, every ``nn.Linear`` inside ``module`` whose own
    name (the last part of its dotted path, e.g. ``qkv`` in
    ``blocks.0.attn.qkv``) is in ``targets`` by an
    :class:`SVDResidualLinear` of ``svd_rank``. Returns how many were
    replaced (0 on an already split module: splitting twice is a no-op).

    With ``split_qkv``, a layer named ``qkv`` is decomposed as three
    stacked projections (``num_chunks=3``). Other parameters are left as
    they are: freezing them is the caller's choice. Nothing is replaced
    unless every layer can be split.
    """
    if isinstance(targets, str):
        targets = (targets, )
    targets = set(targets)
    replacements: Dict[str, SVDResidualLinear] = {}
    for name, child in module.named_modules():
        leaf = name.rsplit('.', 1)[-1]
        if name and isinstance(child, nn.Linear) and leaf in targets:
            chunks = 3 if split_qkv and leaf == 'qkv' else 1
            try:
                replacements[name] = SVDResidualLinear(child, svd_rank,
                                                       num_chunks=chunks)
            except ValueError as error:
                raise ValueError(f'{name}: {error}') from None
    for name, new in replacements.items():
        parent_name, _, leaf = name.rpartition('.')
        setattr(module.get_submodule(parent_name), leaf, new)
    return len(replacements)
