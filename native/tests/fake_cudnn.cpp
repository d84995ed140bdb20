// A fake cuDNN 9 (libcudnn.so.9) over the fake driver's host "device" memory: the v8 RNN API for
// one unidirectional LSTM (single input bias) or GRU (double bias, reset after) layer with tanh
// cells, FP32 data, batch-major padded layout, computed in double on the CPU. Prototypes and enum
// values are copied from cuDNN 9.6's cudnn_graph.h, cudnn_ops.h and cudnn_adv.h.
//
// It checks what real cuDNN requires of a caller and what it would not say: descriptor settings,
// sizes of the weight/work/reserve spaces, sequence lengths in device memory, pointers inside
// live allocations, the forward -> backward-data -> backward-weights order on a reserve space.
// Initial and final states (hx, cx, hy, cy) and their gradients (dhy, dcy, dhx, dcx) follow
// cuDNN: (numLayers = 1, batch, hidden) tensors described by hDesc / cDesc, NULL meaning zeros
// (inputs) or not written (outputs); for GRU the cell-state arguments are ignored, as by cuDNN.
// Its weight-space layout is the canonical one by default; jrnn_fake_cudnn_set_layout(1) switches
// RNN descriptors set afterwards to a shuffled, padded layout (biases first, matrices in another
// order) so the Java side's copy-and-map path is exercised too.
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
enum { CUDNN_RNN_ALGO_STANDARD = 0 };
enum { CUDNN_FWD_MODE_INFERENCE = 0, CUDNN_FWD_MODE_TRAINING = 1 };
enum { CUDNN_LSTM = 2, CUDNN_GRU = 3 };
enum { CUDNN_RNN_SINGLE_INP_BIAS = 1, CUDNN_RNN_DOUBLE_BIAS = 2 };
enum { CUDNN_UNIDIRECTIONAL = 0 };
enum { CUDNN_LINEAR_INPUT = 0 };
enum { CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED = 2 };
enum { CUDNN_WGRAD_MODE_ADD = 0, CUDNN_WGRAD_MODE_SET = 1 };

namespace {

std::string lastError;
int shuffledLayout = 0;
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
    int mode = 0, bias = 0, F = 0, H = 0, shuffled = 0;
    DropoutDesc* dropout = nullptr;
    int gates() const { return mode == CUDNN_LSTM ? 4 : 3; }
};
struct DataDesc {
    bool set = false;
    int T = 0, B = 0, V = 0;
};

// Where each piece lives in the weight space, in floats.
struct Layout {
    std::vector<long> W, R, bW, bR;   // per gate; bR empty for LSTM
    long total = 0;
};

Layout layout(const RnnDesc& d) {
    int G = d.gates(), H = d.H, F = d.F;
    bool doubleBias = d.bias == CUDNN_RNN_DOUBLE_BIAS;
    Layout l;
    l.W.resize(G);
    l.R.resize(G);
    l.bW.resize(G);
    if (doubleBias) l.bR.resize(G);
    long at = 0;
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
    l.total = at;
    return l;
}

long workFloats(const RnnDesc& d, const DataDesc& x) {
    return (long)x.B * x.T * d.gates() * d.H;
}

// Per (b, t): activated gates (G*H), extra (H: c for LSTM, R_n h + b_Rn for GRU), gate gradients of
// the input product (G*H) and of the recurrent product (G*H).
long reservePerStep(const RnnDesc& d) {
    return 3L * d.gates() * d.H + d.H;
}

struct ReserveState {
    bool forward = false, backwardData = false;
    const RnnDesc* rnn = nullptr;
    int T = 0, B = 0;
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
    if (r == nullptr || !r->set) return fail(CUDNN_STATUS_BAD_PARAM, "RNN descriptor not set");
    if (x == nullptr || !x->set || y == nullptr || !y->set) return fail(CUDNN_STATUS_BAD_PARAM, "data descriptor not set");
    if (x->V != r->F || y->V != r->H || x->T != y->T || x->B != y->B) {
        return fail(CUDNN_STATUS_BAD_PARAM, "x/y descriptors do not match the RNN's input and hidden sizes");
    }
    if (hd == nullptr || hd->nb != 3 || hd->dims[0] != 1 || hd->dims[1] != x->B || hd->dims[2] != r->H) {
        return fail(CUDNN_STATUS_BAD_PARAM, "hDesc must be (1, batch, hidden)");
    }
    if (seq == nullptr || jrnn_fake_check(seq, 4UL * x->B, "devSeqLengths") != 0) {
        return fail(CUDNN_STATUS_BAD_PARAM, "devSeqLengths must be in device memory");
    }
    for (int b = 0; b < x->B; b++) {
        if (seq[b] != x->T) return fail(CUDNN_STATUS_BAD_PARAM, "devSeqLengths differ from the data descriptor's");
    }
    return CUDNN_STATUS_SUCCESS;
}

