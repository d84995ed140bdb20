// jrnn's own LSTM and GRU cells for any cell activation (tanh, relu), in the standard structure:
// the Java side (dev.jrnn.cuda.FusedRnn) runs one cuBLAS SGEMM for the input projection of all
// timesteps, then per step one recurrent SGEMM and one fused cell kernel below; backward mirrors
// it (one fused kernel and one SGEMM per step, then three SGEMMs and two column sums for the
// weight, bias and input gradients). cuDNN fuses only tanh cells, so relu cells (the notebook's
// activation='relu') run here.
//
// Math (DESIGN.md, Keras semantics): gate order LSTM i, f, g, o; GRU r, z, n, reset after the
// recurrent product; act replaces the candidate's tanh and the tanh on c; the gates' own
// activation stays the sigmoid.
//   LSTM: i = s(a_i), f = s(a_f), g = act(a_g), o = s(a_o), a = xw + b + rh;
//         c = f * c' + i * g, h = o * act(c)
//   GRU:  r = s(xw_r + bW_r + rh_r + bR_r), z = s(xw_z + bW_z + rh_z + bR_z),
//         m = rh_n + bR_n, n = act(xw_n + bW_n + r * m), h = (1 - z) * n + z * h'
// where xw = x W^T (B, T, G*H) batch-major, rh = h' R^T (B, G*H), h' and c' the previous states.
//
// Buffers of one layer and direction (Java side), by step k in the direction's order (t = k forward,
// t = T-1-k reverse): hs (T+1, B, H) time-major, hs[0] the initial state and hs[k+1] the state after
// step k; cs (T+1, B, H) likewise for the LSTM's cell state, for GRU cs[k+1] holds m; gates
// (T, B, G*H) the activated gates; y (B, T, D*H) batch-major, the API's layout, direction d's
// features at d*H (D directions). A bidirectional layer is two passes of these kernels, one per
// direction, each with its own weights, writing its half of y.
#include "common.cuh"

JRNN_HD float jrnn_sigmoid(float v) {
    return 1.0f / (1.0f + expf(-v));
}

// Sequence lengths (issue 16): lengths (B) int32 in device memory, or NULL for every sequence T
// steps long. Step t is active for sequence b iff t < lengths[b] (the "freeze" rule); the forward
// direction runs t = 0..T-1 and the reverse one t = T-1..0, so both see exactly the valid steps
// [0, lengths[b]) in their order, the reverse one starting at the last valid step from the initial
// state. An inactive step keeps the state (h and c carried over), writes y = 0 and zero gates; in
// backward it passes dh and dc through unchanged, ignores dy and writes zero gate gradients (so
// no weight, bias or input gradient comes from padding, and dx there is 0).
JRNN_HD bool jrnn_active(const int* lengths, long long b, int t) {
    return lengths == 0 || t < lengths[b];
}

// Body: element e = b * H + u of LSTM step t. xw (B, T, 4H), bias (4H), rh (B, 4H), hPrev/cPrev
// (B, H) the states before the step, h/c (B, H) after it, y (B, T, ldy) with this direction's H
// features at its start (ldy = directions * H), gates (B, 4H) this step's slot.
JRNN_HD void jrnn_lstm_step_element(long long e, int H, int T, int t, int act, int ldy, const float* xw,
                                    const float* bias, const float* rh, const float* hPrev, const float* cPrev,
                                    float* h, float* c, float* y, float* gates, const int* lengths) {
    long long b = e / H, u = e % H, G4 = 4LL * H;
    float* gs = gates + b * G4;
    if (!jrnn_active(lengths, b, t)) {
        gs[u] = gs[H + u] = gs[2 * H + u] = gs[3 * H + u] = 0.0f;
        c[e] = cPrev[e];
        h[e] = hPrev[e];
        y[(b * T + t) * ldy + u] = 0.0f;
        return;
    }
    const float* x = xw + (b * T + t) * G4;
    const float* r = rh + b * G4;
    float i = jrnn_sigmoid(x[u] + bias[u] + r[u]);
    float f = jrnn_sigmoid(x[H + u] + bias[H + u] + r[H + u]);
    float g = jrnn_activate(act, x[2 * H + u] + bias[2 * H + u] + r[2 * H + u]);
    float o = jrnn_sigmoid(x[3 * H + u] + bias[3 * H + u] + r[3 * H + u]);
    float cNew = f * cPrev[e] + i * g;
    float hNew = o * jrnn_activate(act, cNew);
    gs[u] = i;
    gs[H + u] = f;
    gs[2 * H + u] = g;
    gs[3 * H + u] = o;
    c[e] = cNew;
    h[e] = hNew;
    y[(b * T + t) * ldy + u] = hNew;
}

