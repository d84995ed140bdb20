// A fake cuDNN 9 (libcudnn.so.9) over the fake driver's host "device" memory: the v8 RNN API for
// a stack of numLayers >= 1 LSTM (single input bias, or double bias as the persistent algorithm
// requires) or GRU (double bias, reset after) layers with tanh cells, unidirectional or
// CUDNN_BIDIRECTIONAL, on FP32 data in any of cuDNN's three layouts with per-sequence lengths
// (the unpacked ones only with padded I/O enabled), computed in double on the CPU. Prototypes and
// enum values are copied from cuDNN 9.6's cudnn_graph.h, cudnn_ops.h and cudnn_adv.h.
//
// Layers are stacked as cuDNN stacks them: layer 0 reads x (inputSize F), layer l > 0 reads layer
// l-1's output sequence (hiddenSize H, times 2 when bidirectional), y is the top layer's output. A
// bidirectional layer is two pseudo-layers, its forward direction (pseudo-layer 2l) and its
// backward one (2l + 1), which runs each sequence from its last valid step back to step 0; its
// output is both directions' hidden states concatenated per step, forward first. All layers share
// the cell and bias modes. The weight space holds the pseudo-layers' blocks one after another in
// pseudo-layer order (as cudnnGetRNNWeightParams numbers them). Initial and final states (hx, cx,
// hy, cy) and their gradients (dhy, dcy, dhx, dcx) follow cuDNN: (numLayers * directions, batch,
// hidden) tensors described by hDesc / cDesc, pseudo-layer p's (batch, hidden) slice at float
// offset p * batch * hidden, NULL meaning zeros (inputs) or not written (outputs); for GRU the
// cell-state arguments are ignored, as by cuDNN. The reserve space keeps, per pseudo-layer, the
// per-step scratch that backward needs and, for layers 0..L-2, their output sequences (the inputs
// of the layers above); see reserveFloats. Backward data passes the sequence gradient between
// layers through the work space, as the real library would use it.
//
// Sequence lengths (cudnnSetRNNDataDescriptor's seqLengthArray): sequence b is its first
// lengths[b] steps; the rest of an unpacked buffer is padding, which the fake never reads (x, dy)
// and fills with the descriptor's paddingFill where it writes (y forward, dx backward; NaN for a
// NULL paddingFill, which cuDNN leaves undefined). The final state of a sequence is the one after
// its last valid step (for the backward direction, after step 0), and no gradient comes from
// padding: the semantics of PyTorch's pack_padded_sequence, which runs on the same cuDNN calls.
//
// It checks what real cuDNN requires of a caller and what it would not say: descriptor settings,
// sizes of the weight/work/reserve spaces, sequence lengths in device memory equal to the
// descriptors', pointers inside live allocations, the forward -> backward-data -> backward-weights
// order on a reserve space with the same shape and lengths. Its weight-space layout is the
// canonical one by default; jrnn_fake_cudnn_set_layout(1) switches RNN descriptors set afterwards
// to a shuffled, padded layout (within each pseudo-layer's block: biases first, matrices in another
// order) so the Java side's copy-and-map path is exercised too.
#include "fake_cuda.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <map>
#include <utility>
#include <string>
#include <vector>

typedef int cudnnStatus_t;
enum {
    CUDNN_STATUS_SUCCESS = 0,
    CUDNN_STATUS_NOT_INITIALIZED = 1001,
    CUDNN_STATUS_BAD_PARAM = 2000,
    CUDNN_STATUS_BAD_PARAM_NULL_POINTER = 2002,
    CUDNN_STATUS_NOT_SUPPORTED = 3000,
    CUDNN_STATUS_EXECUTION_FAILED = 5000,
};
enum { CUDNN_DATA_FLOAT = 0 };
enum { CUDNN_FMA_MATH = 3 };
enum { CUDNN_RNN_ALGO_STANDARD = 0, CUDNN_RNN_ALGO_PERSIST_STATIC = 1, CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H = 3 };
enum { CUDNN_FWD_MODE_INFERENCE = 0, CUDNN_FWD_MODE_TRAINING = 1 };
enum { CUDNN_LSTM = 2, CUDNN_GRU = 3 };
enum { CUDNN_RNN_SINGLE_INP_BIAS = 1, CUDNN_RNN_DOUBLE_BIAS = 2 };
enum { CUDNN_UNIDIRECTIONAL = 0, CUDNN_BIDIRECTIONAL = 1 };
enum { CUDNN_LINEAR_INPUT = 0 };
enum {
    CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED = 0,
    CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED = 1,
    CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED = 2,
};
enum { CUDNN_RNN_PADDED_IO_DISABLED = 0, CUDNN_RNN_PADDED_IO_ENABLED = 1 };   // auxFlags bits (cudnn_adv.h)
enum { CUDNN_WGRAD_MODE_ADD = 0, CUDNN_WGRAD_MODE_SET = 1 };

