"""The Triton kernel of the fused training path (see :mod:`clfcompare.estimators._fused`).

Imported only by :func:`clfcompare.estimators._fused._kernel`, when a kernel is first launched:
importing it imports Triton, which CPU machines and CI need not have. Triton resolves the
helper functions of a kernel by module-level name, so they live here, not in a closure.

Program ``m`` trains network ``m`` (four layers ``F -> H1 -> H2 -> H3 -> K``) for
``n_epochs`` epochs of at most ``n_steps_max`` steps. Each step runs its rows in chunks of
``RB`` rows: forward, loss gradient and backward in registers; with one chunk (``ACCUM``
false) each layer's Adam update follows its backward product at once, with several chunks
the gradients are summed in the gradient buffers ``G*`` and Adam runs after the last chunk.
"""

import os

import triton
import triton.language as tl

#: IEEE division and square root in Adam, as torch's kernel (default). Setting the
#: environment variable ``CLFCOMPARE_FUSED_FAST=1`` before the first launch uses the
#: approximate instructions instead (about 2 ulp; for measuring what exactness costs).
PRECISE = tl.constexpr(os.environ.get("CLFCOMPARE_FUSED_FAST", "0") != "1")


@triton.jit
def tile(NI: tl.constexpr, NO: tl.constexpr, NIP: tl.constexpr, NOP: tl.constexpr):
    i = tl.arange(0, NIP)
    j = tl.arange(0, NOP)
    offs = i[:, None] * NO + j[None, :]
    mask = (i[:, None] < NI) & (j[None, :] < NO)
    return offs, mask


@triton.jit
def load_layer(W, Bv, base_w, base_b, NI: tl.constexpr, NO: tl.constexpr,
               NIP: tl.constexpr, NOP: tl.constexpr):  # fmt: skip
    offs, mask = tile(NI, NO, NIP, NOP)
    j = tl.arange(0, NOP)
    w = tl.load(W + base_w + offs, mask=mask, other=0.0)
    b = tl.load(Bv + base_b + j, mask=j < NO, other=0.0)
    return w, b


@triton.jit
def adam(P, Mo, Vo, base, offs, mask, g, step_size, bc2_sqrt, beta1, beta2, eps):
    p = tl.load(P + base + offs, mask=mask, other=0.0)
    m = tl.load(Mo + base + offs, mask=mask, other=0.0)
    v = tl.load(Vo + base + offs, mask=mask, other=0.0)
    m = beta1 * m + (1.0 - beta1) * g
    v = beta2 * v + (1.0 - beta2) * g * g
    if PRECISE:
        denom = tl.div_rn(tl.sqrt_rn(v), bc2_sqrt) + eps
        p = p - tl.div_rn(step_size * m, denom)
    else:
        denom = tl.sqrt(v) / bc2_sqrt + eps
        p = p - step_size * m / denom
    tl.store(Mo + base + offs, m, mask=mask)
    tl.store(Vo + base + offs, v, mask=mask)
    tl.store(P + base + offs, p, mask=mask)


@triton.jit
def update_weight(W, MW, VW, G, base, NI: tl.constexpr, NO: tl.constexpr,
                  NIP: tl.constexpr, NOP: tl.constexpr, g, decay, ss, bc, beta1, beta2,
                  eps, PENALTY: tl.constexpr, ACCUM: tl.constexpr, first):  # fmt: skip
    offs, mask = tile(NI, NO, NIP, NOP)
    if ACCUM:  # sum the chunks' gradients in the gradient buffer; Adam after the last
        g = g + tl.load(G + base + offs, mask=mask & (first > 0), other=0.0)
        tl.store(G + base + offs, g, mask=mask)
    else:
        if PENALTY:
            w = tl.load(W + base + offs, mask=mask, other=0.0)
            g = g + w * decay
        adam(W, MW, VW, base, offs, mask, g, ss, bc, beta1, beta2, eps)


@triton.jit
def update_bias(Bv, MB, VB, G, base, NO: tl.constexpr, NOP: tl.constexpr, g, ss, bc,
                beta1, beta2, eps, ACCUM: tl.constexpr, first):  # fmt: skip
    j = tl.arange(0, NOP)
    mask = j < NO
    if ACCUM:
        g = g + tl.load(G + base + j, mask=mask & (first > 0), other=0.0)
        tl.store(G + base + j, g, mask=mask)
    else:
        adam(Bv, MB, VB, base, j, mask, g, ss, bc, beta1, beta2, eps)


@triton.jit
def adam_from_buffer(W, MW, VW, G, base, NI: tl.constexpr, NO: tl.constexpr,
                     NIP: tl.constexpr, NOP: tl.constexpr, decay, ss, bc, beta1, beta2,
                     eps, PENALTY: tl.constexpr):  # fmt: skip
    offs, mask = tile(NI, NO, NIP, NOP)
    g = tl.load(G + base + offs, mask=mask, other=0.0)
    if PENALTY:
        w = tl.load(W + base + offs, mask=mask, other=0.0)
        g = g + w * decay
    adam(W, MW, VW, base, offs, mask, g, ss, bc, beta1, beta2, eps)


