// A fake cuDNN 9 (libcudnn.so.9) over the fake driver's host "device" memory: the v8 RNN API for
// a stack of numLayers >= 1 unidirectional LSTM (single input bias, or double bias as the
// persistent algorithm requires) or GRU (double bias, reset after) layers with tanh cells, FP32 data in any of cuDNN's three
// layouts (full-length sequences only; the unpacked ones only with padded I/O enabled), computed in double on the
// CPU. Prototypes and enum values are copied from cuDNN 9.6's cudnn_graph.h, cudnn_ops.h and
// cudnn_adv.h.
//
// Layers are stacked as cuDNN stacks them: layer 0 reads x (inputSize F), layer l > 0 reads layer
// l-1's output sequence (hiddenSize H), y is the top layer's output; all layers share the cell and
// bias modes. The weight space holds the layers' blocks one after another in layer order
// (pseudoLayer = layer for cudnnGetRNNWeightParams); the input matrices of layer l are H x F for
// l = 0 and H x H above. Initial and final states (hx, cx, hy, cy) and their gradients (dhy, dcy,
// dhx, dcx) follow cuDNN: (numLayers, batch, hidden) tensors described by hDesc / cDesc, layer l's
// (batch, hidden) slice at float offset l * batch * hidden, NULL meaning zeros (inputs) or not
// written (outputs); for GRU the cell-state arguments are ignored, as by cuDNN. The reserve space
// keeps, per layer, the per-step scratch that backward needs and, for layers 0..L-2, their output
// sequences (the inputs of the layers above); see reserveFloats. Backward data passes the sequence
// gradient between layers through the work space, as the real library would use it.
//
// It checks what real cuDNN requires of a caller and what it would not say: descriptor settings,
// sizes of the weight/work/reserve spaces, sequence lengths in device memory, pointers inside
// live allocations, the forward -> backward-data -> backward-weights order on a reserve space.
// Its weight-space layout is the canonical one by default; jrnn_fake_cudnn_set_layout(1) switches
// RNN descriptors set afterwards to a shuffled, padded layout (within each layer's block: biases
// first, matrices in another order) so the Java side's copy-and-map path is exercised too.
#include "fake_cuda.h"

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
enum { CUDNN_UNIDIRECTIONAL = 0 };
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
    int algo = 0;
    bool paddedIO = false;   // auxFlags has CUDNN_RNN_PADDED_IO_ENABLED
    DropoutDesc* dropout = nullptr;
    int gates() const { return mode == CUDNN_LSTM ? 4 : 3; }
};
struct DataDesc {
    bool set = false;
    int layout = -1;   // cudnnRNNDataLayout_t
    int T = 0, B = 0, V = 0;
};

// The data of descriptor d, (B, T, V) batch-major: the buffer itself, or its transpose in tmp for
// the sequence-major layouts, (T, B, V) (packed and unpacked are the same bytes when every
// sequence has full length, the only case the fake takes).
const float* batchMajor(const DataDesc& d, const void* data, std::vector<float>& tmp) {
    const float* s = (const float*)data;
    if (d.layout == CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED) return s;
    tmp.resize((size_t)d.B * d.T * d.V);
    for (long t = 0; t < d.T; t++)
        for (long b = 0; b < d.B; b++)
            for (long v = 0; v < d.V; v++) tmp[(b * d.T + t) * d.V + v] = s[(t * d.B + b) * d.V + v];
    return tmp.data();
}

// Where to compute output data of descriptor d batch-major: the buffer itself, or tmp, which
// storeBatchMajor then writes out in d's layout.
float* batchMajorOut(const DataDesc& d, void* data, std::vector<float>& tmp) {
    if (d.layout == CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED) return (float*)data;
    tmp.assign((size_t)d.B * d.T * d.V, 0.0f);
    return tmp.data();
}

void storeBatchMajor(const DataDesc& d, const float* bm, void* data) {
    if (d.layout == CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED) return;
    float* o = (float*)data;
    for (long t = 0; t < d.T; t++)
        for (long b = 0; b < d.B; b++)
            for (long v = 0; v < d.V; v++) o[(t * d.B + b) * d.V + v] = bm[(b * d.T + t) * d.V + v];
}