// The optional (1, B, H) state buffers of one call: each NULL or device memory of B*H floats;
// for LSTM cDesc must then be (1, B, H) like hDesc.
cudnnStatus_t checkStates(const RnnDesc* r, const DataDesc* x, const TensorDesc* cd, const char* call,
                          std::initializer_list<std::pair<const void*, const char*>> hs,
                          std::initializer_list<std::pair<const void*, const char*>> cs) {
    long n = (long)x->B * r->H;
    for (const auto& h : hs) {
        if (h.first != nullptr && !dev(h.first, n, h.second)) {
            return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": " + h.second + " is not device memory of (1, batch, hidden)");
        }
    }
    if (r->mode != CUDNN_LSTM) return CUDNN_STATUS_SUCCESS;   // cuDNN ignores cDesc and the cell states for GRU
    if (cd == nullptr || cd->nb != 3 || cd->dims[0] != 1 || cd->dims[1] != x->B || cd->dims[2] != r->H) {
        return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": LSTM needs cDesc (1, batch, hidden)");
    }
    for (const auto& c : cs) {
        if (c.first != nullptr && !dev(c.first, n, c.second)) {
            return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": " + c.second + " is not device memory of (1, batch, hidden)");
        }
    }
    return CUDNN_STATUS_SUCCESS;
}

}  // namespace