@triton.jit
def train_kernel(
    X, T, IDX, ROWS, TSTEP, SS_TAB, BC_TAB, STEP_LOSS,
    W1, B1, W2, B2, W3, B3, W4, B4,
    MW1, MB1, MW2, MB2, MW3, MB3, MW4, MB4,
    VW1, VB1, VW2, VB2, VW3, VB3, VW4, VB4,
    GW1, GB1, GW2, GB2, GW3, GB3, GW4, GB4,
    n_epochs, n_steps_max, idx_se, idx_ss, idx_sm, idx_sc, idx_w, loss_se,
    beta1, beta2, eps, alpha,
    F: tl.constexpr, H1: tl.constexpr, H2: tl.constexpr, H3: tl.constexpr,
    K: tl.constexpr, TC: tl.constexpr,
    FP: tl.constexpr, H1P: tl.constexpr, H2P: tl.constexpr, H3P: tl.constexpr,
    KP: tl.constexpr, RB: tl.constexpr,
    MSE: tl.constexpr, PENALTY: tl.constexpr, ACCUM: tl.constexpr,
):  # fmt: skip
    m = tl.program_id(0).to(tl.int64)
    bw1, bb1 = m * (F * H1), m * H1
    bw2, bb2 = m * (H1 * H2), m * H2
    bw3, bb3 = m * (H2 * H3), m * H3
    bw4, bb4 = m * (H3 * K), m * K
    fcol = tl.arange(0, FP)
    kcol = tl.arange(0, KP)
    kmask = kcol < K
    rr = tl.arange(0, RB)
    t = tl.load(TSTEP + m)
    for e in range(n_epochs):
        for s in range(n_steps_max):
            b = tl.load(ROWS + m * n_steps_max + s)
            if b > 0:
                bf = b.to(tl.float32)
                inv_b = tl.div_rn(1.0, bf)
                t += 1
                ss = tl.load(SS_TAB + t)
                bc = tl.load(BC_TAB + t)
                decay = tl.div_rn(alpha, bf)
                loss = 0.0
                sq = 0.0
                for r0 in range(0, b, RB):
                    first = r0
                    r = r0 + rr
                    rmask = r < b
                    pos = e * idx_se + s * idx_ss + m * idx_sm
                    pos = pos + (r // idx_w) * idx_sc + r % idx_w
                    ridx = tl.load(IDX + pos, mask=rmask, other=0).to(tl.int64)
                    x = tl.load(
                        X + ridx[:, None] * F + fcol[None, :],
                        mask=rmask[:, None] & (fcol[None, :] < F),
                        other=0.0,
                    )
                    w1, b1 = load_layer(W1, B1, bw1, bb1, F, H1, FP, H1P)
                    w2, b2 = load_layer(W2, B2, bw2, bb2, H1, H2, H1P, H2P)
                    w3, b3 = load_layer(W3, B3, bw3, bb3, H2, H3, H2P, H3P)
                    w4, b4 = load_layer(W4, B4, bw4, bb4, H3, K, H3P, KP)
                    if PENALTY:
                        if r0 == 0:  # at the weights the step starts from
                            sq = (tl.sum(tl.sum(w1 * w1, 1), 0)
                                  + tl.sum(tl.sum(w2 * w2, 1), 0)
                                  + tl.sum(tl.sum(w3 * w3, 1), 0)
                                  + tl.sum(tl.sum(w4 * w4, 1), 0))  # fmt: skip
                    h1 = tl.dot(x, w1, input_precision="ieee") + b1[None, :]
                    h1 = tl.maximum(h1, 0.0)
                    h2 = tl.dot(h1, w2, input_precision="ieee") + b2[None, :]
                    h2 = tl.maximum(h2, 0.0)
                    h3 = tl.dot(h2, w3, input_precision="ieee") + b3[None, :]
                    h3 = tl.maximum(h3, 0.0)
                    z = tl.dot(h3, w4, input_precision="ieee") + b4[None, :]
                    wrow = tl.where(rmask, inv_b, 0.0)[:, None]
                    valid = rmask[:, None] & kmask[None, :]
                    tgt = T + ridx[:, None] * TC + kcol[None, :]
                    if MSE:
                        a = tl.load(tgt, mask=valid, other=0.0)
                        mt = tl.load(tgt + K, mask=valid, other=0.0)
                        resid = z - mt
                        dz = resid * (a * (wrow * (2.0 / K)))
                        dz = tl.where(valid, dz, 0.0)
                        terms = dz * resid
                        loss += 0.5 * tl.sum(tl.sum(terms, 1), 0)
                    else:
                        tk = tl.load(tgt, mask=valid, other=0.0)
                        zm = tl.where(kmask[None, :], z, float("-inf"))
                        zmax = tl.max(zm, 1)
                        ez = tl.exp(zm - zmax[:, None])
                        lse = tl.log(tl.sum(ez, 1)) + zmax
                        logp = zm - lse[:, None]
                        wt = tk * wrow
                        terms = tl.where(valid, wt * logp, 0.0)
                        loss -= tl.sum(tl.sum(terms, 1), 0)
                        dz = tl.where(valid, tl.exp(logp) * wrow - wt, 0.0)
                    # backward, each layer's update as soon as its weights are used
                    gw = tl.dot(tl.trans(h3), dz, input_precision="ieee")
                    d = tl.dot(dz, tl.trans(w4), input_precision="ieee")
                    d = tl.where(h3 > 0.0, d, 0.0)
                    update_weight(
                        W4,
                        MW4,
                        VW4,
                        GW4,
                        bw4,
                        H3,
                        K,
                        H3P,
                        KP,
                        gw,
                        decay,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        PENALTY,
                        ACCUM,
                        first,
                    )
                    update_bias(
                        B4,
                        MB4,
                        VB4,
                        GB4,
                        bb4,
                        K,
                        KP,
                        tl.sum(dz, 0),
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        ACCUM,
                        first,
                    )
                    gw = tl.dot(tl.trans(h2), d, input_precision="ieee")
                    gb = tl.sum(d, 0)
                    d = tl.dot(d, tl.trans(w3), input_precision="ieee")
                    d = tl.where(h2 > 0.0, d, 0.0)
                    update_weight(
                        W3,
                        MW3,
                        VW3,
                        GW3,
                        bw3,
                        H2,
                        H3,
                        H2P,
                        H3P,
                        gw,
                        decay,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        PENALTY,
                        ACCUM,
                        first,
                    )
                    update_bias(
                        B3,
                        MB3,
                        VB3,
                        GB3,
                        bb3,
                        H3,
                        H3P,
                        gb,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        ACCUM,
                        first,
                    )
                    gw = tl.dot(tl.trans(h1), d, input_precision="ieee")
                    gb = tl.sum(d, 0)
                    d = tl.dot(d, tl.trans(w2), input_precision="ieee")
                    d = tl.where(h1 > 0.0, d, 0.0)
                    update_weight(
                        W2,
                        MW2,
                        VW2,
                        GW2,
                        bw2,
                        H1,
                        H2,
                        H1P,
                        H2P,
                        gw,
                        decay,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        PENALTY,
                        ACCUM,
                        first,
                    )
                    update_bias(
                        B2,
                        MB2,
                        VB2,
                        GB2,
                        bb2,
                        H2,
                        H2P,
                        gb,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        ACCUM,
                        first,
                    )
                    gw = tl.dot(tl.trans(x), d, input_precision="ieee")
                    update_weight(
                        W1,
                        MW1,
                        VW1,
                        GW1,
                        bw1,
                        F,
                        H1,
                        FP,
                        H1P,
                        gw,
                        decay,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        PENALTY,
                        ACCUM,
                        first,
                    )
                    update_bias(
                        B1,
                        MB1,
                        VB1,
                        GB1,
                        bb1,
                        H1,
                        H1P,
                        tl.sum(d, 0),
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        ACCUM,
                        first,
                    )
                    # every thread sees the others' stores before the next loads
                    tl.debug_barrier()
                if ACCUM:
                    adam_from_buffer(
                        W4,
                        MW4,
                        VW4,
                        GW4,
                        bw4,
                        H3,
                        K,
                        H3P,
                        KP,
                        decay,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        PENALTY,
                    )
                    adam_from_buffer(
                        B4,
                        MB4,
                        VB4,
                        GB4,
                        bb4,
                        1,
                        K,
                        1,
                        KP,
                        decay,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        False,
                    )
                    adam_from_buffer(
                        W3,
                        MW3,
                        VW3,
                        GW3,
                        bw3,
                        H2,
                        H3,
                        H2P,
                        H3P,
                        decay,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        PENALTY,
                    )
                    adam_from_buffer(
                        B3,
                        MB3,
                        VB3,
                        GB3,
                        bb3,
                        1,
                        H3,
                        1,
                        H3P,
                        decay,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        False,
                    )
                    adam_from_buffer(
                        W2,
                        MW2,
                        VW2,
                        GW2,
                        bw2,
                        H1,
                        H2,
                        H1P,
                        H2P,
                        decay,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        PENALTY,
                    )
                    adam_from_buffer(
                        B2,
                        MB2,
                        VB2,
                        GB2,
                        bb2,
                        1,
                        H2,
                        1,
                        H2P,
                        decay,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        False,
                    )
                    adam_from_buffer(
                        W1,
                        MW1,
                        VW1,
                        GW1,
                        bw1,
                        F,
                        H1,
                        FP,
                        H1P,
                        decay,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        PENALTY,
                    )
                    adam_from_buffer(
                        B1,
                        MB1,
                        VB1,
                        GB1,
                        bb1,
                        1,
                        H1,
                        1,
                        H1P,
                        decay,
                        ss,
                        bc,
                        beta1,
                        beta2,
                        eps,
                        False,
                    )
                    tl.debug_barrier()
                value = loss.to(tl.float64)
                if PENALTY:
                    value += sq.to(tl.float64) * (alpha / (2.0 * b.to(tl.float64)))
                tl.store(STEP_LOSS + e * loss_se + m * n_steps_max + s, value)
    tl.store(TSTEP + m, t)
