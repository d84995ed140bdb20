#!/usr/bin/python3
"""Generate golden vectors for jrnn's LSTM/GRU forward and backward.

Run with Debian's python3 (PyTorch from python3-torch):

    /usr/bin/python3 java/src/test/resources/golden/make_golden.py

Writes one <case>.txt per case into this script's folder. Deterministic
(fixed seeds, float64).

Conventions (DESIGN.md):
  * input x is batch-major (B, T, F); zero initial states, except in the
    *_states cases (STATE_CASES), which start from random h0 (and c0) of shape
    (B, H) and also back-propagate gradients given for the final states.
  * gate order as cuDNN / PyTorch: LSTM i, f, g, o; GRU r, z, n with the reset
    gate applied after the recurrent product:
        n  = act(W_n x + bW_n + r * (R_n h + bR_n))
        h' = (1 - z) * n + z * h
    LSTM: c' = f*c + i*g, g = act(.), h' = o * act(c'); i, f, o (and r, z)
    sigmoid; act = tanh or relu (Keras activation='relu'). relu'(0) = 0, as in
    PyTorch and TF: with zero initial c the LSTM relu case has many exact c = 0.
  * canonical per-layer parameter vector, row-major:
        W (G*H, F), R (G*H, H), then LSTM: b (G*H); GRU: bW (G*H), bR (G*H).
    LSTM's single bias is fed to nn.LSTM as bias_ih = b, bias_hh = 0.
  * loss L = sum(y * g), y = full output sequence (B, T, H), g a fixed random
    tensor; dx = dL/dx, dparams = dL/dparams in the canonical layout.

  * *_states cases (cuDNN's hx, cx, hy, cy, dhy, dcy, dhx, dcx): nn.LSTM/GRU
    gets (h0, c0) (h0 for GRU) as (1, B, H); hn, cn are its final states (B, H);
    loss L = sum(y * g) + sum(hn * ghn) [+ sum(cn * gcn) for LSTM]; dh0, dc0
    are dL/dh0, dL/dc0. So the gradient reaching the last step's h is
    g[:, T-1] + ghn.

  * len_* cases (LENGTH_CASES): per-sample lengths and bidirectional layers,
    through torch.nn.utils.rnn.pack_padded_sequence(enforce_sorted=False) into
    nn.LSTM/GRU(num_layers, bidirectional) and pad_packed_sequence back, tanh
    only (PyTorch has no relu LSTM/GRU). x is random in its padding too (it must
    not matter); y (B, T, D*H) is 0 past each length, forward direction in
    features [0, H), reverse in [H, 2H); states (L*D, B, H), layer l direction d
    at l*D + d. Parameters: per layer, the forward direction's canonical block,
    then the reverse direction's. loss L = sum(y * g) (g random in the padding
    too, so its gradient there must be ignored) [+ sum(hn * ghn) + sum(cn * gcn)
    when the case has states, which also start from random h0, c0].

File format, one tensor per line after '#' comment lines:
    <name> <dims comma-separated> <values space-separated, %.17g>
names: x, params, y, g, dx, dparams; the *_states cases add h0, hn, ghn, dh0
and, for LSTM, c0, cn, gcn, dc0.

model_<model>_<activation> cases (MODEL_CASES): the seed notebook's six models
(LSTM/GRU, 32/64 units, 1 or 4 layers) with tanh and relu cells, as
dev.jrnn.train.Network runs them: the recurrent stack, its last step (T-1),
Dense(64, relu), Dense(10), softmax cross-entropy averaged over the batch, no
dropout. tanh goes through nn.LSTM/GRU(num_layers), nn.Linear and
F.cross_entropy, cross-checked against the explicit loop, which also makes the
relu models (PyTorch has no relu LSTM/GRU). The parameters are not stored (about
25k values per case): the header defines them by a splitmix64 formula, exact in
float32. Tensors: x, labels, logits, loss, dparams (dparams at %.12g).
"""
import os

import torch
from torch import nn

torch.set_default_dtype(torch.float64)
OUT_DIR = os.path.dirname(os.path.abspath(__file__))
SEED = 20240607


def gates(cell):
    return 4 if cell == "lstm" else 3