// cuDNN's API reference, cudnnSetRNNDescriptor_v8, auxFlags: "When the padded I/O is enabled,
// layouts CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED and CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED
// are permitted in RNN data descriptors"; without it only the packed layout is. (PyTorch enables
// padded I/O for every unpacked layout: aten/src/ATen/native/cudnn/RNN.cpp.)
bool layoutPermitted(bool paddedIO, int layout) {
    return layout == CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED || paddedIO;
}

// The input vector size of one layer: x's for layer 0, the layer below's output above it.
int layerInput(const RnnDesc& d, int layer) {
    return layer == 0 ? d.F : d.H;
}

// Where each piece of one layer lives in the weight space, in floats from the start of the whole space.
struct Layout {
    std::vector<long> W, R, bW, bR;   // per gate; bR empty for LSTM
    long begin = 0, end = 0;          // the layer's block [begin, end)
};

// The block of layer `layer` when it starts at float offset `at`.
Layout layerBlock(const RnnDesc& d, int layer, long at) {
    int G = d.gates(), H = d.H, F = layerInput(d, layer);
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

// Layer `layer`'s block: the layers' blocks lie one after another in layer order.
Layout layout(const RnnDesc& d, int layer) {
    long at = 0;
    for (int k = 0; k < layer; k++) at = layerBlock(d, k, at).end;
    return layerBlock(d, layer, at);
}

// The whole weight space, in floats.
long weightFloats(const RnnDesc& d) {
    return layout(d, d.L - 1).end;
}

// At least 2 * B * T * H (G >= 3): backward data keeps the sequence gradient between layers there.
long workFloats(const RnnDesc& d, const DataDesc& x) {
    return (long)x.B * x.T * d.gates() * d.H;
}

// Per (b, t) and layer: activated gates (G*H), extra (H: c for LSTM, R_n h + b_Rn for GRU), gate
// gradients of the input product (G*H) and of the recurrent product (G*H).
long reservePerStep(const RnnDesc& d) {
    return 3L * d.gates() * d.H + d.H;
}

// The reserve space (training; the forward's temporary in inference), in floats: layer l's
// per-step scratch, B*T*reservePerStep laid out (b, t)-major, at scratchOffset(l) = l*B*T*per;
// after all L of them the output sequences (B, T, H) of layers 0..L-2 at outputOffset(l) =
// L*B*T*per + l*B*T*H. The top layer's output is y.
long scratchOffset(const RnnDesc& d, int B, int T, int layer) {
    return (long)layer * B * T * reservePerStep(d);
}

long outputOffset(const RnnDesc& d, int B, int T, int layer) {
    return scratchOffset(d, B, T, d.L) + (long)layer * B * T * d.H;
}

long reserveFloats(const RnnDesc& d, int B, int T) {
    return outputOffset(d, B, T, d.L - 1);
}

struct ReserveState {
    bool forward = false, backwardData = false;
    const RnnDesc* rnn = nullptr;
    int T = 0, B = 0, L = 0;
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
    if (x->V != r->F || y->V != r->H || x->T != y->T || x->B != y->B || x->layout != y->layout) {
        return fail(CUDNN_STATUS_BAD_PARAM, "x/y descriptors do not match the RNN's input and hidden sizes, or each other's layout");
    }
    if (!layoutPermitted(r->paddedIO, x->layout)) {
        return fail(CUDNN_STATUS_BAD_PARAM, "an unpacked data layout without CUDNN_RNN_PADDED_IO_ENABLED in the RNN descriptor's auxFlags");
    }
    if (hd == nullptr || hd->nb != 3 || hd->dims[0] != r->L || hd->dims[1] != x->B || hd->dims[2] != r->H) {
        return fail(CUDNN_STATUS_BAD_PARAM, "hDesc must be (numLayers, batch, hidden)");
    }
    if (seq == nullptr || jrnn_fake_check(seq, 4UL * x->B, "devSeqLengths") != 0) {
        return fail(CUDNN_STATUS_BAD_PARAM, "devSeqLengths must be in device memory");
    }
    for (int b = 0; b < x->B; b++) {
        if (seq[b] != x->T) return fail(CUDNN_STATUS_BAD_PARAM, "devSeqLengths differ from the data descriptor's");
    }
    return CUDNN_STATUS_SUCCESS;
}

// The optional (L, B, H) state buffers of one call: each NULL or device memory of L*B*H floats;
// for LSTM cDesc must then be (L, B, H) like hDesc.
cudnnStatus_t checkStates(const RnnDesc* r, const DataDesc* x, const TensorDesc* cd, const char* call,
                          std::initializer_list<std::pair<const void*, const char*>> hs,
                          std::initializer_list<std::pair<const void*, const char*>> cs) {
    long n = (long)r->L * x->B * r->H;
    for (const auto& h : hs) {
        if (h.first != nullptr && !dev(h.first, n, h.second)) {
            return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": " + h.second + " is not device memory of (numLayers, batch, hidden)");
        }
    }
    if (r->mode != CUDNN_LSTM) return CUDNN_STATUS_SUCCESS;   // cuDNN ignores cDesc and the cell states for GRU
    if (cd == nullptr || cd->nb != 3 || cd->dims[0] != r->L || cd->dims[1] != x->B || cd->dims[2] != r->H) {
        return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": LSTM needs cDesc (numLayers, batch, hidden)");
    }
    for (const auto& c : cs) {
        if (c.first != nullptr && !dev(c.first, n, c.second)) {
            return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": " + c.second + " is not device memory of (numLayers, batch, hidden)");
        }
    }
    return CUDNN_STATUS_SUCCESS;
}