namespace {

std::string lastError;
int shuffledLayout = 0;
int refusePersistent = 0;   // for tests: 1 set, 2 forward, 3 backward data, 4 backward weights refuse the persistent algorithms
int liveObjects = 0;

cudnnStatus_t fail(cudnnStatus_t status, const std::string& why) {
    lastError = why;
    std::fprintf(stderr, "fake cuDNN: %s\n", why.c_str());
    return status;
}

struct Handle {
    const void* stream = nullptr;
};
struct TensorDesc {
    int nb = 0, dims[8] = {0}, strides[8] = {0};
};
struct DropoutDesc {
    bool set = false;
};
struct RnnDesc {
    bool set = false;
    int mode = 0, bias = 0, F = 0, H = 0, L = 0, shuffled = 0;   // F: layer 0's input size; L: numLayers
    int dirs = 1;            // 2 for CUDNN_BIDIRECTIONAL
    int algo = 0;
    bool paddedIO = false;   // auxFlags has CUDNN_RNN_PADDED_IO_ENABLED
    DropoutDesc* dropout = nullptr;
    int gates() const { return mode == CUDNN_LSTM ? 4 : 3; }
};
struct DataDesc {
    bool set = false;
    int layout = -1;   // cudnnRNNDataLayout_t
    int T = 0, B = 0, V = 0;
    std::vector<int> lengths;   // seqLengthArray, copied from the host at cudnnSetRNNDataDescriptor
    bool hasFill = false;       // paddingFill given (a host float)
    float fill = 0.0f;
    int length(int b) const { return lengths[(size_t)b]; }
    bool variable() const {
        for (int n : lengths) if (n != T) return true;
        return false;
    }
};

// Row (b, t) of data in descriptor d's layout, or -1 for padding: the packed layout holds, step by
// step, the rows of the sequences still running (sorted by decreasing length, so b < count(t)).
long rowOf(const DataDesc& d, int b, int t) {
    if (t >= d.length(b)) return -1;
    if (d.layout == CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED) return (long)b * d.T + t;
    if (d.layout == CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED) return (long)t * d.B + b;
    long at = 0;
    for (int s = 0; s < t; s++) for (int k = 0; k < d.B; k++) at += d.length(k) > s ? 1 : 0;
    return at + b;
}

// Floats the data of descriptor d spans: (T, B, V) unpacked, the valid steps' rows packed.
long dataFloats(const DataDesc& d) {
    if (d.layout != CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED) return (long)d.T * d.B * d.V;
    long rows = 0;
    for (int n : d.lengths) rows += n;
    return rows * d.V;
}

// The data of descriptor d as (B, T, V) batch-major in tmp, its valid steps only (the rest 0: the
// fake never reads padding, which cuDNN does not either).
const float* batchMajor(const DataDesc& d, const void* data, std::vector<float>& tmp) {
    const float* s = (const float*)data;
    tmp.assign((size_t)d.B * d.T * d.V, 0.0f);
    for (int b = 0; b < d.B; b++)
        for (int t = 0; t < d.length(b); t++) {
            long r = rowOf(d, b, t);
            for (long v = 0; v < d.V; v++) tmp[((long)b * d.T + t) * d.V + v] = s[r * d.V + v];
        }
    return tmp.data();
}

// Where to compute output data of descriptor d batch-major: tmp, which storeBatchMajor then writes
// out in d's layout.
float* batchMajorOut(const DataDesc& d, std::vector<float>& tmp) {
    tmp.assign((size_t)d.B * d.T * d.V, 0.0f);
    return tmp.data();
}

// cuDNN's API reference, cudnnSetRNNDataDescriptor, paddingFill: "A user-defined symbol for filling
// the padding position in RNN output. This is only effective when the descriptor is describing the
// RNN output, and the unpacked layout is specified. The symbol should be in the host memory [...]
// If a NULL pointer is passed in, then the padding position in the output will be undefined." The
// fake writes NaN there for "undefined", so that a caller relying on it sees.
void storeBatchMajor(const DataDesc& d, const float* bm, void* data) {
    float* o = (float*)data;
    for (int b = 0; b < d.B; b++)
        for (int t = 0; t < d.T; t++) {
            long r = rowOf(d, b, t);
            if (r >= 0) {
                for (long v = 0; v < d.V; v++) o[r * d.V + v] = bm[((long)b * d.T + t) * d.V + v];
            } else if (d.layout != CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED) {
                long p = d.layout == CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED ? (long)b * d.T + t : (long)t * d.B + b;
                for (long v = 0; v < d.V; v++) o[p * d.V + v] = d.hasFill ? d.fill : NAN;
            }
        }
}

// cuDNN's API reference, cudnnSetRNNDescriptor_v8, auxFlags: "When the padded I/O is enabled,
// layouts CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED and CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED
// are permitted in RNN data descriptors"; without it only the packed layout is. (PyTorch enables
// padded I/O for every unpacked layout: aten/src/ATen/native/cudnn/RNN.cpp.)
bool layoutPermitted(bool paddedIO, int layout) {
    return layout == CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED || paddedIO;
}

// The input vector size of one pseudo-layer: x's for layer 0, the layer below's output (both its
// directions' H features, concatenated) above it.
int layerInput(const RnnDesc& d, int pseudo) {
    return pseudo / d.dirs == 0 ? d.F : d.dirs * d.H;
}

// Where each piece of one pseudo-layer lives in the weight space, in floats from the start of the whole space.
struct Layout {
    std::vector<long> W, R, bW, bR;   // per gate; bR empty for LSTM
    long begin = 0, end = 0;          // the pseudo-layer's block [begin, end)
};

// The block of pseudo-layer `pseudo` when it starts at float offset `at`.
Layout layerBlock(const RnnDesc& d, int pseudo, long at) {
    int G = d.gates(), H = d.H, F = layerInput(d, pseudo);
    bool doubleBias = d.bias == CUDNN_RNN_DOUBLE_BIAS;
    Layout l;
    l.W.resize(G);
    l.R.resize(G);
    l.bW.resize(G);
    if (doubleBias) l.bR.resize(G);
    l.begin = at;
    if (!d.shuffled) {   // canonical: W, R, bW, bR, gate by gate
        for (int g = 0; g < G; g++, at += (long)H * F) l.W[g] = at;
        for (int g = 0; g < G; g++, at += (long)H * H) l.R[g] = at;
        for (int g = 0; g < G; g++, at += H) l.bW[g] = at;
        if (doubleBias) for (int g = 0; g < G; g++, at += H) l.bR[g] = at;
    } else {             // biases first, recurrent matrices in reverse gate order, 16 floats of padding each
        const long pad = 16;
        if (doubleBias) for (int g = G - 1; g >= 0; g--, at += H + pad) l.bR[g] = at;
        for (int g = 0; g < G; g++, at += H + pad) l.bW[g] = at;
        for (int g = G - 1; g >= 0; g--, at += (long)H * H + pad) l.R[g] = at;
        for (int g = 0; g < G; g++, at += (long)H * F + pad) l.W[g] = at;
    }
    l.end = at;
    return l;
}

// Pseudo-layer `pseudo`'s block: the pseudo-layers' blocks lie one after another in order
// (layer l direction d is pseudo-layer l * dirs + d, as cudnnGetRNNWeightParams numbers them).
Layout layout(const RnnDesc& d, int pseudo) {
    long at = 0;
    for (int k = 0; k < pseudo; k++) at = layerBlock(d, k, at).end;
    return layerBlock(d, pseudo, at);
}

// The whole weight space, in floats.
long weightFloats(const RnnDesc& d) {
    return layout(d, d.L * d.dirs - 1).end;
}

// At least 2 * B * T * dirs * H: backward data keeps the sequence gradient between layers there.
long workFloats(const RnnDesc& d, const DataDesc& x) {
    return (long)x.B * x.T * d.H * std::max(d.gates(), 2 * d.dirs);
}

// Per (b, t) and pseudo-layer: activated gates (G*H), extra (H: c for LSTM, R_n h + b_Rn for
// GRU), gate gradients of the input product (G*H) and of the recurrent product (G*H); all 0 on
// padding.
long reservePerStep(const RnnDesc& d) {
    return 3L * d.gates() * d.H + d.H;
}

// The reserve space (training; the forward's temporary in inference), in floats: pseudo-layer p's
// per-step scratch, B*T*reservePerStep laid out (b, t)-major, at scratchOffset(p) = p*B*T*per;
// after all L*dirs of them the output sequences (B, T, dirs*H) of layers 0..L-2 at
// outputOffset(l). The top layer's output is y.
long scratchOffset(const RnnDesc& d, int B, int T, int pseudo) {
    return (long)pseudo * B * T * reservePerStep(d);
}

long outputOffset(const RnnDesc& d, int B, int T, int layer) {
    return scratchOffset(d, B, T, d.L * d.dirs) + (long)layer * B * T * d.dirs * d.H;
}

long reserveFloats(const RnnDesc& d, int B, int T) {
    return outputOffset(d, B, T, d.L - 1);
}

struct ReserveState {
    bool forward = false, backwardData = false;
    const RnnDesc* rnn = nullptr;
    int T = 0, B = 0, L = 0, dirs = 0;
    std::vector<int> lengths;
};
std::map<const void*, ReserveState> reserves;

double sigmoid(double v) {
    return 1 / (1 + std::exp(-v));
}

bool dev(const void* p, long floats, const char* what) {
    return p != nullptr && jrnn_fake_check(p, 4UL * (unsigned long)floats, what) == 0;
}

cudnnStatus_t checkCommon(Handle* h, const RnnDesc* r, const DataDesc* x, const DataDesc* y, const TensorDesc* hd,
                          const int* seq) {
    if (h == nullptr) return fail(CUDNN_STATUS_NOT_INITIALIZED, "no handle");
    if (!jrnn_fake_context_current()) return fail(CUDNN_STATUS_EXECUTION_FAILED, "no current CUDA context");
    if (!jrnn_fake_stream_valid(h->stream)) return fail(CUDNN_STATUS_EXECUTION_FAILED, "the handle's stream is not live");
    jrnn_fake_stream_drain(h->stream);   // NB: the call runs now, after the work queued before it on its stream
    if (r == nullptr || !r->set) return fail(CUDNN_STATUS_BAD_PARAM, "RNN descriptor not set");
    if (x == nullptr || !x->set || y == nullptr || !y->set) return fail(CUDNN_STATUS_BAD_PARAM, "data descriptor not set");
    // cudnnRNNForward, yDesc: the output's vectorSize is hiddenSize (projSize), "doubled" for
    // CUDNN_BIDIRECTIONAL; its other dimensions, layout and seqLengthArray must match xDesc's
    if (x->V != r->F || y->V != r->dirs * r->H || x->T != y->T || x->B != y->B || x->layout != y->layout) {
        return fail(CUDNN_STATUS_BAD_PARAM, "x/y descriptors do not match the RNN's input and hidden sizes (times the "
                    "directions for y), or each other's layout");
    }
    if (x->lengths != y->lengths) return fail(CUDNN_STATUS_BAD_PARAM, "x and y descriptors have different seqLengthArrays");
    if (!layoutPermitted(r->paddedIO, x->layout)) {
        return fail(CUDNN_STATUS_BAD_PARAM, "an unpacked data layout without CUDNN_RNN_PADDED_IO_ENABLED in the RNN descriptor's auxFlags");
    }
    // hDesc: "The first dimension of the tensor depends on the dirMode argument [...]: numLayers
    // for CUDNN_UNIDIRECTIONAL, 2 * numLayers for CUDNN_BIDIRECTIONAL"
    if (hd == nullptr || hd->nb != 3 || hd->dims[0] != r->L * r->dirs || hd->dims[1] != x->B || hd->dims[2] != r->H) {
        return fail(CUDNN_STATUS_BAD_PARAM, "hDesc must be (numLayers * directions, batch, hidden)");
    }
    // devSeqLengths: "A copy of seqLengthArray from xDesc or yDesc RNN data descriptor. The
    // devSeqLengths array must be stored in GPU memory as it is accessed asynchronously by GPU
    // kernels, possibly after the cudnnRNNForward() function exits."
    if (seq == nullptr || jrnn_fake_check(seq, 4UL * x->B, "devSeqLengths") != 0) {
        return fail(CUDNN_STATUS_BAD_PARAM, "devSeqLengths must be in device memory");
    }
    for (int b = 0; b < x->B; b++) {
        if (seq[b] != x->length(b)) {
            return fail(CUDNN_STATUS_BAD_PARAM, "devSeqLengths[" + std::to_string(b) + "] = " + std::to_string(seq[b])
                        + " differs from the data descriptor's seqLengthArray (" + std::to_string(x->length(b)) + ")");
        }
    }
    // PyTorch bails out of CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H for packed input after cuDNN
    // answered CUDNN_STATUS_NOT_SUPPORTED (pytorch/pytorch#73211: the algorithm "doesn't support
    // variable sequence lengths in the batch", per cuDNN's table of RNN features)
    if (r->algo == CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H && x->variable()) {
        return fail(CUDNN_STATUS_NOT_SUPPORTED, "CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H with variable sequence lengths");
    }
    return CUDNN_STATUS_SUCCESS;
}

// The optional (L * dirs, B, H) state buffers of one call: each NULL or device memory of
// L*dirs*B*H floats; for LSTM cDesc must then be shaped like hDesc.
cudnnStatus_t checkStates(const RnnDesc* r, const DataDesc* x, const TensorDesc* cd, const char* call,
                          std::initializer_list<std::pair<const void*, const char*>> hs,
                          std::initializer_list<std::pair<const void*, const char*>> cs) {
    long n = (long)r->L * r->dirs * x->B * r->H;
    for (const auto& h : hs) {
        if (h.first != nullptr && !dev(h.first, n, h.second)) {
            return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": " + h.second + " is not device memory of (numLayers * directions, batch, hidden)");
        }
    }
    if (r->mode != CUDNN_LSTM) return CUDNN_STATUS_SUCCESS;   // cuDNN ignores cDesc and the cell states for GRU
    if (cd == nullptr || cd->nb != 3 || cd->dims[0] != r->L * r->dirs || cd->dims[1] != x->B || cd->dims[2] != r->H) {
        return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": LSTM needs cDesc (numLayers * directions, batch, hidden)");
    }
    for (const auto& c : cs) {
        if (c.first != nullptr && !dev(c.first, n, c.second)) {
            return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": " + c.second + " is not device memory of (numLayers * directions, batch, hidden)");
        }
    }
    return CUDNN_STATUS_SUCCESS;
}