def make_inputs(cell, B, T, F, H, seed):
    gen = torch.Generator().manual_seed(seed)
    G = gates(cell)
    x = torch.randn(B, T, F, generator=gen)
    W = torch.rand(G * H, F, generator=gen) - 0.5
    R = torch.rand(G * H, H, generator=gen) - 0.5
    nb = 1 if cell == "lstm" else 2
    biases = [torch.rand(G * H, generator=gen) - 0.5 for _ in range(nb)]
    g = torch.randn(B, T, H, generator=gen)
    return x, W, R, biases, g


def make_state_inputs(cell, B, H, seed):
    """Initial states h0, c0 (B, H) and the loss weights ghn, gcn of the final states; c0, gcn None for GRU."""
    gen = torch.Generator().manual_seed(seed)
    h0 = torch.rand(B, H, generator=gen) * 2 - 1
    ghn = torch.randn(B, H, generator=gen)
    if cell != "lstm":
        return h0, None, ghn, None
    c0 = torch.randn(B, H, generator=gen)
    gcn = torch.randn(B, H, generator=gen)
    return h0, c0, ghn, gcn


def act_fn(activation):
    return torch.tanh if activation == "tanh" else torch.relu


def explicit_forward(cell, activation, x, W, R, biases, h0=None, c0=None):
    """Explicit time loop (autograd-friendly) from h0, c0 (B, H) or zeros. Returns y (B, T, H), h_n, c_n."""
    act = act_fn(activation)
    B, T, _ = x.shape
    H = R.shape[1]
    h = x.new_zeros(B, H) if h0 is None else h0
    c = x.new_zeros(B, H) if c0 is None else c0
    ys = []
    for t in range(T):
        xt = x[:, t, :]
        if cell == "lstm":
            (b,) = biases
            a = xt @ W.T + h @ R.T + b
            i, f, gg, o = a.split(H, dim=1)
            i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
            gg = act(gg)
            c = f * c + i * gg
            h = o * act(c)
        else:
            bW, bR = biases
            aw = xt @ W.T + bW
            ar = h @ R.T + bR
            rw, zw, nw = aw.split(H, dim=1)
            rr, zr, nr = ar.split(H, dim=1)
            r = torch.sigmoid(rw + rr)
            z = torch.sigmoid(zw + zr)
            n = act(nw + r * nr)
            h = (1 - z) * n + z * h
        ys.append(h)
    return torch.stack(ys, dim=1), h, c


def run_explicit(cell, activation, x, W, R, biases, g):
    x = x.clone().requires_grad_(True)
    ps = [p.clone().requires_grad_(True) for p in [W, R] + biases]
    y, _, _ = explicit_forward(cell, activation, x, ps[0], ps[1], ps[2:])
    (y * g).sum().backward()
    dparams = torch.cat([p.grad.reshape(-1) for p in ps])
    return y.detach(), x.grad.detach(), dparams.detach()


def run_torch(cell, x, W, R, biases, g):
    F = x.shape[2]
    H = R.shape[1]
    mod = (nn.LSTM if cell == "lstm" else nn.GRU)(F, H, num_layers=1, batch_first=True)
    with torch.no_grad():
        mod.weight_ih_l0.copy_(W)
        mod.weight_hh_l0.copy_(R)
        if cell == "lstm":
            mod.bias_ih_l0.copy_(biases[0])
            mod.bias_hh_l0.zero_()
        else:
            mod.bias_ih_l0.copy_(biases[0])
            mod.bias_hh_l0.copy_(biases[1])
    x = x.clone().requires_grad_(True)
    y, _ = mod(x)  # zero initial states
    (y * g).sum().backward()
    grads = [mod.weight_ih_l0.grad, mod.weight_hh_l0.grad, mod.bias_ih_l0.grad]
    if cell == "lstm":
        # bias_ih and bias_hh enter additively: their grads agree (up to summation order)
        assert max_abs(mod.bias_ih_l0.grad, mod.bias_hh_l0.grad) < 1e-12
    else:
        grads.append(mod.bias_hh_l0.grad)
    dparams = torch.cat([t.reshape(-1) for t in grads])
    return y.detach(), x.grad.detach(), dparams.detach()