// The (B, H) slice of layer `layer` in an optional (L, B, H) state buffer.
template <typename P>
P* layerState(P* p, int layer, int B, int H) {
    return p != nullptr ? p + (long)layer * B * H : nullptr;
}

// One layer's forward pass: X (B, T, In) -> Y (B, T, H), its per-step scratch into S
// (B*T*reservePerStep). HX, CX, HY, CY: the layer's (B, H) state slices, NULL as in cuDNN (CX, CY
// NULL for GRU).
void forwardLayer(const RnnDesc& d, const Layout& l, int In, int B, int T, const float* W, const float* X, float* Y,
                  float* S, const float* HX, const float* CX, float* HY, float* CY) {
    int F = In, H = d.H, G = d.gates(), GH = G * H;
    long per = reservePerStep(d);
    bool lstm = d.mode == CUDNN_LSTM;
    std::vector<double> gx(GH), gh(GH);
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            const float* xt = X + ((long)b * T + t) * F;
            const float* hp = t > 0 ? Y + ((long)b * T + t - 1) * H : HX ? HX + (long)b * H : nullptr;
            float* st = S + ((long)b * T + t) * per;              // gates (GH), extra (H), dgx (GH), dgh (GH)
            const float* sp = t > 0 ? st - per : nullptr;
            for (int g = 0; g < G; g++) {
                for (int u = 0; u < H; u++) {
                    double sx = W[l.bW[g] + u], sh = l.bR.empty() ? 0 : W[l.bR[g] + u];
                    for (int k = 0; k < F; k++) sx += (double)W[l.W[g] + (long)u * F + k] * xt[k];
                    for (int k = 0; hp && k < H; k++) sh += (double)W[l.R[g] + (long)u * H + k] * hp[k];
                    gx[g * H + u] = sx;
                    gh[g * H + u] = sh;
                }
            }
            float* yt = Y + ((long)b * T + t) * H;
            for (int u = 0; u < H; u++) {
                double hPrev = hp ? hp[u] : 0;
                if (lstm) {
                    double i = sigmoid(gx[u] + gh[u]), f = sigmoid(gx[H + u] + gh[H + u]);
                    double gg = std::tanh(gx[2 * H + u] + gh[2 * H + u]), o = sigmoid(gx[3 * H + u] + gh[3 * H + u]);
                    double c = f * (sp ? sp[GH + u] : CX ? CX[(long)b * H + u] : 0) + i * gg;
                    st[u] = (float)i;
                    st[H + u] = (float)f;
                    st[2 * H + u] = (float)gg;
                    st[3 * H + u] = (float)o;
                    st[GH + u] = (float)c;
                    yt[u] = (float)(o * std::tanh(c));
                } else {
                    double rr = sigmoid(gx[u] + gh[u]), z = sigmoid(gx[H + u] + gh[H + u]);
                    double n = std::tanh(gx[2 * H + u] + rr * gh[2 * H + u]);
                    st[u] = (float)rr;
                    st[H + u] = (float)z;
                    st[2 * H + u] = (float)n;
                    st[GH + u] = (float)gh[2 * H + u];
                    yt[u] = (float)((1 - z) * n + z * hPrev);
                }
            }
        }
        const float* last = S + ((long)b * T + T - 1) * per;
        for (int u = 0; u < H; u++) {
            if (HY) HY[(long)b * H + u] = Y[((long)b * T + T - 1) * H + u];
            if (CY) CY[(long)b * H + u] = last[GH + u];
        }
    }
}