extern "C" {

void jrnn_fake_cudnn_set_layout(int shuffled) {
    shuffledLayout = shuffled;
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
    if (algo != CUDNN_RNN_ALGO_STANDARD || dirMode != CUDNN_UNIDIRECTIONAL || inputMode != CUDNN_LINEAR_INPUT
        || dataType != CUDNN_DATA_FLOAT || mathPrec != CUDNN_DATA_FLOAT || mathType != CUDNN_FMA_MATH
        || numLayers != 1 || projSize != hiddenSize || auxFlags != 0) {
        return fail(CUDNN_STATUS_NOT_SUPPORTED, "the fake supports: standard algo, unidirectional, linear input, "
                    "float data and math, FMA math, 1 layer, projSize = hiddenSize, no aux flags");
    }
    bool ok = (cellMode == CUDNN_LSTM && biasMode == CUDNN_RNN_SINGLE_INP_BIAS)
              || (cellMode == CUDNN_GRU && biasMode == CUDNN_RNN_DOUBLE_BIAS);
    if (!ok) return fail(CUDNN_STATUS_NOT_SUPPORTED, "the fake supports LSTM with a single input bias and GRU with double bias");
    if (inputSize <= 0 || hiddenSize <= 0) return fail(CUDNN_STATUS_BAD_PARAM, "sizes must be positive");
    if (dropoutDesc == nullptr || !((DropoutDesc*)dropoutDesc)->set) return fail(CUDNN_STATUS_BAD_PARAM, "dropout descriptor not set");
    d->set = true;
    d->mode = cellMode;
    d->bias = biasMode;
    d->F = inputSize;
    d->H = hiddenSize;
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

cudnnStatus_t cudnnSetRNNDataDescriptor(void* desc, int dataType, int layout, int maxSeqLength, int batchSize,
                                        int vectorSize, const int seqLengthArray[], void* paddingFill) {
    DataDesc* d = (DataDesc*)desc;
    if (d == nullptr || dataType != CUDNN_DATA_FLOAT || layout != CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED
        || paddingFill != nullptr || maxSeqLength <= 0 || batchSize <= 0 || vectorSize <= 0) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetRNNDataDescriptor: the fake supports float, batch-major unpacked, no padding fill");
    }
    for (int b = 0; b < batchSize; b++) {   // host array
        if (seqLengthArray[b] != maxSeqLength) return fail(CUDNN_STATUS_NOT_SUPPORTED, "the fake supports full-length sequences only");
    }
    d->set = true;
    d->T = maxSeqLength;
    d->B = batchSize;
    d->V = vectorSize;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetRNNWeightSpaceSize(void* handle, void* rnn, size_t* size) {
    RnnDesc* r = (RnnDesc*)rnn;
    if (handle == nullptr || r == nullptr || !r->set) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetRNNWeightSpaceSize");
    *size = 4UL * (unsigned long)layout(*r).total;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetRNNTempSpaceSizes(void* handle, void* rnn, int fwdMode, void* xDesc, size_t* work,
                                        size_t* reserve) {
    RnnDesc* r = (RnnDesc*)rnn;
    DataDesc* x = (DataDesc*)xDesc;
    if (handle == nullptr || r == nullptr || !r->set || x == nullptr || !x->set || x->V != r->F) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetRNNTempSpaceSizes");
    }
    if (fwdMode != CUDNN_FWD_MODE_TRAINING && fwdMode != CUDNN_FWD_MODE_INFERENCE) return fail(CUDNN_STATUS_BAD_PARAM, "fwdMode");
    *work = 4UL * (unsigned long)workFloats(*r, *x);
    *reserve = fwdMode == CUDNN_FWD_MODE_TRAINING ? 4UL * (unsigned long)(x->B * (long)x->T * reservePerStep(*r)) : 0;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetRNNWeightParams(void* handle, void* rnn, int32_t pseudoLayer, size_t weightSpaceSize,
                                      const void* weightSpace, int32_t linLayerID, void* mDesc, void** mAddr,
                                      void* bDesc, void** bAddr) {
    RnnDesc* r = (RnnDesc*)rnn;
    if (handle == nullptr || r == nullptr || !r->set) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetRNNWeightParams");
    Layout l = layout(*r);
    int G = r->gates(), H = r->H;
    if (pseudoLayer != 0 || linLayerID < 0 || linLayerID >= 2 * G || weightSpaceSize != 4UL * (unsigned long)l.total
        || weightSpace == nullptr) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetRNNWeightParams: pseudoLayer 0, linLayerID in [0, 2G), the exact weight space size");
    }
    const float* base = (const float*)weightSpace;
    bool input = linLayerID < G;
    int g = input ? linLayerID : linLayerID - G;
    if (mDesc != nullptr) {
        int dims[3] = {1, H, input ? r->F : H}, strides[3] = {dims[1] * dims[2], dims[2], 1};
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
    bool training = fwdMode == CUDNN_FWD_MODE_TRAINING;
    if (!training && fwdMode != CUDNN_FWD_MODE_INFERENCE) return fail(CUDNN_STATUS_BAD_PARAM, "fwdMode");
    st = checkStates(r, xd, (TensorDesc*)cDesc, "cudnnRNNForward", {{hx, "hx"}, {hy, "hy"}}, {{cx, "cx"}, {cy, "cy"}});
    if (st != CUDNN_STATUS_SUCCESS) return st;
    Layout l = layout(*r);
    int B = xd->B, T = xd->T, F = r->F, H = r->H, G = r->gates(), GH = G * H;
    long per = reservePerStep(*r);
    if (weightSpaceSize != 4UL * (unsigned long)l.total) return fail(CUDNN_STATUS_BAD_PARAM, "weightSpaceSize is not cuDNN's");
    if (workSpaceSize < 4UL * (unsigned long)workFloats(*r, *xd)) return fail(CUDNN_STATUS_BAD_PARAM, "workSpaceSize too small");
    if (training && reserveSpaceSize < 4UL * (unsigned long)(B * (long)T * per)) {
        return fail(CUDNN_STATUS_BAD_PARAM, "reserveSpaceSize too small");
    }
    if (!training && (reserveSpaceSize != 0 || reserveSpace != nullptr)) {
        return fail(CUDNN_STATUS_BAD_PARAM, "inference mode takes no reserve space (size 0, NULL)");
    }
    if (!dev(x, (long)B * T * F, "cudnnRNNForward x") || !dev(y, (long)B * T * H, "cudnnRNNForward y")
        || !dev(weightSpace, l.total, "cudnnRNNForward weightSpace") || !dev(workSpace, workFloats(*r, *xd), "cudnnRNNForward workSpace")
        || (training && !dev(reserveSpace, B * (long)T * per, "cudnnRNNForward reserveSpace"))) {
        return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnRNNForward: a buffer is not device memory of the right size");
    }
    std::vector<float> inferenceReserve(training ? 0 : (size_t)B * T * per);   // what the real one keeps internally
    const float *X = (const float*)x, *W = (const float*)weightSpace;
    float *Y = (float*)y, *S = training ? (float*)reserveSpace : inferenceReserve.data();
    bool lstm = r->mode == CUDNN_LSTM;
    const float *HX = (const float*)hx, *CX = lstm ? (const float*)cx : nullptr;
    float *HY = (float*)hy, *CY = lstm ? (float*)cy : nullptr;
    std::vector<double> gx(GH), gh(GH);
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            const float* xt = X + ((long)b * T + t) * F;
            const float* hp = t > 0 ? Y + ((long)b * T + t - 1) * H : HX ? HX + (long)b * H : nullptr;
            float* st = S + ((long)b * T + t) * per;              // gates (GH), extra (H), dgx (GH), dgh (GH)
            const float* sp = t > 0 ? st - per : nullptr;
            for (int g = 0; g < G; g++) {
                for (int u = 0; u < H; u++) {
                    double sx = W[l.bW[g] + u], sh = lstm ? 0 : W[l.bR[g] + u];
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
    if (!training) return CUDNN_STATUS_SUCCESS;
    ReserveState& rs = reserves[reserveSpace];
    rs.forward = true;
    rs.backwardData = false;
    rs.rnn = r;
    rs.T = T;
    rs.B = B;
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
    auto it = reserves.find(reserveSpace);
    if (it == reserves.end() || !it->second.forward || it->second.rnn != r || it->second.B != xd->B || it->second.T != xd->T) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardData_v8: the reserve space holds no training forward pass of this RNN and shape");
    }
    Layout l = layout(*r);
    int B = xd->B, T = xd->T, F = r->F, H = r->H, G = r->gates(), GH = G * H;
    long per = reservePerStep(*r);
    if (weightSpaceSize != 4UL * (unsigned long)l.total || workSpaceSize < 4UL * (unsigned long)workFloats(*r, *xd)
        || reserveSpaceSize < 4UL * (unsigned long)(B * (long)T * per)) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardData_v8: space sizes");
    }
    if (!dev(y, (long)B * T * H, "backwardData y") || !dev(dy, (long)B * T * H, "backwardData dy")
        || !dev(dx, (long)B * T * F, "backwardData dx") || !dev(weightSpace, l.total, "backwardData weightSpace")
        || !dev(workSpace, workFloats(*r, *xd), "backwardData workSpace")) {
        return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnRNNBackwardData_v8: a buffer is not device memory of the right size");
    }
    const float *Y = (const float*)y, *DY = (const float*)dy, *W = (const float*)weightSpace;
    float *DX = (float*)dx, *S = (float*)reserveSpace;
    bool lstm = r->mode == CUDNN_LSTM;
    const float *HX = (const float*)hx, *DHY = (const float*)dhy;
    const float *CX = lstm ? (const float*)cx : nullptr, *DCY = lstm ? (const float*)dcy : nullptr;
    float *DHX = (float*)dhx, *DCX = lstm ? (float*)dcx : nullptr;
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
    if (hx != nullptr && !dev(hx, (long)xd->B * r->H, "backwardWeights hx")) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardWeights_v8: hx is not device memory of (1, batch, hidden)");
    }
    if (addGrad != CUDNN_WGRAD_MODE_ADD && addGrad != CUDNN_WGRAD_MODE_SET) return fail(CUDNN_STATUS_BAD_PARAM, "addGrad");
    auto it = reserves.find(reserveSpace);
    if (it == reserves.end() || !it->second.backwardData || it->second.rnn != r) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardWeights_v8 before cudnnRNNBackwardData_v8 on this reserve space");
    }
    Layout l = layout(*r);
    int B = xd->B, T = xd->T, F = r->F, H = r->H, G = r->gates(), GH = G * H;
    long per = reservePerStep(*r);
    if (weightSpaceSize != 4UL * (unsigned long)l.total || workSpaceSize < 4UL * (unsigned long)workFloats(*r, *xd)
        || reserveSpaceSize < 4UL * (unsigned long)(B * (long)T * per)) {
        return fail(CUDNN_STATUS_BAD_PARAM, "cudnnRNNBackwardWeights_v8: space sizes");
    }
    if (!dev(x, (long)B * T * F, "backwardWeights x") || !dev(y, (long)B * T * H, "backwardWeights y")
        || !dev(dweightSpace, l.total, "backwardWeights dweightSpace") || !dev(workSpace, workFloats(*r, *xd), "backwardWeights workSpace")) {
        return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnRNNBackwardWeights_v8: a buffer is not device memory of the right size");
    }
    const float *X = (const float*)x, *Y = (const float*)y, *S = (const float*)reserveSpace, *HX = (const float*)hx;
    float* D = (float*)dweightSpace;
    bool lstm = r->mode == CUDNN_LSTM;
    std::vector<double> acc((size_t)l.total, 0.0);
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
                    if (!lstm) acc[l.bR[g] + u] += gr;
                }
            }
        }
    }
    for (long i = 0; i < l.total; i++) D[i] = (float)(addGrad == CUDNN_WGRAD_MODE_ADD ? D[i] + acc[i] : acc[i]);
    it->second.backwardData = false;
    return CUDNN_STATUS_SUCCESS;
}

}  // extern "C"