// The (B, H) slice of pseudo-layer `pseudo` in an optional (L * dirs, B, H) state buffer.
template <typename P>
P* layerState(P* p, int pseudo, int B, int H) {
    return p != nullptr ? p + (long)pseudo * B * H : nullptr;
}

// The step a direction runs before step t of a sequence of length n, or -1 for its first: the
// forward direction runs t = 0..n-1, the reverse one t = n-1..0 (cuDNN's CUDNN_BIDIRECTIONAL:
// each sequence backwards from its own last valid step).
int prevStep(int t, int n, bool reverse) {
    int p = reverse ? t + 1 : t - 1;
    return p >= 0 && p < n ? p : -1;
}

// One direction of one layer, forward: X (B, T, In) -> its H features of Y (B, T, ldy; Y points at
// them), its per-step scratch into S (B*T*reservePerStep). Sequence b runs its first len[b] steps
// (reverse: backwards from step len[b]-1); the rest of Y and S is left 0. HX, CX, HY, CY: the
// pseudo-layer's (B, H) state slices, NULL as in cuDNN (CX, CY NULL for GRU); the final state is
// the one after the sequence's last step in this direction's order (the initial one for length 0).
void forwardLayer(const RnnDesc& d, const Layout& l, int In, int B, int T, const int* len, bool reverse, const float* W,
                  const float* X, float* Y, int ldy, float* S, const float* HX, const float* CX, float* HY, float* CY) {
    int F = In, H = d.H, G = d.gates(), GH = G * H;
    long per = reservePerStep(d);
    bool lstm = d.mode == CUDNN_LSTM;
    std::vector<double> gx(GH), gh(GH), hp(H), cp(H);
    for (int b = 0; b < B; b++) {
        int n = len[b];
        for (int u = 0; u < H; u++) {
            hp[u] = HX ? HX[(long)b * H + u] : 0;
            cp[u] = CX ? CX[(long)b * H + u] : 0;
        }
        for (int k = 0; k < n; k++) {
            int t = reverse ? n - 1 - k : k;
            const float* xt = X + ((long)b * T + t) * F;
            float* st = S + ((long)b * T + t) * per;              // gates (GH), extra (H), dgx (GH), dgh (GH)
            for (int g = 0; g < G; g++) {
                for (int u = 0; u < H; u++) {
                    double sx = W[l.bW[g] + u], sh = l.bR.empty() ? 0 : W[l.bR[g] + u];
                    for (int q = 0; q < F; q++) sx += (double)W[l.W[g] + (long)u * F + q] * xt[q];
                    for (int q = 0; q < H; q++) sh += (double)W[l.R[g] + (long)u * H + q] * (float)hp[q];
                    gx[g * H + u] = sx;
                    gh[g * H + u] = sh;
                }
            }
            float* yt = Y + ((long)b * T + t) * ldy;
            for (int u = 0; u < H; u++) {
                if (lstm) {
                    double i = sigmoid(gx[u] + gh[u]), f = sigmoid(gx[H + u] + gh[H + u]);
                    double gg = std::tanh(gx[2 * H + u] + gh[2 * H + u]), o = sigmoid(gx[3 * H + u] + gh[3 * H + u]);
                    double c = f * cp[u] + i * gg;
                    st[u] = (float)i;
                    st[H + u] = (float)f;
                    st[2 * H + u] = (float)gg;
                    st[3 * H + u] = (float)o;
                    st[GH + u] = (float)c;
                    yt[u] = (float)(o * std::tanh(c));
                } else {
                    double rr = sigmoid(gx[u] + gh[u]), z = sigmoid(gx[H + u] + gh[H + u]);
                    double nn = std::tanh(gx[2 * H + u] + rr * gh[2 * H + u]);
                    st[u] = (float)rr;
                    st[H + u] = (float)z;
                    st[2 * H + u] = (float)nn;
                    st[GH + u] = (float)gh[2 * H + u];
                    yt[u] = (float)((1 - z) * nn + z * (float)hp[u]);
                }
            }
            for (int u = 0; u < H; u++) {   // NB: the state as stored, float, as the next step reads it
                hp[u] = yt[u];
                if (lstm) cp[u] = st[GH + u];
            }
        }
        for (int u = 0; u < H; u++) {
            if (HY) HY[(long)b * H + u] = (float)hp[u];
            if (CY) CY[(long)b * H + u] = (float)cp[u];
        }
    }
}