// One layer's backward-data pass: from DY, the gradient into its output sequence Y (B, T, H, as its
// forward wrote it), and DHY / DCY into its final states, to DX (B, T, In) into its input and DHX /
// DCX into its initial states; stores the gate gradients in its scratch S for backward weights.
// State pointers are the layer's (B, H) slices, NULL as in cuDNN (the cell ones NULL for GRU).
void backwardDataLayer(const RnnDesc& d, const Layout& l, int In, int B, int T, const float* W, const float* Y,
                       const float* DY, float* DX, float* S, const float* HX, const float* CX, const float* DHY,
                       const float* DCY, float* DHX, float* DCX) {
    int F = In, H = d.H, G = d.gates(), GH = G * H;
    long per = reservePerStep(d);
    bool lstm = d.mode == CUDNN_LSTM;
    std::vector<double> dhNext(H), dcNext(H), dgx(GH), dgh(GH);
    for (int b = 0; b < B; b++) {
        for (int u = 0; u < H; u++) {   // the gradient into the last h is dy(T-1) + dhy
            dhNext[u] = DHY ? DHY[(long)b * H + u] : 0.0;
            dcNext[u] = DCY ? DCY[(long)b * H + u] : 0.0;
        }
        for (int t = T - 1; t >= 0; t--) {
            float* st = S + ((long)b * T + t) * per;
            const float* sp = t > 0 ? st - per : nullptr;
            const float* hp = t > 0 ? Y + ((long)b * T + t - 1) * H : HX ? HX + (long)b * H : nullptr;
            const float* dyt = DY + ((long)b * T + t) * H;
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
                    double rr = st[u], z = st[H + u], n = st[2 * H + u], ghn = st[GH + u], hPrev = hp ? hp[u] : 0;
                    double dan = dh * (1 - z) * (1 - n * n), daz = dh * (hPrev - n) * z * (1 - z);
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
            for (int k = 0; k < F; k++) {
                double s = 0;
                for (int g = 0; g < G; g++) {
                    for (int u = 0; u < H; u++) s += dgx[g * H + u] * W[l.W[g] + (long)u * F + k];
                }
                dxt[k] = (float)s;
            }
            for (int k = 0; k < H; k++) {
                double s = 0;
                for (int g = 0; g < G; g++) {
                    for (int u = 0; u < H; u++) s += dRec[g * H + u] * W[l.R[g] + (long)u * H + k];
                }
                dhNext[k] = lstm ? s : dhNext[k] + s;
            }
        }
        for (int u = 0; u < H; u++) {   // after step 0: the gradients into hx and cx
            if (DHX) DHX[(long)b * H + u] = (float)dhNext[u];
            if (DCX) DCX[(long)b * H + u] = (float)dcNext[u];
        }
    }
}