// Body: element e = b * H + u of GRU step t. bias (6H): bW then bR; m (B, H) receives
// rh_n + bR_n (0 on an inactive step); otherwise as the LSTM's (gates (B, 3H)).
JRNN_HD void jrnn_gru_step_element(long long e, int H, int T, int t, int act, int ldy, const float* xw,
                                   const float* bias, const float* rh, const float* hPrev, float* h, float* m,
                                   float* y, float* gates, const int* lengths) {
    long long b = e / H, u = e % H, G3 = 3LL * H;
    float* gs = gates + b * G3;
    if (!jrnn_active(lengths, b, t)) {
        gs[u] = gs[H + u] = gs[2 * H + u] = 0.0f;
        m[e] = 0.0f;
        h[e] = hPrev[e];
        y[(b * T + t) * ldy + u] = 0.0f;
        return;
    }
    const float* x = xw + (b * T + t) * G3;
    const float* r = rh + b * G3;
    const float* bW = bias;
    const float* bR = bias + G3;
    float rr = jrnn_sigmoid(x[u] + bW[u] + r[u] + bR[u]);
    float z = jrnn_sigmoid(x[H + u] + bW[H + u] + r[H + u] + bR[H + u]);
    float mm = r[2 * H + u] + bR[2 * H + u];
    float n = jrnn_activate(act, x[2 * H + u] + bW[2 * H + u] + rr * mm);
    float hNew = (1.0f - z) * n + z * hPrev[e];
    gs[u] = rr;
    gs[H + u] = z;
    gs[2 * H + u] = n;
    m[e] = mm;
    h[e] = hNew;
    y[(b * T + t) * ldy + u] = hNew;
}

// Body: element e = b * H + u of the LSTM's backward step t. gates (B, 4H) the step's slot,
// cPrev/c (B, H) the cell states before and after it; dy (B, T, lddy) with this direction's H
// features at its start, or NULL; dh, dc (B, H): in, the gradients reaching h(t) and c(t) from the
// next step; out, the part of the previous dh that does not go through R (0 for the LSTM; on an
// inactive step dh itself) and the previous dc. dgin (B, T, 4H) and dgrec (B, 4H) = the step's slot
// receive the pre-activation gate gradients (the same for the LSTM: one bias).
JRNN_HD void jrnn_lstm_step_backward_element(long long e, int H, int T, int t, int act, int lddy, const float* gates,
                                             const float* cPrev, const float* c, const float* dy, float* dh, float* dc,
                                             float* dgin, float* dgrec, const int* lengths) {
    long long b = e / H, u = e % H, G4 = 4LL * H;
    float* din = dgin + (b * T + t) * G4;
    float* drec = dgrec + b * G4;
    if (!jrnn_active(lengths, b, t)) {
        din[u] = drec[u] = din[H + u] = drec[H + u] = 0.0f;
        din[2 * H + u] = drec[2 * H + u] = din[3 * H + u] = drec[3 * H + u] = 0.0f;
        return;   // dh and dc pass through
    }
    const float* gs = gates + b * G4;
    float i = gs[u], f = gs[H + u], g = gs[2 * H + u], o = gs[3 * H + u];
    float dH = dh[e] + (dy != 0 ? dy[(b * T + t) * lddy + u] : 0.0f);
    float tc = jrnn_activate(act, c[e]);
    float dC = dc[e] + dH * o * jrnn_derivative(act, tc);
    float dai = dC * g * i * (1.0f - i);
    float daf = dC * cPrev[e] * f * (1.0f - f);
    float dag = dC * i * jrnn_derivative(act, g);
    float dao = dH * tc * o * (1.0f - o);
    din[u] = drec[u] = dai;
    din[H + u] = drec[H + u] = daf;
    din[2 * H + u] = drec[2 * H + u] = dag;
    din[3 * H + u] = drec[3 * H + u] = dao;
    dh[e] = 0.0f;
    dc[e] = dC * f;
}