// One direction of one layer, backward data: from DY, the gradient into its H features of the
// output sequence Y (both (B, T, ldy), pointing at them; DY read at valid steps only), and DHY /
// DCY into its final states, adds its part of DX (B, T, In) (the caller zeroes it: a bidirectional
// layer's input gradient is both directions' sum) and writes DHX / DCX; stores the gate gradients
// in its scratch S for backward weights. State pointers are the pseudo-layer's (B, H) slices, NULL
// as in cuDNN (the cell ones NULL for GRU).
void backwardDataLayer(const RnnDesc& d, const Layout& l, int In, int B, int T, const int* len, bool reverse,
                       const float* W, const float* Y, const float* DY, int ldy, float* DX, float* S, const float* HX,
                       const float* CX, const float* DHY, const float* DCY, float* DHX, float* DCX) {
    int F = In, H = d.H, G = d.gates(), GH = G * H;
    long per = reservePerStep(d);
    bool lstm = d.mode == CUDNN_LSTM;
    std::vector<double> dhNext(H), dcNext(H), dgx(GH), dgh(GH);
    for (int b = 0; b < B; b++) {
        int n = len[b];
        for (int u = 0; u < H; u++) {   // the gradient into the last h is dy(last) + dhy
            dhNext[u] = DHY ? DHY[(long)b * H + u] : 0.0;
            dcNext[u] = DCY ? DCY[(long)b * H + u] : 0.0;
        }
        for (int k = n - 1; k >= 0; k--) {   // the direction's steps, last first
            int t = reverse ? n - 1 - k : k, pt = prevStep(t, n, reverse);
            float* st = S + ((long)b * T + t) * per;
            const float* sp = pt >= 0 ? S + ((long)b * T + pt) * per : nullptr;
            const float* hp = pt >= 0 ? Y + ((long)b * T + pt) * ldy : HX ? HX + (long)b * H : nullptr;
            const float* dyt = DY + ((long)b * T + t) * ldy;
            for (int u = 0; u < H; u++) {
                double dh = dyt[u] + dhNext[u];
                if (lstm) {
                    double i = st[u], f = st[H + u], gg = st[2 * H + u], o = st[3 * H + u], c = st[GH + u];
                    double cPrev = sp ? sp[GH + u] : CX ? CX[(long)b * H + u] : 0, ac = std::tanh(c);
                    double dc = dcNext[u] + dh * o * (1 - ac * ac);
                    dcNext[u] = dc * f;
                    dgx[u] = dc * gg * i * (1 - i);
                    dgx[H + u] = dc * cPrev * f * (1 - f);
                    dgx[2 * H + u] = dc * i * (1 - gg * gg);
                    dgx[3 * H + u] = dh * ac * o * (1 - o);
                } else {
                    double rr = st[u], z = st[H + u], nn = st[2 * H + u], ghn = st[GH + u], hPrev = hp ? hp[u] : 0;
                    double dan = dh * (1 - z) * (1 - nn * nn), daz = dh * (hPrev - nn) * z * (1 - z);
                    double dar = dan * ghn * rr * (1 - rr);
                    dgx[u] = dar;
                    dgx[H + u] = daz;
                    dgx[2 * H + u] = dan;
                    dgh[u] = dar;
                    dgh[H + u] = daz;
                    dgh[2 * H + u] = dan * rr;
                    dhNext[u] = dh * z;
                }
            }
            const std::vector<double>& dRec = lstm ? dgx : dgh;
            for (int j = 0; j < GH; j++) {
                st[GH + H + j] = (float)dgx[j];
                st[2 * GH + H + j] = (float)dRec[j];
            }
            float* dxt = DX + ((long)b * T + t) * F;
            for (int q = 0; q < F; q++) {
                double s = 0;
                for (int g = 0; g < G; g++) {
                    for (int u = 0; u < H; u++) s += dgx[g * H + u] * W[l.W[g] + (long)u * F + q];
                }
                dxt[q] = (float)(dxt[q] + s);
            }
            for (int q = 0; q < H; q++) {
                double s = 0;
                for (int g = 0; g < G; g++) {
                    for (int u = 0; u < H; u++) s += dRec[g * H + u] * W[l.R[g] + (long)u * H + q];
                }
                dhNext[q] = lstm ? s : dhNext[q] + s;
            }
        }
        for (int u = 0; u < H; u++) {   // after the direction's first step: the gradients into hx and cx
            if (DHX) DHX[(long)b * H + u] = (float)dhNext[u];
            if (DCX) DCX[(long)b * H + u] = (float)dcNext[u];
        }
    }
}

// One direction of one layer's weight gradients, added into acc (indexed like the whole weight
// space): X (B, T, In) its input, Y its H features of the output (B, T, ldy; the recurrent input
// one step later in the direction's order), HX its (B, H) slice of hx or NULL, S its scratch
// holding the gate gradients of backward data; valid steps only.
void backwardWeightsLayer(const RnnDesc& d, const Layout& l, int In, int B, int T, const int* len, bool reverse,
                          const float* X, const float* Y, int ldy, const float* S, const float* HX,
                          std::vector<double>& acc) {
    int F = In, H = d.H, G = d.gates(), GH = G * H;
    long per = reservePerStep(d);
    for (int b = 0; b < B; b++) {
        int n = len[b];
        for (int t = 0; t < n; t++) {
            int pt = prevStep(t, n, reverse);
            const float* st = S + ((long)b * T + t) * per;
            const float *dgx = st + GH + H, *dgh = st + 2 * GH + H;
            const float* xt = X + ((long)b * T + t) * F;
            const float* hp = pt >= 0 ? Y + ((long)b * T + pt) * ldy : HX ? HX + (long)b * H : nullptr;
            for (int g = 0; g < G; g++) {
                for (int u = 0; u < H; u++) {
                    double gi = dgx[g * H + u], gr = dgh[g * H + u];
                    for (int q = 0; q < F; q++) acc[l.W[g] + (long)u * F + q] += gi * xt[q];
                    for (int q = 0; hp && q < H; q++) acc[l.R[g] + (long)u * H + q] += gr * hp[q];
                    acc[l.bW[g] + u] += gi;
                    if (!l.bR.empty()) acc[l.bR[g] + u] += gr;
                }
            }
        }
    }
}

}  // namespace