// One layer's weight gradients, added into acc (indexed like the whole weight space): X (B, T, In)
// its input, Y (B, T, H) its output (the recurrent input one step later), HX its (B, H) slice of hx
// or NULL, S its scratch holding the gate gradients of backward data.
void backwardWeightsLayer(const RnnDesc& d, const Layout& l, int In, int B, int T, const float* X, const float* Y,
                          const float* S, const float* HX, std::vector<double>& acc) {
    int F = In, H = d.H, G = d.gates(), GH = G * H;
    long per = reservePerStep(d);
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            const float* st = S + ((long)b * T + t) * per;
            const float *dgx = st + GH + H, *dgh = st + 2 * GH + H;
            const float* xt = X + ((long)b * T + t) * F;
            const float* hp = t > 0 ? Y + ((long)b * T + t - 1) * H : HX ? HX + (long)b * H : nullptr;
            for (int g = 0; g < G; g++) {
                for (int u = 0; u < H; u++) {
                    double gi = dgx[g * H + u], gr = dgh[g * H + u];
                    for (int k = 0; k < F; k++) acc[l.W[g] + (long)u * F + k] += gi * xt[k];
                    for (int k = 0; hp && k < H; k++) acc[l.R[g] + (long)u * H + k] += gr * hp[k];
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
        || dirMode != CUDNN_UNIDIRECTIONAL
        || inputMode != CUDNN_LINEAR_INPUT || dataType != CUDNN_DATA_FLOAT || mathPrec != CUDNN_DATA_FLOAT
        || mathType != CUDNN_FMA_MATH || projSize != hiddenSize) {
        return fail(CUDNN_STATUS_NOT_SUPPORTED, "the fake supports: standard, persist-static or persist-static-small-h algo, unidirectional, "
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
    if (d == nullptr || dataType != CUDNN_DATA_FLOAT || paddingFill != nullptr || maxSeqLength <= 0 || batchSize <= 0
        || vectorSize <= 0) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetRNNDataDescriptor: the fake supports float data, sizes > 0, no padding fill");
    }
    if (layout != CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED && layout != CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED
        && layout != CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetRNNDataDescriptor: layout " + std::to_string(layout) + " is not a cudnnRNNDataLayout_t");
    }
    for (int b = 0; b < batchSize; b++) {   // host array
        if (seqLengthArray[b] < 0 || seqLengthArray[b] > maxSeqLength) {
            return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetRNNDataDescriptor: a sequence length outside [0, maxSeqLength]");
        }
        // the reference: in the packed layout the lengths must be sorted in descending order
        if (layout == CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED && b > 0 && seqLengthArray[b] > seqLengthArray[b - 1]) {
            return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetRNNDataDescriptor: packed layout with lengths not in descending order");
        }
        if (seqLengthArray[b] != maxSeqLength) return fail(CUDNN_STATUS_NOT_SUPPORTED, "the fake supports full-length sequences only");
    }
    d->layout = layout;
    d->set = true;
    d->T = maxSeqLength;
    d->B = batchSize;
    d->V = vectorSize;
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
    if (pseudoLayer < 0 || pseudoLayer >= r->L) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetRNNWeightParams: pseudoLayer " + std::to_string(pseudoLayer)
                    + " is not in [0, numLayers = " + std::to_string(r->L) + ")");
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
    int B = xd->B, T = xd->T, F = r->F, H = r->H, L = r->L;
    long wf = weightFloats(*r), rf = reserveFloats(*r, B, T);
    if (weightSpaceSize != 4UL * (unsigned long)wf) return fail(CUDNN_STATUS_BAD_PARAM, "weightSpaceSize is not cuDNN's");
    if (workSpaceSize < 4UL * (unsigned long)workFloats(*r, *xd)) return fail(CUDNN_STATUS_BAD_PARAM, "workSpaceSize too small");
    if (training && reserveSpaceSize < 4UL * (unsigned long)rf) {
        return fail(CUDNN_STATUS_BAD_PARAM, "reserveSpaceSize too small");
    }
    if (!training && (reserveSpaceSize != 0 || reserveSpace != nullptr)) {
        return fail(CUDNN_STATUS_BAD_PARAM, "inference mode takes no reserve space (size 0, NULL)");
    }
    if (!dev(x, (long)B * T * F, "cudnnRNNForward x") || !dev(y, (long)B * T * H, "cudnnRNNForward y")
        || !dev(weightSpace, wf, "cudnnRNNForward weightSpace") || !dev(workSpace, workFloats(*r, *xd), "cudnnRNNForward workSpace")
        || (training && !dev(reserveSpace, rf, "cudnnRNNForward reserveSpace"))) {
        return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnRNNForward: a buffer is not device memory of the right size");
    }
    std::vector<float> inferenceReserve(training ? 0 : (size_t)rf);   // what the real one keeps internally
    std::vector<float> xt, yt;   // batch-major copies of sequence-major data
    const float *X = batchMajor(*xd, x, xt), *W = (const float*)weightSpace;
    float *Y = batchMajorOut(*yd, y, yt), *S = training ? (float*)reserveSpace : inferenceReserve.data();
    bool lstm = r->mode == CUDNN_LSTM;
    const float *HX = (const float*)hx, *CX = lstm ? (const float*)cx : nullptr;
    float *HY = (float*)hy, *CY = lstm ? (float*)cy : nullptr;
    for (int k = 0; k < L; k++) {   // layer k reads x or layer k-1's output in S, writes y (top) or its output in S
        const float* in = k == 0 ? X : S + outputOffset(*r, B, T, k - 1);
        float* out = k == L - 1 ? Y : S + outputOffset(*r, B, T, k);
        forwardLayer(*r, layout(*r, k), layerInput(*r, k), B, T, W, in, out, S + scratchOffset(*r, B, T, k),
                     layerState(HX, k, B, H), layerState(CX, k, B, H), layerState(HY, k, B, H), layerState(CY, k, B, H));
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
    return CUDNN_STATUS_SUCCESS;
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
    if (it == reserves.end() || !it->second.forward || it->second.rnn != r || it->second.B != xd->B || it->second.T != xd->T
        || it->second.L != r->L) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardData_v8: the reserve space holds no training forward pass of this RNN and shape");
    }
    int B = xd->B, T = xd->T, F = r->F, H = r->H, L = r->L;
    long wf = weightFloats(*r), rf = reserveFloats(*r, B, T);
    if (weightSpaceSize != 4UL * (unsigned long)wf || workSpaceSize < 4UL * (unsigned long)workFloats(*r, *xd)
        || reserveSpaceSize < 4UL * (unsigned long)rf) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardData_v8: space sizes");
    }
    if (!dev(y, (long)B * T * H, "backwardData y") || !dev(dy, (long)B * T * H, "backwardData dy")
        || !dev(dx, (long)B * T * F, "backwardData dx") || !dev(weightSpace, wf, "backwardData weightSpace")
        || !dev(workSpace, workFloats(*r, *xd), "backwardData workSpace") || !dev(reserveSpace, rf, "backwardData reserveSpace")) {
        return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnRNNBackwardData_v8: a buffer is not device memory of the right size");
    }
    std::vector<float> yt, dyt, dxt;   // batch-major copies of sequence-major data
    const float *Y = batchMajor(*yd, y, yt), *DY = batchMajor(*yd, dy, dyt), *W = (const float*)weightSpace;
    float *DX = batchMajorOut(*xd, dx, dxt), *S = (float*)reserveSpace, *WS = (float*)workSpace;
    bool lstm = r->mode == CUDNN_LSTM;
    const float *HX = (const float*)hx, *DHY = (const float*)dhy;
    const float *CX = lstm ? (const float*)cx : nullptr, *DCY = lstm ? (const float*)dcy : nullptr;
    float *DHX = (float*)dhx, *DCX = lstm ? (float*)dcx : nullptr;
    const long seq = (long)B * T * H;   // the sequence gradient between layers: two (B, T, H) halves of the work space
    const float* dOut = DY;
    for (int k = L - 1; k >= 0; k--) {   // top down: layer k's input gradient is layer k-1's output gradient
        const float* out = k == L - 1 ? Y : S + outputOffset(*r, B, T, k);
        float* dIn = k == 0 ? DX : WS + (k % 2) * seq;
        backwardDataLayer(*r, layout(*r, k), layerInput(*r, k), B, T, W, out, dOut, dIn, S + scratchOffset(*r, B, T, k),
                          layerState(HX, k, B, H), layerState(CX, k, B, H), layerState(DHY, k, B, H),
                          layerState(DCY, k, B, H), layerState(DHX, k, B, H), layerState(DCX, k, B, H));
        dOut = dIn;
    }
    storeBatchMajor(*xd, DX, dx);
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
    if (hx != nullptr && !dev(hx, (long)r->L * xd->B * r->H, "backwardWeights hx")) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardWeights_v8: hx is not device memory of (numLayers, batch, hidden)");
    }
    if (addGrad != CUDNN_WGRAD_MODE_ADD && addGrad != CUDNN_WGRAD_MODE_SET) return fail(CUDNN_STATUS_BAD_PARAM, "addGrad");
    if (r->algo != CUDNN_RNN_ALGO_STANDARD && refusePersistent == 4) {
        return fail(CUDNN_STATUS_NOT_SUPPORTED, "cudnnRNNBackwardWeights_v8: persistent algorithm refused (jrnn_fake_cudnn_refuse_persistent)");
    }
    auto it = reserves.find(reserveSpace);
    if (it == reserves.end() || !it->second.backwardData || it->second.rnn != r) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardWeights_v8 before cudnnRNNBackwardData_v8 on this reserve space");
    }
    if (it->second.B != xd->B || it->second.T != xd->T || it->second.L != r->L) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardWeights_v8: the reserve space holds a pass of another shape");
    }
    int B = xd->B, T = xd->T, F = r->F, H = r->H, L = r->L;
    long wf = weightFloats(*r), rf = reserveFloats(*r, B, T);
    if (weightSpaceSize != 4UL * (unsigned long)wf || workSpaceSize < 4UL * (unsigned long)workFloats(*r, *xd)
        || reserveSpaceSize < 4UL * (unsigned long)rf) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardWeights_v8: space sizes");
    }
    if (!dev(x, (long)B * T * F, "backwardWeights x") || !dev(y, (long)B * T * H, "backwardWeights y")
        || !dev(dweightSpace, wf, "backwardWeights dweightSpace") || !dev(workSpace, workFloats(*r, *xd), "backwardWeights workSpace")
        || !dev(reserveSpace, rf, "backwardWeights reserveSpace")) {
        return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnRNNBackwardWeights_v8: a buffer is not device memory of the right size");
    }
    std::vector<float> xt, yt;   // batch-major copies of sequence-major data
    const float *X = batchMajor(*xd, x, xt), *Y = batchMajor(*yd, y, yt), *S = (const float*)reserveSpace;
    const float* HX = (const float*)hx;
    float* D = (float*)dweightSpace;
    std::vector<double> acc((size_t)wf, 0.0);
    for (int k = 0; k < L; k++) {   // layer k: input x or layer k-1's output, recurrent input its own output (y on top)
        const float* in = k == 0 ? X : S + outputOffset(*r, B, T, k - 1);
        const float* out = k == L - 1 ? Y : S + outputOffset(*r, B, T, k);
        backwardWeightsLayer(*r, layout(*r, k), layerInput(*r, k), B, T, in, out, S + scratchOffset(*r, B, T, k),
                             layerState(HX, k, B, H), acc);
    }
    for (long i = 0; i < wf; i++) D[i] = (float)(addGrad == CUDNN_WGRAD_MODE_ADD ? D[i] + acc[i] : acc[i]);
    it->second.backwardData = false;
    return CUDNN_STATUS_SUCCESS;
}

}  // extern "C"