// Body: element e = b * H + u of the GRU's backward step t. gates (B, 3H) the step's slot, hPrev
// (B, H) the state before it, m (B, H) its m; dh as the LSTM's (out: the previous dh through z, or
// dh itself on an inactive step); dgin (B, T, 3H) the gradients of the input pre-activations,
// dgrec (B, 3H) the step's slot, those of rh + bR.
JRNN_HD void jrnn_gru_step_backward_element(long long e, int H, int T, int t, int act, int lddy, const float* gates,
                                            const float* hPrev, const float* m, const float* dy, float* dh, float* dgin,
                                            float* dgrec, const int* lengths) {
    long long b = e / H, u = e % H, G3 = 3LL * H;
    float* din = dgin + (b * T + t) * G3;
    float* drec = dgrec + b * G3;
    if (!jrnn_active(lengths, b, t)) {
        din[u] = drec[u] = din[H + u] = drec[H + u] = din[2 * H + u] = drec[2 * H + u] = 0.0f;
        return;   // dh passes through
    }
    const float* gs = gates + b * G3;
    float r = gs[u], z = gs[H + u], n = gs[2 * H + u];
    float dH = dh[e] + (dy != 0 ? dy[(b * T + t) * lddy + u] : 0.0f);
    float dan = dH * (1.0f - z) * jrnn_derivative(act, n);
    float daz = dH * (hPrev[e] - n) * z * (1.0f - z);
    float dar = dan * m[e] * r * (1.0f - r);
    din[u] = drec[u] = dar;
    din[H + u] = drec[H + u] = daz;
    din[2 * H + u] = dan;
    drec[2 * H + u] = dan * r;
    dh[e] = dH * z;
}

// Body: dst[i] = src[i].
JRNN_HD void jrnn_copy_element(long long i, const float* src, float* dst) {
    dst[i] = src[i];
}

#ifdef __CUDACC__
// One LSTM step over (B, H); see jrnn_lstm_step_element.
extern "C" __global__ void jrnn_lstm_step(int batch, int H, int T, int t, int act, int ldy, const float* xw,
                                          const float* bias, const float* rh, const float* hPrev, const float* cPrev,
                                          float* h, float* c, float* y, float* gates, const int* lengths) {
    JRNN_FOR_EACH(e, (long long)batch * H) {
        jrnn_lstm_step_element(e, H, T, t, act, ldy, xw, bias, rh, hPrev, cPrev, h, c, y, gates, lengths);
    }
}

// One GRU step over (B, H); see jrnn_gru_step_element.
extern "C" __global__ void jrnn_gru_step(int batch, int H, int T, int t, int act, int ldy, const float* xw,
                                         const float* bias, const float* rh, const float* hPrev, float* h, float* m,
                                         float* y, float* gates, const int* lengths) {
    JRNN_FOR_EACH(e, (long long)batch * H) jrnn_gru_step_element(e, H, T, t, act, ldy, xw, bias, rh, hPrev, h, m, y, gates, lengths);
}

// One LSTM backward step over (B, H); see jrnn_lstm_step_backward_element.
extern "C" __global__ void jrnn_lstm_step_backward(int batch, int H, int T, int t, int act, int lddy, const float* gates,
                                                   const float* cPrev, const float* c, const float* dy, float* dh,
                                                   float* dc, float* dgin, float* dgrec, const int* lengths) {
    JRNN_FOR_EACH(e, (long long)batch * H) {
        jrnn_lstm_step_backward_element(e, H, T, t, act, lddy, gates, cPrev, c, dy, dh, dc, dgin, dgrec, lengths);
    }
}

// One GRU backward step over (B, H); see jrnn_gru_step_backward_element.
extern "C" __global__ void jrnn_gru_step_backward(int batch, int H, int T, int t, int act, int lddy, const float* gates,
                                                  const float* hPrev, const float* m, const float* dy, float* dh,
                                                  float* dgin, float* dgrec, const int* lengths) {
    JRNN_FOR_EACH(e, (long long)batch * H) {
        jrnn_gru_step_backward_element(e, H, T, t, act, lddy, gates, hPrev, m, dy, dh, dgin, dgrec, lengths);
    }
}

// dst (n) = src (n): initial and final states in and out of the state sequences.
extern "C" __global__ void jrnn_copy(int n, const float* src, float* dst) {
    JRNN_FOR_EACH(i, n) jrnn_copy_element(i, src, dst);
}
#endif