extern "C" {

void jrnn_fake_cudnn_set_layout(int shuffled) {
    shuffledLayout = shuffled;
}

// For tests: where the persistent algorithms are refused with CUDNN_STATUS_NOT_SUPPORTED, as a real
// cuDNN may for some shapes: 0 nowhere, 1 cudnnSetRNNDescriptor_v8, 2 cudnnRNNForward,
// 3 cudnnRNNBackwardData_v8, 4 cudnnRNNBackwardWeights_v8.
void jrnn_fake_cudnn_refuse_persistent(int where) {
    refusePersistent = where;
}

int jrnn_fake_cudnn_live_objects(void) {
    return liveObjects;
}

size_t cudnnGetVersion(void) {
    return 90600;
}

size_t cudnnGetCudartVersion(void) {
    return 13000;
}

const char* cudnnGetErrorString(cudnnStatus_t s) {
    switch (s) {
        case CUDNN_STATUS_SUCCESS: return "CUDNN_STATUS_SUCCESS";
        case CUDNN_STATUS_NOT_INITIALIZED: return "CUDNN_STATUS_NOT_INITIALIZED";
        case CUDNN_STATUS_BAD_PARAM: return "CUDNN_STATUS_BAD_PARAM";
        case CUDNN_STATUS_BAD_PARAM_NULL_POINTER: return "CUDNN_STATUS_BAD_PARAM_NULL_POINTER";
        case CUDNN_STATUS_NOT_SUPPORTED: return "CUDNN_STATUS_NOT_SUPPORTED";
        case CUDNN_STATUS_EXECUTION_FAILED: return "CUDNN_STATUS_EXECUTION_FAILED";
        default: return "CUDNN_STATUS_UNKNOWN";
    }
}

void cudnnGetLastErrorString(char* message, size_t max_size) {
    if (max_size == 0) return;
    std::snprintf(message, max_size, "%s", lastError.c_str());
    lastError.clear();
}

cudnnStatus_t cudnnCreate(void** handle) {
    if (!jrnn_fake_context_current()) return fail(CUDNN_STATUS_NOT_INITIALIZED, "cudnnCreate without a current context");
    *handle = new Handle();
    liveObjects++;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroy(void* handle) {
    if (handle == nullptr) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnDestroy(NULL)");
    delete (Handle*)handle;
    liveObjects--;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetStream(void* handle, void* stream) {
    if (handle == nullptr) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetStream(NULL handle)");
    if (!jrnn_fake_stream_valid(stream)) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetStream: not a live stream");
    ((Handle*)handle)->stream = stream;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateTensorDescriptor(void** d) {
    *d = new TensorDesc();
    liveObjects++;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyTensorDescriptor(void* d) {
    delete (TensorDesc*)d;
    liveObjects--;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetTensorNdDescriptor(void* desc, int dataType, int nbDims, const int dimA[], const int strideA[]) {
    TensorDesc* d = (TensorDesc*)desc;
    if (d == nullptr || dataType != CUDNN_DATA_FLOAT || nbDims < 3 || nbDims > 8) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetTensorNdDescriptor: float, 3 to 8 dimensions");
    }
    long expect = 1;
    for (int i = nbDims - 1; i >= 0; i--) {
        if (dimA[i] <= 0 || strideA[i] != expect) return fail(CUDNN_STATUS_BAD_PARAM, "tensor not fully packed");
        expect *= dimA[i];
    }
    d->nb = nbDims;
    for (int i = 0; i < nbDims; i++) {
        d->dims[i] = dimA[i];
        d->strides[i] = strideA[i];
    }
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetTensorNdDescriptor(const void* desc, int nbDimsRequested, int* dataType, int* nbDims, int dimA[],
                                         int strideA[]) {
    const TensorDesc* d = (const TensorDesc*)desc;
    if (d == nullptr) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetTensorNdDescriptor(NULL)");
    *dataType = CUDNN_DATA_FLOAT;
    *nbDims = d->nb;
    for (int i = 0; i < d->nb && i < nbDimsRequested; i++) {
        dimA[i] = d->dims[i];
        strideA[i] = d->strides[i];
    }
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateDropoutDescriptor(void** d) {
    *d = new DropoutDesc();
    liveObjects++;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyDropoutDescriptor(void* d) {
    delete (DropoutDesc*)d;
    liveObjects--;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetDropoutDescriptor(void* desc, void* handle, float dropout, void* states, size_t stateSize,
                                        unsigned long long seed) {
    (void)seed;
    if (desc == nullptr || handle == nullptr) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetDropoutDescriptor(NULL)");
    if (dropout != 0.0f || states != nullptr || stateSize != 0) {
        return fail(CUDNN_STATUS_NOT_SUPPORTED, "the fake supports only dropout 0 without states");
    }
    ((DropoutDesc*)desc)->set = true;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateRNNDescriptor(void** d) {
    *d = new RnnDesc();
    liveObjects++;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyRNNDescriptor(void* d) {
    delete (RnnDesc*)d;
    liveObjects--;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetRNNDescriptor_v8(void* desc, int algo, int cellMode, int biasMode, int dirMode, int inputMode,
                                       int dataType, int mathPrec, int mathType, int32_t inputSize,
                                       int32_t hiddenSize, int32_t projSize, int32_t numLayers, void* dropoutDesc,
                                       uint32_t auxFlags) {
    RnnDesc* d = (RnnDesc*)desc;
    if (d == nullptr) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetRNNDescriptor_v8(NULL)");
    if (algo != CUDNN_RNN_ALGO_STANDARD && refusePersistent == 1) {
        return fail(CUDNN_STATUS_NOT_SUPPORTED, "persistent algorithm refused (jrnn_fake_cudnn_refuse_persistent)");
    }
    if ((algo != CUDNN_RNN_ALGO_STANDARD && algo != CUDNN_RNN_ALGO_PERSIST_STATIC && algo != CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H)
        || (dirMode != CUDNN_UNIDIRECTIONAL && dirMode != CUDNN_BIDIRECTIONAL)
        || inputMode != CUDNN_LINEAR_INPUT || dataType != CUDNN_DATA_FLOAT || mathPrec != CUDNN_DATA_FLOAT
        || mathType != CUDNN_FMA_MATH || projSize != hiddenSize) {
        return fail(CUDNN_STATUS_NOT_SUPPORTED, "the fake supports: standard, persist-static or persist-static-small-h algo, uni- or bidirectional, "
                    "linear input, float data and math, FMA math, projSize = hiddenSize");
    }
    // cudnn_adv.h defines one aux flag, CUDNN_RNN_PADDED_IO_ENABLED (1U << 0); others are not cuDNN's
    if ((auxFlags & ~(uint32_t)CUDNN_RNN_PADDED_IO_ENABLED) != 0) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetRNNDescriptor_v8: auxFlags " + std::to_string(auxFlags)
                    + " has bits other than CUDNN_RNN_PADDED_IO_ENABLED");
    }
    // NB: as cuDNN 9.5 answers on the host: the persistent algorithms take an LSTM only with double bias
    bool ok = (cellMode == CUDNN_LSTM && biasMode == CUDNN_RNN_SINGLE_INP_BIAS && algo == CUDNN_RNN_ALGO_STANDARD)
              || (cellMode == CUDNN_LSTM && biasMode == CUDNN_RNN_DOUBLE_BIAS)
              || (cellMode == CUDNN_GRU && biasMode == CUDNN_RNN_DOUBLE_BIAS);
    if (!ok) {
        return fail(CUDNN_STATUS_NOT_SUPPORTED, "the fake supports LSTM with a single input bias (standard algo) or "
                    "double bias, and GRU with double bias");
    }
    if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0) {
        return fail(CUDNN_STATUS_BAD_PARAM, "inputSize, hiddenSize and numLayers must be positive");
    }
    if (dropoutDesc == nullptr || !((DropoutDesc*)dropoutDesc)->set) return fail(CUDNN_STATUS_BAD_PARAM, "dropout descriptor not set");
    d->set = true;
    d->mode = cellMode;
    d->bias = biasMode;
    d->F = inputSize;
    d->H = hiddenSize;
    d->L = numLayers;
    d->dirs = dirMode == CUDNN_BIDIRECTIONAL ? 2 : 1;
    d->algo = algo;
    d->paddedIO = (auxFlags & CUDNN_RNN_PADDED_IO_ENABLED) != 0;
    d->dropout = (DropoutDesc*)dropoutDesc;
    d->shuffled = shuffledLayout;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateRNNDataDescriptor(void** d) {
    *d = new DataDesc();
    liveObjects++;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyRNNDataDescriptor(void* d) {
    delete (DataDesc*)d;
    liveObjects--;
    return CUDNN_STATUS_SUCCESS;
}

// Pointer kinds, as NVIDIA documents them: cudnnSetRNNDataDescriptor's seqLengthArray and
// paddingFill are host memory (it reads them before it returns), while cudnnRNNForward's and the
// backward calls' devSeqLengths "must be stored in GPU memory as it is accessed asynchronously by
// GPU kernels" (cuDNN API reference, cudnnRNNForward); checkCommon checks that one.
cudnnStatus_t needHost(const void* p, const char* what) {
    if (p != nullptr && jrnn_fake_is_device(p)) {
        return fail(CUDNN_STATUS_BAD_PARAM, std::string(what) + " is device memory; cuDNN reads it on the host");
    }
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetRNNDataDescriptor(void* desc, int dataType, int layout, int maxSeqLength, int batchSize,
                                        int vectorSize, const int seqLengthArray[], void* paddingFill) {
    if (needHost(seqLengthArray, "cudnnSetRNNDataDescriptor seqLengthArray") != CUDNN_STATUS_SUCCESS
        || needHost(paddingFill, "cudnnSetRNNDataDescriptor paddingFill") != CUDNN_STATUS_SUCCESS) {
        return CUDNN_STATUS_BAD_PARAM;
    }
    DataDesc* d = (DataDesc*)desc;
    // cuDNN's API reference, cudnnSetRNNDataDescriptor: BAD_PARAM for a layout that is none of the
    // three, and for maxSeqLength, batchSize or vectorSize <= 0; seqLengthArray is a host array
    if (d == nullptr || dataType != CUDNN_DATA_FLOAT || maxSeqLength <= 0 || batchSize <= 0 || vectorSize <= 0
        || seqLengthArray == nullptr) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetRNNDataDescriptor: the fake supports float data, sizes > 0, a seqLengthArray");
    }
    if (layout != CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED && layout != CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED
        && layout != CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetRNNDataDescriptor: layout " + std::to_string(layout) + " is not a cudnnRNNDataLayout_t");
    }
    int longest = 0;
    for (int b = 0; b < batchSize; b++) {   // host array
        // the reference: "Each element in seqLengthArray must be greater than or equal to 0 but
        // less than or equal to maxSeqLength" (cuDNN 9.x answers "currentSeqLength < 0 ||
        // currentSeqLength > maxSeqLength" on the host)
        if (seqLengthArray[b] < 0 || seqLengthArray[b] > maxSeqLength) {
            return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetRNNDataDescriptor: sequence length " + std::to_string(seqLengthArray[b])
                        + " outside [0, maxSeqLength = " + std::to_string(maxSeqLength) + "]");
        }
        longest = std::max(longest, seqLengthArray[b]);
        if (layout != CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED) continue;
        // the reference: "In the packed layout, the elements should be sorted in descending order";
        // cuDNN 9.x also refuses a 0 there ("minSeqLengthInArray == 0") and a longest length other
        // than maxSeqLength ("maxSeqLengthInArray != maxSeqLength"), as checked on the host
        if (b > 0 && seqLengthArray[b] > seqLengthArray[b - 1]) {
            return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetRNNDataDescriptor: packed layout with lengths not in descending order");
        }
        if (seqLengthArray[b] == 0) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetRNNDataDescriptor: packed layout with a length 0");
    }
    if (layout == CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED && longest != maxSeqLength) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetRNNDataDescriptor: packed layout whose longest sequence is not maxSeqLength");
    }
    d->layout = layout;
    d->set = true;
    d->T = maxSeqLength;
    d->B = batchSize;
    d->V = vectorSize;
    d->lengths.assign(seqLengthArray, seqLengthArray + batchSize);
    // paddingFill: a host symbol of the data type, read here; NULL leaves output padding undefined
    d->hasFill = paddingFill != nullptr;
    d->fill = d->hasFill ? *(const float*)paddingFill : 0.0f;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetRNNWeightSpaceSize(void* handle, void* rnn, size_t* size) {
    RnnDesc* r = (RnnDesc*)rnn;
    if (handle == nullptr || r == nullptr || !r->set) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetRNNWeightSpaceSize");
    *size = 4UL * (unsigned long)weightFloats(*r);
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetRNNTempSpaceSizes(void* handle, void* rnn, int fwdMode, void* xDesc, size_t* work,
                                        size_t* reserve) {
    RnnDesc* r = (RnnDesc*)rnn;
    DataDesc* x = (DataDesc*)xDesc;
    if (handle == nullptr || r == nullptr || !r->set || x == nullptr || !x->set || x->V != r->F) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetRNNTempSpaceSizes");
    }
    if (!layoutPermitted(r->paddedIO, x->layout)) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetRNNTempSpaceSizes: an unpacked data layout without CUDNN_RNN_PADDED_IO_ENABLED");
    }
    if (fwdMode != CUDNN_FWD_MODE_TRAINING && fwdMode != CUDNN_FWD_MODE_INFERENCE) return fail(CUDNN_STATUS_BAD_PARAM, "fwdMode");
    *work = 4UL * (unsigned long)workFloats(*r, *x);
    *reserve = fwdMode == CUDNN_FWD_MODE_TRAINING ? 4UL * (unsigned long)reserveFloats(*r, x->B, x->T) : 0;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetRNNWeightParams(void* handle, void* rnn, int32_t pseudoLayer, size_t weightSpaceSize,
                                      const void* weightSpace, int32_t linLayerID, void* mDesc, void** mAddr,
                                      void* bDesc, void** bAddr) {
    RnnDesc* r = (RnnDesc*)rnn;
    if (handle == nullptr || r == nullptr || !r->set) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetRNNWeightParams");
    // the reference, pseudoLayer: in unidirectional RNNs a pseudo-layer is a physical layer; "In
    // bidirectional RNNs, there are twice as many pseudo-layers in comparison to physical layers
    // (pseudoLayer=0 refers to the forward direction sub-layer of the physical input layer,
    // pseudoLayer=1 refers to the backward direction sub-layer of the physical input layer,
    // pseudoLayer=2 is the forward direction sub-layer of the first hidden layer, and so on)"
    if (pseudoLayer < 0 || pseudoLayer >= r->L * r->dirs) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetRNNWeightParams: pseudoLayer " + std::to_string(pseudoLayer)
                    + " is not in [0, numLayers * directions = " + std::to_string(r->L * r->dirs) + ")");
    }
    int G = r->gates(), H = r->H;
    if (linLayerID < 0 || linLayerID >= 2 * G || weightSpaceSize != 4UL * (unsigned long)weightFloats(*r)
        || weightSpace == nullptr) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetRNNWeightParams: linLayerID in [0, 2G), the exact weight space size");
    }
    Layout l = layout(*r, pseudoLayer);
    const float* base = (const float*)weightSpace;
    bool input = linLayerID < G;
    int g = input ? linLayerID : linLayerID - G;
    if (mDesc != nullptr) {
        int dims[3] = {1, H, input ? layerInput(*r, pseudoLayer) : H}, strides[3] = {dims[1] * dims[2], dims[2], 1};
        cudnnSetTensorNdDescriptor(mDesc, CUDNN_DATA_FLOAT, 3, dims, strides);
    }
    if (mAddr != nullptr) *mAddr = (void*)(base + (input ? l.W[g] : l.R[g]));
    long bias = -1;
    if (input) bias = l.bW[g];
    else if (!l.bR.empty()) bias = l.bR[g];
    if (bias >= 0 && bDesc != nullptr) {
        int dims[3] = {1, H, 1}, strides[3] = {H, 1, 1};
        cudnnSetTensorNdDescriptor(bDesc, CUDNN_DATA_FLOAT, 3, dims, strides);
    }
    if (bAddr != nullptr) *bAddr = bias >= 0 ? (void*)(base + bias) : nullptr;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnRNNForward(void* handle, void* rnnDesc, int fwdMode, const int32_t devSeqLengths[], void* xDesc,
                              const void* x, void* yDesc, void* y, void* hDesc, const void* hx, void* hy, void* cDesc,
                              const void* cx, void* cy, size_t weightSpaceSize, const void* weightSpace,
                              size_t workSpaceSize, void* workSpace, size_t reserveSpaceSize, void* reserveSpace) {
    Handle* h = (Handle*)handle;
    RnnDesc* r = (RnnDesc*)rnnDesc;
    DataDesc *xd = (DataDesc*)xDesc, *yd = (DataDesc*)yDesc;
    cudnnStatus_t st = checkCommon(h, r, xd, yd, (TensorDesc*)hDesc, devSeqLengths);
    if (st != CUDNN_STATUS_SUCCESS) return st;
    if (r->algo != CUDNN_RNN_ALGO_STANDARD && refusePersistent == 2) {
        return fail(CUDNN_STATUS_NOT_SUPPORTED, "cudnnRNNForward: persistent algorithm refused (jrnn_fake_cudnn_refuse_persistent)");
    }
    bool training = fwdMode == CUDNN_FWD_MODE_TRAINING;
    if (!training && fwdMode != CUDNN_FWD_MODE_INFERENCE) return fail(CUDNN_STATUS_BAD_PARAM, "fwdMode");
    st = checkStates(r, xd, (TensorDesc*)cDesc, "cudnnRNNForward", {{hx, "hx"}, {hy, "hy"}}, {{cx, "cx"}, {cy, "cy"}});
    if (st != CUDNN_STATUS_SUCCESS) return st;
    int B = xd->B, T = xd->T, H = r->H, L = r->L, D = r->dirs;
    long wf = weightFloats(*r), rf = reserveFloats(*r, B, T);
    if (weightSpaceSize != 4UL * (unsigned long)wf) return fail(CUDNN_STATUS_BAD_PARAM, "weightSpaceSize is not cuDNN's");
    if (workSpaceSize < 4UL * (unsigned long)workFloats(*r, *xd)) return fail(CUDNN_STATUS_BAD_PARAM, "workSpaceSize too small");
    if (training && reserveSpaceSize < 4UL * (unsigned long)rf) {
        return fail(CUDNN_STATUS_BAD_PARAM, "reserveSpaceSize too small");
    }
    if (!training && (reserveSpaceSize != 0 || reserveSpace != nullptr)) {
        return fail(CUDNN_STATUS_BAD_PARAM, "inference mode takes no reserve space (size 0, NULL)");
    }
    if (!dev(x, dataFloats(*xd), "cudnnRNNForward x") || !dev(y, dataFloats(*yd), "cudnnRNNForward y")
        || !dev(weightSpace, wf, "cudnnRNNForward weightSpace") || !dev(workSpace, workFloats(*r, *xd), "cudnnRNNForward workSpace")
        || (training && !dev(reserveSpace, rf, "cudnnRNNForward reserveSpace"))) {
        return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnRNNForward: a buffer is not device memory of the right size");
    }
    std::vector<float> inferenceReserve(training ? 0 : (size_t)rf);   // what the real one keeps internally
    std::vector<float> xt, yt;   // batch-major copies of the data
    const float *X = batchMajor(*xd, x, xt), *W = (const float*)weightSpace;
    float *Y = batchMajorOut(*yd, yt), *S = training ? (float*)reserveSpace : inferenceReserve.data();
    std::fill(S, S + rf, 0.0f);   // NB: padding steps keep zero scratch and zero outputs between layers
    bool lstm = r->mode == CUDNN_LSTM;
    const float *HX = (const float*)hx, *CX = lstm ? (const float*)cx : nullptr;
    float *HY = (float*)hy, *CY = lstm ? (float*)cy : nullptr;
    const int* len = xd->lengths.data();
    for (int k = 0; k < L; k++) {   // layer k reads x or layer k-1's output in S, writes y (top) or its output in S
        const float* in = k == 0 ? X : S + outputOffset(*r, B, T, k - 1);
        float* out = k == L - 1 ? Y : S + outputOffset(*r, B, T, k);
        for (int dir = 0; dir < D; dir++) {   // each direction its H features of the output
            int p = k * D + dir;
            forwardLayer(*r, layout(*r, p), layerInput(*r, p), B, T, len, dir == 1, W, in, out + (long)dir * H, D * H,
                         S + scratchOffset(*r, B, T, p), layerState(HX, p, B, H), layerState(CX, p, B, H),
                         layerState(HY, p, B, H), layerState(CY, p, B, H));
        }
    }
    storeBatchMajor(*yd, Y, y);
    if (!training) return CUDNN_STATUS_SUCCESS;
    ReserveState& rs = reserves[reserveSpace];
    rs.forward = true;
    rs.backwardData = false;
    rs.rnn = r;
    rs.T = T;
    rs.B = B;
    rs.L = L;
    rs.dirs = D;
    rs.lengths = xd->lengths;
    return CUDNN_STATUS_SUCCESS;
}

// The reserve space holds a training forward pass of this RNN with these data descriptors'
// shape and sequence lengths (backward reads what that pass kept).
bool sameForward(const ReserveState& rs, const RnnDesc* r, const DataDesc* xd) {
    return rs.forward && rs.rnn == r && rs.B == xd->B && rs.T == xd->T && rs.L == r->L && rs.dirs == r->dirs
           && rs.lengths == xd->lengths;
}

cudnnStatus_t cudnnRNNBackwardData_v8(void* handle, void* rnnDesc, const int32_t devSeqLengths[], void* yDesc,
                                      const void* y, const void* dy, void* xDesc, void* dx, void* hDesc, const void* hx,
                                      const void* dhy, void* dhx, void* cDesc, const void* cx, const void* dcy,
                                      void* dcx, size_t weightSpaceSize, const void* weightSpace, size_t workSpaceSize,
                                      void* workSpace, size_t reserveSpaceSize, void* reserveSpace) {
    Handle* h = (Handle*)handle;
    RnnDesc* r = (RnnDesc*)rnnDesc;
    DataDesc *xd = (DataDesc*)xDesc, *yd = (DataDesc*)yDesc;
    cudnnStatus_t st = checkCommon(h, r, xd, yd, (TensorDesc*)hDesc, devSeqLengths);
    if (st != CUDNN_STATUS_SUCCESS) return st;
    st = checkStates(r, xd, (TensorDesc*)cDesc, "cudnnRNNBackwardData_v8", {{hx, "hx"}, {dhy, "dhy"}, {dhx, "dhx"}},
                     {{cx, "cx"}, {dcy, "dcy"}, {dcx, "dcx"}});
    if (st != CUDNN_STATUS_SUCCESS) return st;
    if (r->algo != CUDNN_RNN_ALGO_STANDARD && refusePersistent == 3) {
        return fail(CUDNN_STATUS_NOT_SUPPORTED, "cudnnRNNBackwardData_v8: persistent algorithm refused (jrnn_fake_cudnn_refuse_persistent)");
    }
    auto it = reserves.find(reserveSpace);
    if (it == reserves.end() || !sameForward(it->second, r, xd)) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardData_v8: the reserve space holds no training forward pass of this RNN, "
                    "shape and sequence lengths");
    }
    int B = xd->B, T = xd->T, H = r->H, L = r->L, D = r->dirs;
    long wf = weightFloats(*r), rf = reserveFloats(*r, B, T);
    if (weightSpaceSize != 4UL * (unsigned long)wf || workSpaceSize < 4UL * (unsigned long)workFloats(*r, *xd)
        || reserveSpaceSize < 4UL * (unsigned long)rf) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardData_v8: space sizes");
    }
    if (!dev(y, dataFloats(*yd), "backwardData y") || !dev(dy, dataFloats(*yd), "backwardData dy")
        || !dev(dx, dataFloats(*xd), "backwardData dx") || !dev(weightSpace, wf, "backwardData weightSpace")
        || !dev(workSpace, workFloats(*r, *xd), "backwardData workSpace") || !dev(reserveSpace, rf, "backwardData reserveSpace")) {
        return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnRNNBackwardData_v8: a buffer is not device memory of the right size");
    }
    std::vector<float> yt, dyt, dxt;   // batch-major copies of the data
    const float *Y = batchMajor(*yd, y, yt), *DY = batchMajor(*yd, dy, dyt), *W = (const float*)weightSpace;
    float *DX = batchMajorOut(*xd, dxt), *S = (float*)reserveSpace, *WS = (float*)workSpace;
    bool lstm = r->mode == CUDNN_LSTM;
    const float *HX = (const float*)hx, *DHY = (const float*)dhy;
    const float *CX = lstm ? (const float*)cx : nullptr, *DCY = lstm ? (const float*)dcy : nullptr;
    float *DHX = (float*)dhx, *DCX = lstm ? (float*)dcx : nullptr;
    const int* len = xd->lengths.data();
    const long seq = (long)B * T * D * H;   // the sequence gradient between layers: two (B, T, D*H) halves of the work space
    const float* dOut = DY;
    for (int k = L - 1; k >= 0; k--) {   // top down: layer k's input gradient is layer k-1's output gradient
        const float* out = k == L - 1 ? Y : S + outputOffset(*r, B, T, k);
        float* dIn = k == 0 ? DX : WS + (k % 2) * seq;
        std::fill(dIn, dIn + (long)B * T * layerInput(*r, k * D), 0.0f);   // both directions add into it
        for (int dir = 0; dir < D; dir++) {
            int p = k * D + dir;
            backwardDataLayer(*r, layout(*r, p), layerInput(*r, p), B, T, len, dir == 1, W, out + (long)dir * H,
                              dOut + (long)dir * H, D * H, dIn, S + scratchOffset(*r, B, T, p), layerState(HX, p, B, H),
                              layerState(CX, p, B, H), layerState(DHY, p, B, H), layerState(DCY, p, B, H),
                              layerState(DHX, p, B, H), layerState(DCX, p, B, H));
        }
        dOut = dIn;
    }
    storeBatchMajor(*xd, DX, dx);   // dx: padding gets xDesc's paddingFill (an output here)
    it->second.backwardData = true;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnRNNBackwardWeights_v8(void* handle, void* rnnDesc, int addGrad, const int32_t devSeqLengths[],
                                         void* xDesc, const void* x, void* hDesc, const void* hx, void* yDesc,
                                         const void* y, size_t weightSpaceSize, void* dweightSpace,
                                         size_t workSpaceSize, void* workSpace, size_t reserveSpaceSize,
                                         void* reserveSpace) {
    Handle* h = (Handle*)handle;
    RnnDesc* r = (RnnDesc*)rnnDesc;
    DataDesc *xd = (DataDesc*)xDesc, *yd = (DataDesc*)yDesc;
    cudnnStatus_t st = checkCommon(h, r, xd, yd, (TensorDesc*)hDesc, devSeqLengths);
    if (st != CUDNN_STATUS_SUCCESS) return st;
    if (hx != nullptr && !dev(hx, (long)r->L * r->dirs * xd->B * r->H, "backwardWeights hx")) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardWeights_v8: hx is not device memory of (numLayers * directions, batch, hidden)");
    }
    if (addGrad != CUDNN_WGRAD_MODE_ADD && addGrad != CUDNN_WGRAD_MODE_SET) return fail(CUDNN_STATUS_BAD_PARAM, "addGrad");
    if (r->algo != CUDNN_RNN_ALGO_STANDARD && refusePersistent == 4) {
        return fail(CUDNN_STATUS_NOT_SUPPORTED, "cudnnRNNBackwardWeights_v8: persistent algorithm refused (jrnn_fake_cudnn_refuse_persistent)");
    }
    auto it = reserves.find(reserveSpace);
    if (it == reserves.end() || !it->second.backwardData || it->second.rnn != r) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardWeights_v8 before cudnnRNNBackwardData_v8 on this reserve space");
    }
    if (!sameForward(it->second, r, xd)) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardWeights_v8: the reserve space holds a pass of another shape or sequence lengths");
    }
    int B = xd->B, T = xd->T, H = r->H, L = r->L, D = r->dirs;
    long wf = weightFloats(*r), rf = reserveFloats(*r, B, T);
    if (weightSpaceSize != 4UL * (unsigned long)wf || workSpaceSize < 4UL * (unsigned long)workFloats(*r, *xd)
        || reserveSpaceSize < 4UL * (unsigned long)rf) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardWeights_v8: space sizes");
    }
    if (!dev(x, dataFloats(*xd), "backwardWeights x") || !dev(y, dataFloats(*yd), "backwardWeights y")
        || !dev(dweightSpace, wf, "backwardWeights dweightSpace") || !dev(workSpace, workFloats(*r, *xd), "backwardWeights workSpace")
        || !dev(reserveSpace, rf, "backwardWeights reserveSpace")) {
        return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnRNNBackwardWeights_v8: a buffer is not device memory of the right size");
    }
    std::vector<float> xt, yt;   // batch-major copies of the data
    const float *X = batchMajor(*xd, x, xt), *Y = batchMajor(*yd, y, yt), *S = (const float*)reserveSpace;
    const float* HX = (const float*)hx;
    float* Dw = (float*)dweightSpace;
    const int* len = xd->lengths.data();
    std::vector<double> acc((size_t)wf, 0.0);
    for (int k = 0; k < L; k++) {   // layer k: input x or layer k-1's output, recurrent input its own output (y on top)
        const float* in = k == 0 ? X : S + outputOffset(*r, B, T, k - 1);
        const float* out = k == L - 1 ? Y : S + outputOffset(*r, B, T, k);
        for (int dir = 0; dir < D; dir++) {
            int p = k * D + dir;
            backwardWeightsLayer(*r, layout(*r, p), layerInput(*r, p), B, T, len, dir == 1, in, out + (long)dir * H, D * H,
                                 S + scratchOffset(*r, B, T, p), layerState(HX, p, B, H), acc);
        }
    }
    for (long i = 0; i < wf; i++) Dw[i] = (float)(addGrad == CUDNN_WGRAD_MODE_ADD ? Dw[i] + acc[i] : acc[i]);
    it->second.backwardData = false;
    return CUDNN_STATUS_SUCCESS;
}

}  // extern "C"