def run_explicit_states(cell, activation, x, W, R, biases, g, h0, c0, ghn, gcn):
    """As run_explicit from (h0, c0), with the final states in the loss. Returns a dict of tensors."""
    lstm = cell == "lstm"
    x = x.clone().requires_grad_(True)
    h0 = h0.clone().requires_grad_(True)
    c0 = c0.clone().requires_grad_(True) if lstm else None
    ps = [p.clone().requires_grad_(True) for p in [W, R] + biases]
    y, hn, cn = explicit_forward(cell, activation, x, ps[0], ps[1], ps[2:], h0, c0)
    loss = (y * g).sum() + (hn * ghn).sum()
    if lstm:
        loss = loss + (cn * gcn).sum()
    loss.backward()
    out = dict(y=y.detach(), hn=hn.detach(), dx=x.grad.detach(), dh0=h0.grad.detach(),
               dparams=torch.cat([p.grad.reshape(-1) for p in ps]).detach())
    if lstm:
        out.update(cn=cn.detach(), dc0=c0.grad.detach())
    return out


def run_torch_states(cell, x, W, R, biases, g, h0, c0, ghn, gcn):
    """As run_torch, with nn.LSTM/GRU's initial states (1, B, H) and its final states in the loss."""
    lstm = cell == "lstm"
    F = x.shape[2]
    H = R.shape[1]
    mod = (nn.LSTM if lstm else nn.GRU)(F, H, num_layers=1, batch_first=True)
    with torch.no_grad():
        mod.weight_ih_l0.copy_(W)
        mod.weight_hh_l0.copy_(R)
        mod.bias_ih_l0.copy_(biases[0])
        if lstm:
            mod.bias_hh_l0.zero_()
        else:
            mod.bias_hh_l0.copy_(biases[1])
    x = x.clone().requires_grad_(True)
    h0 = h0.clone().unsqueeze(0).requires_grad_(True)
    if lstm:
        c0 = c0.clone().unsqueeze(0).requires_grad_(True)
        y, (hn, cn) = mod(x, (h0, c0))
        loss = (y * g).sum() + (hn[0] * ghn).sum() + (cn[0] * gcn).sum()
    else:
        y, hn = mod(x, h0)
        loss = (y * g).sum() + (hn[0] * ghn).sum()
    loss.backward()
    grads = [mod.weight_ih_l0.grad, mod.weight_hh_l0.grad, mod.bias_ih_l0.grad]
    if lstm:
        assert max_abs(mod.bias_ih_l0.grad, mod.bias_hh_l0.grad) < 1e-12
    else:
        grads.append(mod.bias_hh_l0.grad)
    out = dict(y=y.detach(), hn=hn[0].detach(), dx=x.grad.detach(), dh0=h0.grad[0].detach(),
               dparams=torch.cat([t.reshape(-1) for t in grads]).detach())
    if lstm:
        out.update(cn=cn[0].detach(), dc0=c0.grad[0].detach())
    return out


def max_err(a, b):
    """Largest difference over the tensors two runs share."""
    return max(max_abs(a[k], b[k]) for k in a)


def max_abs(a, b):
    return (a - b).abs().max().item()


def fmt_tensor(name, t):
    dims = ",".join(str(d) for d in t.shape)
    vals = " ".join("%.17g" % v for v in t.reshape(-1).tolist())
    return "%s %s %s\n" % (name, dims, vals)


def write_case(name, cell, activation, B, T, F, H, tensors):
    path = os.path.join(OUT_DIR, name + ".txt")
    with open(path, "w") as fh:
        fh.write("# generated by make_golden.py (PyTorch %s), float64\n" % torch.__version__)
        fh.write("# cell=%s activation=%s batch=%d steps=%d features=%d units=%d\n"
                 % (cell, activation, B, T, F, H))
        if cell == "lstm":
            fh.write("# params = W(%d,%d) R(%d,%d) b(%d), gates i,f,g,o; zero initial h, c\n"
                     % (4 * H, F, 4 * H, H, 4 * H))
        else:
            fh.write("# params = W(%d,%d) R(%d,%d) bW(%d) bR(%d), gates r,z,n, reset after; zero initial h\n"
                     % (3 * H, F, 3 * H, H, 3 * H, 3 * H))
        if activation == "relu":
            fh.write("# relu'(0) = 0 (PyTorch/TF convention)%s\n"
                     % ("; c = 0 exactly occurs (zero initial c, relu(g) = 0), so it matters"
                        if cell == "lstm" else ""))
        fh.write("# loss = sum(y * g); dx = dL/dx, dparams = dL/dparams (canonical layout)\n")
        for tname in ("x", "params", "y", "g", "dx", "dparams"):
            fh.write(fmt_tensor(tname, tensors[tname]))
    return path


def write_state_case(name, cell, activation, B, T, F, H, tensors):
    path = os.path.join(OUT_DIR, name + ".txt")
    lstm = cell == "lstm"
    with open(path, "w") as fh:
        fh.write("# generated by make_golden.py (PyTorch %s), float64\n" % torch.__version__)
        fh.write("# cell=%s activation=%s batch=%d steps=%d features=%d units=%d\n"
                 % (cell, activation, B, T, F, H))
        if lstm:
            fh.write("# params = W(%d,%d) R(%d,%d) b(%d), gates i,f,g,o; initial states h0, c0 (B,H)\n"
                     % (4 * H, F, 4 * H, H, 4 * H))
            fh.write("# loss = sum(y * g) + sum(hn * ghn) + sum(cn * gcn); hn, cn the final states;"
                     " dx, dh0, dc0, dparams its gradients (canonical layout)\n")
            names = ("x", "params", "h0", "c0", "y", "hn", "cn", "g", "ghn", "gcn", "dx", "dh0", "dc0", "dparams")
        else:
            fh.write("# params = W(%d,%d) R(%d,%d) bW(%d) bR(%d), gates r,z,n, reset after; initial state h0 (B,H)\n"
                     % (3 * H, F, 3 * H, H, 3 * H, 3 * H))
            fh.write("# loss = sum(y * g) + sum(hn * ghn); hn the final state;"
                     " dx, dh0, dparams its gradients (canonical layout)\n")
            names = ("x", "params", "h0", "y", "hn", "g", "ghn", "dx", "dh0", "dparams")
        for tname in names:
            fh.write(fmt_tensor(tname, tensors[tname]))
    return path


CASES = [
    # name, cell, activation, B, T, F, H
    ("lstm_tanh", "lstm", "tanh", 3, 5, 4, 6),
    ("gru_tanh", "gru", "tanh", 3, 5, 4, 6),
    ("lstm_relu", "lstm", "relu", 3, 5, 4, 6),
    ("gru_relu", "gru", "relu", 3, 5, 4, 6),
    ("lstm_tanh_wide", "lstm", "tanh", 2, 28, 28, 32),
    ("gru_tanh_wide", "gru", "tanh", 2, 28, 28, 32),
]

# With initial states and gradients for the final states (seeds SEED + 100 + k).
STATE_CASES = [
    # name, cell, activation, B, T, F, H
    ("lstm_tanh_states", "lstm", "tanh", 3, 5, 4, 6),
    ("gru_tanh_states", "gru", "tanh", 3, 5, 4, 6),
    ("lstm_relu_states", "lstm", "relu", 3, 5, 4, 6),
    ("gru_relu_states", "gru", "relu", 3, 5, 4, 6),
    ("lstm_tanh_states_h16", "lstm", "tanh", 2, 4, 5, 16),
    ("gru_tanh_states_h16", "gru", "tanh", 2, 4, 5, 16),
]


def main_states():
    for k, (name, cell, activation, B, T, F, H) in enumerate(STATE_CASES):
        seed = SEED + 100 + k
        x, W, R, biases, g = make_inputs(cell, B, T, F, H, seed)
        h0, c0, ghn, gcn = make_state_inputs(cell, B, H, seed + 1)
        args = (x, W, R, biases, g, h0, c0, ghn, gcn)
        # the explicit tanh loop and nn.LSTM/GRU agree on these very inputs
        torch_out = run_torch_states(cell, *args)
        err = max_err(torch_out, run_explicit_states(cell, "tanh", *args))
        assert err < 1e-12, (name, err)
        if activation == "tanh":
            out = torch_out
        else:
            out = run_explicit_states(cell, activation, *args)
            assert max_abs(out["y"], torch_out["y"]) > 1e-3, name
        # h_n is the last output
        assert max_abs(out["hn"], out["y"][:, -1]) == 0, name
        params = torch.cat([t.reshape(-1) for t in [W, R] + biases])
        tensors = dict(out, x=x, params=params, g=g, h0=h0, ghn=ghn)
        if cell == "lstm":
            tensors.update(c0=c0, gcn=gcn)
        path = write_state_case(name, cell, activation, B, T, F, H, tensors)
        print("%-20s explicit-vs-torch max err %.3g  %s (%d bytes)"
              % (name, err, os.path.basename(path), os.path.getsize(path)))


# ---------------------------------------------------------------------------------------------
# Model-level cases: the seed notebook's models as Network runs them.
# ---------------------------------------------------------------------------------------------

MASK64 = (1 << 64) - 1


def splitmix_params(n):
    """params[i] = (u_i - 2^23) / 2^25, u_i the top 24 bits of splitmix64(i + 1): uniform in
    [-0.25, 0.25), exact in float32 (so a float32 backend holds the very values). Written out in
    the fixture header so the test regenerates them instead of reading ~100k numbers."""
    out = []
    for i in range(n):
        z = ((i + 1) * 0x9E3779B97F4A7C15) & MASK64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        out.append(((z >> 40) - (1 << 23)) / float(1 << 25))
    return torch.tensor(out)


def model_param_shapes(cell, H, layers, F, dense, classes):
    """Per-tensor shapes in Network's canonical order: per recurrent layer W, R, biases; then
    Dense(dense) W (dense, H), b; then Dense(classes) W (classes, dense), b."""
    G = gates(cell)
    shapes = []
    for layer in range(layers):
        inp = F if layer == 0 else H
        shapes += [(G * H, inp), (G * H, H)] + [(G * H,)] * (1 if cell == "lstm" else 2)
    shapes += [(dense, H), (dense,), (classes, dense), (classes,)]
    return shapes


def model_forward(cell, activation, layers, x, ps):
    """Recurrent stack (last layer's last step), Dense(relu), Dense -> logits (B, classes)."""
    nb = 1 if cell == "lstm" else 2
    per = 2 + nb
    h = x
    for layer in range(layers):
        W, R, *biases = ps[layer * per:(layer + 1) * per]
        h, _, _ = explicit_forward(cell, activation, h, W, R, biases)
    last = h[:, -1, :]   # the last step, T-1
    W1, b1, W2, b2 = ps[layers * per:]
    hidden = torch.relu(last @ W1.T + b1)
    return hidden @ W2.T + b2


def model_torch(cell, layers, x, ps, labels):
    """The tanh models through nn.LSTM/GRU (num_layers stacked), nn.Linear and F.cross_entropy."""
    F_ = x.shape[2]
    H = ps[1].shape[1]
    lstm = cell == "lstm"
    mod = (nn.LSTM if lstm else nn.GRU)(F_, H, num_layers=layers, batch_first=True)
    nb = 1 if lstm else 2
    per = 2 + nb
    with torch.no_grad():
        for layer in range(layers):
            W, R, *biases = ps[layer * per:(layer + 1) * per]
            getattr(mod, "weight_ih_l%d" % layer).copy_(W)
            getattr(mod, "weight_hh_l%d" % layer).copy_(R)
            getattr(mod, "bias_ih_l%d" % layer).copy_(biases[0])
            getattr(mod, "bias_hh_l%d" % layer).copy_(torch.zeros_like(biases[0]) if lstm else biases[1])
    d1, d2 = nn.Linear(H, ps[-4].shape[0]), nn.Linear(ps[-4].shape[0], ps[-2].shape[0])
    with torch.no_grad():
        d1.weight.copy_(ps[-4]); d1.bias.copy_(ps[-3]); d2.weight.copy_(ps[-2]); d2.bias.copy_(ps[-1])
    y, _ = mod(x)
    logits = d2(torch.relu(d1(y[:, -1, :])))
    loss = nn.functional.cross_entropy(logits, labels)
    loss.backward()
    grads = []
    for layer in range(layers):
        grads += [getattr(mod, "weight_ih_l%d" % layer).grad, getattr(mod, "weight_hh_l%d" % layer).grad,
                  getattr(mod, "bias_ih_l%d" % layer).grad]
        if not lstm:
            grads.append(getattr(mod, "bias_hh_l%d" % layer).grad)
    grads += [d1.weight.grad, d1.bias.grad, d2.weight.grad, d2.bias.grad]
    return logits.detach(), loss.detach(), torch.cat([t.reshape(-1) for t in grads])


def model_explicit(cell, activation, layers, x, ps, labels):
    ps = [p.clone().requires_grad_(True) for p in ps]
    logits = model_forward(cell, activation, layers, x, ps)
    # softmax cross-entropy written out (log-sum-exp), mean over the batch
    lse = torch.logsumexp(logits, dim=1)
    loss = (lse - logits.gather(1, labels.view(-1, 1)).view(-1)).mean()
    loss.backward()
    return logits.detach(), loss.detach(), torch.cat([p.grad.reshape(-1) for p in ps]).detach()


MODEL_CASES = [
    # name, cell, units, layers (the notebook's six models), with tanh and relu cells
    ("model_lstm32", "lstm", 32, 1),
    ("model_lstm64", "lstm", 64, 1),
    ("model_gru32", "gru", 32, 1),
    ("model_gru64", "gru", 64, 1),
    ("model_lstm32x4", "lstm", 32, 4),
    ("model_gru32x4", "gru", 32, 4),
]
MODEL_B, MODEL_T, MODEL_F, MODEL_DENSE, MODEL_CLASSES = 4, 4, 5, 64, 10   # B a power of 2: Network scales by the float 1/B


def main_models():
    B, T, F_, D, C = MODEL_B, MODEL_T, MODEL_F, MODEL_DENSE, MODEL_CLASSES
    for k, (base, cell, H, layers) in enumerate(MODEL_CASES):
        shapes = model_param_shapes(cell, H, layers, F_, D, C)
        sizes = [int(torch.Size(s).numel()) for s in shapes]
        flat = splitmix_params(sum(sizes))
        ps = [t.reshape(s) for t, s in zip(flat.split(sizes), shapes)]
        gen = torch.Generator().manual_seed(SEED + 200 + k)
        x = torch.randn(B, T, F_, generator=gen).float().double()   # float32-exact
        labels = torch.randint(0, C, (B,), generator=gen)
        tl, tloss, tgrad = model_torch(cell, layers, x, ps, labels)
        el, eloss, egrad = model_explicit(cell, "tanh", layers, x, ps, labels)
        errs = (max_abs(tl, el), abs(tloss - eloss).item(), max_abs(tgrad, egrad))
        assert max(errs) < 1e-12, (base, errs)
        for activation in ("tanh", "relu"):
            name = "%s_%s" % (base, activation)
            if activation == "tanh":
                logits, loss, grad = tl, tloss, tgrad
            else:
                logits, loss, grad = model_explicit(cell, activation, layers, x, ps, labels)
                assert max_abs(logits, tl) > 1e-4, name
            # every parameter tensor gets a nonzero gradient, so a wrong one cannot hide among zeros
            assert all((g != 0).any() for g in grad.split(sizes)), name
            path = os.path.join(OUT_DIR, name + ".txt")
            with open(path, "w") as fh:
                fh.write("# generated by make_golden.py (PyTorch %s), float64\n" % torch.__version__)
                fh.write("# cell=%s activation=%s units=%d layers=%d batch=%d steps=%d features=%d dense=%d classes=%d\n"
                         % (cell, activation, H, layers, B, T, F_, D, C))
                fh.write("# model: %d x %s(%d, %s), last step only -> Dense(%d, relu) -> Dense(%d); softmax"
                         " cross-entropy, mean over the batch; no dropout\n" % (layers, cell.upper(), H, activation, D, C))
                fh.write("# params (not stored): params[i] = (u - 2^23) / 2^25, u = splitmix64(i + 1) >>> 40;"
                         " canonical layout, %d values\n" % sum(sizes))
                fh.write("# logits (B, C), loss the mean cross-entropy, dparams its gradient (canonical layout)\n")
                fh.write(fmt_tensor("x", x))
                fh.write(fmt_tensor("labels", labels.double()))
                fh.write(fmt_tensor("logits", logits))
                fh.write(fmt_tensor("loss", loss.reshape(1)))
                fh.write("dparams %d %s\n" % (grad.numel(), " ".join("%.12g" % v for v in grad.tolist())))
            print("%-22s explicit-vs-torch max err %.3g  %s (%d bytes)"
                  % (name, max(errs), os.path.basename(path), os.path.getsize(path)))


# ---------------------------------------------------------------------------------------------
# Per-sample lengths and bidirectional layers (packed sequences).
# ---------------------------------------------------------------------------------------------

LENGTH_CASES = [
    # name, cell, layers, bidirectional, states, B, T, F, H, lengths
    ("len_lstm", "lstm", 1, False, False, 5, 6, 3, 5, [6, 1, 4, 6, 3]),
    ("len_gru", "gru", 1, False, False, 5, 6, 3, 5, [6, 1, 4, 6, 3]),
    ("len_lstm_states", "lstm", 1, False, True, 5, 6, 3, 5, [2, 6, 1, 5, 6]),
    ("len_gru_states", "gru", 1, False, True, 5, 6, 3, 5, [2, 6, 1, 5, 6]),
    ("len_lstm_bi", "lstm", 1, True, True, 5, 6, 3, 5, [6, 1, 4, 6, 3]),
    ("len_gru_bi", "gru", 1, True, True, 5, 6, 3, 5, [6, 1, 4, 6, 3]),
    ("len_lstm_bi_full", "lstm", 1, True, False, 3, 4, 3, 5, [4, 4, 4]),
    ("len_gru_bi_full", "gru", 1, True, False, 3, 4, 3, 5, [4, 4, 4]),
    ("len_lstm_x2", "lstm", 2, False, True, 4, 5, 3, 4, [5, 1, 3, 4]),
    ("len_gru_x2", "gru", 2, False, True, 4, 5, 3, 4, [5, 1, 3, 4]),
    ("len_lstm_bi_x2", "lstm", 2, True, True, 4, 5, 3, 4, [5, 1, 3, 4]),
    ("len_gru_bi_x2", "gru", 2, True, False, 4, 5, 3, 4, [5, 1, 3, 4]),
    ("len_lstm_bi_h16", "lstm", 1, True, True, 3, 5, 4, 16, [5, 2, 1]),
    ("len_gru_bi_h16", "gru", 1, True, True, 3, 5, 4, 16, [5, 2, 1]),
]


def run_packed(cell, layers, bidir, states, B, T, F, H, lengths, seed):
    """One packed-sequence case through nn.LSTM/GRU; returns the tensors to write."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    lstm = cell == "lstm"
    D = 2 if bidir else 1
    G = gates(cell)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, F, generator=gen)
    mod = (nn.LSTM if lstm else nn.GRU)(F, H, num_layers=layers, batch_first=True, bidirectional=bidir)
    blocks = []                                   # canonical order: layer, direction, W R biases
    with torch.no_grad():
        for l in range(layers):
            inp = F if l == 0 else D * H
            for d in range(D):
                sfx = "_l%d%s" % (l, "_reverse" if d else "")
                W = torch.rand(G * H, inp, generator=gen) - 0.5
                R = torch.rand(G * H, H, generator=gen) - 0.5
                getattr(mod, "weight_ih" + sfx).copy_(W)
                getattr(mod, "weight_hh" + sfx).copy_(R)
                bW = torch.rand(G * H, generator=gen) - 0.5
                getattr(mod, "bias_ih" + sfx).copy_(bW)
                if lstm:
                    getattr(mod, "bias_hh" + sfx).zero_()
                else:
                    getattr(mod, "bias_hh" + sfx).copy_(torch.rand(G * H, generator=gen) - 0.5)
                blocks.append(sfx)
    g = torch.randn(B, T, D * H, generator=gen)
    h0 = torch.rand(layers * D, B, H, generator=gen) * 2 - 1 if states else None
    c0 = torch.randn(layers * D, B, H, generator=gen) if states and lstm else None
    ghn = torch.randn(layers * D, B, H, generator=gen) if states else None
    gcn = torch.randn(layers * D, B, H, generator=gen) if states and lstm else None
    xg = x.clone().requires_grad_(True)
    h0g = h0.clone().requires_grad_(True) if states else None
    c0g = c0.clone().requires_grad_(True) if states and lstm else None
    packed = pack_padded_sequence(xg, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    if lstm:
        out, (hn, cn) = mod(packed, (h0g, c0g)) if states else mod(packed)
    else:
        out, hn = mod(packed, h0g) if states else mod(packed)
        cn = None
    y, ylen = pad_packed_sequence(out, batch_first=True, total_length=T)
    assert ylen.tolist() == list(lengths)
    loss = (y * g).sum()
    if states:
        loss = loss + (hn * ghn).sum()
        if lstm:
            loss = loss + (cn * gcn).sum()
    loss.backward()
    params, grads = [], []
    for sfx in blocks:
        names = ["weight_ih", "weight_hh", "bias_ih"] + ([] if lstm else ["bias_hh"])
        for nm in names:
            p = getattr(mod, nm + sfx)
            params.append(p.detach().reshape(-1))
            grads.append(p.grad.reshape(-1))
        if lstm:
            assert max_abs(getattr(mod, "bias_ih" + sfx).grad, getattr(mod, "bias_hh" + sfx).grad) < 1e-12
    # the conventions jrnn relies on: zeros past each length, dx 0 there, hn the last valid step
    for b, n in enumerate(lengths):
        assert (y[b, n:] == 0).all() and (xg.grad[b, n:] == 0).all()
        assert max_abs(hn[(layers - 1) * D, b], y[b, n - 1, :H]) == 0
        if bidir:
            assert max_abs(hn[(layers - 1) * D + 1, b], y[b, 0, H:]) == 0
    out = dict(x=x, lengths=torch.tensor(lengths, dtype=torch.float64), params=torch.cat(params), y=y.detach(),
               g=g, dx=xg.grad.detach(), dparams=torch.cat(grads).detach())
    if states:
        out.update(h0=h0, hn=hn.detach(), ghn=ghn, dh0=h0g.grad.detach())
        if lstm:
            out.update(c0=c0, cn=cn.detach(), gcn=gcn, dc0=c0g.grad.detach())
    return out


def main_lengths():
    for k, (name, cell, layers, bidir, states, B, T, F, H, lengths) in enumerate(LENGTH_CASES):
        out = run_packed(cell, layers, bidir, states, B, T, F, H, lengths, SEED + 300 + k)
        path = os.path.join(OUT_DIR, name + ".txt")
        with open(path, "w") as fh:
            fh.write("# generated by make_golden.py (PyTorch %s), float64\n" % torch.__version__)
            fh.write("# cell=%s activation=tanh batch=%d steps=%d features=%d units=%d layers=%d bidirectional=%d\n"
                     % (cell, B, T, F, H, layers, 1 if bidir else 0))
            fh.write("# through pack_padded_sequence(enforce_sorted=False) and pad_packed_sequence; y (B, T, D*H)"
                     " 0 past each length; states (layers*D, B, H)\n")
            fh.write("# loss = sum(y * g)%s; dx, %sdparams its gradients (canonical layout, per layer forward"
                     " direction then reverse)\n"
                     % (" + sum(hn * ghn)" + (" + sum(cn * gcn)" if cell == "lstm" else "") if states else "",
                        ("dh0, dc0, " if cell == "lstm" else "dh0, ") if states else ""))
            names = ["x", "lengths", "params"]
            if states:
                names += ["h0"] + (["c0"] if cell == "lstm" else [])
            names += ["y"]
            if states:
                names += ["hn"] + (["cn"] if cell == "lstm" else [])
            names += ["g"]
            if states:
                names += ["ghn"] + (["gcn"] if cell == "lstm" else [])
            names += ["dx"]
            if states:
                names += ["dh0"] + (["dc0"] if cell == "lstm" else [])
            names += ["dparams"]
            for tname in names:
                fh.write(fmt_tensor(tname, out[tname]))
        print("%-20s %s (%d bytes)" % (name, os.path.basename(path), os.path.getsize(path)))


def main():
    torch.manual_seed(SEED)
    for k, (name, cell, activation, B, T, F, H) in enumerate(CASES):
        x, W, R, biases, g = make_inputs(cell, B, T, F, H, SEED + k)
        if activation == "tanh":
            y, dx, dp = run_torch(cell, x, W, R, biases, g)
            # cross-check the explicit implementation (which produces the relu goldens)
            ey, edx, edp = run_explicit(cell, "tanh", x, W, R, biases, g)
            errs = (max_abs(y, ey), max_abs(dx, edx), max_abs(dp, edp))
            assert max(errs) < 1e-12, (name, errs)
        else:
            y, dx, dp = run_explicit(cell, activation, x, W, R, biases, g)
            # also check the explicit tanh path on these very inputs
            ty, tdx, tdp = run_torch(cell, x, W, R, biases, g)
            ey, edx, edp = run_explicit(cell, "tanh", x, W, R, biases, g)
            errs = (max_abs(ty, ey), max_abs(tdx, edx), max_abs(tdp, edp))
            assert max(errs) < 1e-12, (name, errs)
            # relu goldens must exercise the relu (both signs of pre-activations) and differ from tanh
            assert (y != 0).any() and (y == 0).any() and max_abs(y, ey) > 1e-3, name
        params = torch.cat([t.reshape(-1) for t in [W, R] + biases])
        path = write_case(name, cell, activation, B, T, F, H,
                          dict(x=x, params=params, y=y, g=g, dx=dx, dparams=dp))
        print("%-16s explicit-vs-torch max err %.3g  %s (%d bytes)"
              % (name, max(errs), os.path.basename(path), os.path.getsize(path)))
    main_states()
    main_models()
    main_lengths()


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["lengths"]:
        main_lengths()
    else:
        main()
