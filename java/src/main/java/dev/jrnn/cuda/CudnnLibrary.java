package dev.jrnn.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * cuDNN through Panama: the handful of functions of the v8 RNN API jrnn calls, which cuDNN 8 and 9
 * both export from {@code libcudnn.so.N}. Every call returns {@code cudnnStatus_t}; a failure
 * becomes a {@link CudaException} naming the call, {@code cudnnGetErrorString} and, on cuDNN 9,
 * {@code cudnnGetLastErrorString}.
 *
 * <p>Signatures and enum values are those of cuDNN 9.6's {@code cudnn_graph.h}, {@code cudnn_ops.h}
 * and {@code cudnn_adv.h} (the same values as cuDNN 8's {@code cudnn_ops_infer.h} /
 * {@code cudnn_adv_infer.h}); each constant below names its header.
 */
final class CudnnLibrary {
    // cudnn_graph.h
    static final int CUDNN_STATUS_SUCCESS = 0;
    static final int CUDNN_DATA_FLOAT = 0;                           // cudnnDataType_t
    static final int CUDNN_FMA_MATH = 3;                             // cudnnMathType_t: FP32 FMA only, no TF32
    // cudnn_adv.h
    static final int CUDNN_RNN_ALGO_STANDARD = 0;                    // cudnnRNNAlgo_t
    static final int CUDNN_RNN_ALGO_PERSIST_STATIC = 1;
    static final int CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H = 3;
    static final int CUDNN_FWD_MODE_INFERENCE = 0;                   // cudnnForwardMode_t
    static final int CUDNN_FWD_MODE_TRAINING = 1;
    static final int CUDNN_LSTM = 2;                                 // cudnnRNNMode_t
    static final int CUDNN_GRU = 3;
    static final int CUDNN_RNN_SINGLE_INP_BIAS = 1;                  // cudnnRNNBiasMode_t
    static final int CUDNN_RNN_DOUBLE_BIAS = 2;
    static final int CUDNN_UNIDIRECTIONAL = 0;                       // cudnnDirectionMode_t
    static final int CUDNN_BIDIRECTIONAL = 1;
    static final int CUDNN_LINEAR_INPUT = 0;                         // cudnnRNNInputMode_t
    static final int CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED = 0;   // cudnnRNNDataLayout_t
    static final int CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED = 1;
    static final int CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED = 2;
    static final int CUDNN_RNN_PADDED_IO_DISABLED = 0;               // auxFlags of cudnnSetRNNDescriptor_v8
    static final int CUDNN_RNN_PADDED_IO_ENABLED = 1;
    static final int CUDNN_WGRAD_MODE_ADD = 0;                       // cudnnWgradMode_t

    private static final String NEEDS = "cuDNN 8.0 or newer (the v8 RNN API)";
    private static CudnnLibrary loaded;
    private static CudaUnavailableException loadFailure;

    final Path file;
    final long version;
    final long cudartVersion;
    /** Companion libraries of the same folder loaded first, and any that failed (for {@code jrnn info}). */
    final List<String> companions;
    private final MethodHandle getErrorString, getLastErrorString;
    private final MethodHandle create, destroy, setStream;
    private final MethodHandle createTensorDesc, setTensorNd, getTensorNd, destroyTensorDesc;
    private final MethodHandle createDropoutDesc, setDropoutDesc, destroyDropoutDesc;
    private final MethodHandle createRnnDesc, setRnnDesc, destroyRnnDesc;
    private final MethodHandle createRnnDataDesc, setRnnDataDesc, destroyRnnDataDesc;
    private final MethodHandle weightSpaceSize, tempSpaceSizes, weightParams;
    private final MethodHandle forward, backwardData, backwardWeights;

    /** cuDNN as found by the process-wide search; the outcome (library or failure) is cached. */
    static synchronized CudnnLibrary load() {
        if (loaded != null) return loaded;
        if (loadFailure != null) throw loadFailure;
        try {
            LibraryFinder.Found found = new LibraryFinder(LibraryFinder.systemEnvironment()).find(LibraryFinder.CUDNN);
            loaded = open(found.file());
            return loaded;
        } catch (CudaUnavailableException e) {
            loadFailure = e;
            throw e;
        }
    }

    /** Opens and binds the cuDNN at {@code file}; not cached. */
    static CudnnLibrary open(Path file) {
        List<String> companions = preloadCompanions(file);
        NativeLibrary lib = NativeLibrary.open("cuDNN", file, LibraryFinder.CUDNN.fileNames());
        return new CudnnLibrary(lib, companions);
    }

    private CudnnLibrary(NativeLibrary lib, List<String> companions) {
        this.file = lib.file();
        this.companions = List.copyOf(companions);
        MethodHandle getVersion = lib.function("cudnnGetVersion", FunctionDescriptor.of(JAVA_LONG), NEEDS);
        MethodHandle getCudart = lib.function("cudnnGetCudartVersion", FunctionDescriptor.of(JAVA_LONG), NEEDS);
        try {
            version = (long) getVersion.invokeExact();
            cudartVersion = (long) getCudart.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("cudnnGetVersion failed", t);
        }
        if (major(version) < 8) {
            throw new CudaLibraryException("cuDNN", CudaLibraryException.Problem.UNSUPPORTED,
                    LibraryFinder.CUDNN.fileNames(), List.of(file.toString()),
                    "cuDNN at " + file + " is version " + versionString(version) + "; jrnn needs " + NEEDS);
        }
        getErrorString = lib.function("cudnnGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT), NEEDS);
        // NB: cuDNN 9 only; on cuDNN 8 errors carry just the status name.
        getLastErrorString = lib.has("cudnnGetLastErrorString")
                ? lib.function("cudnnGetLastErrorString", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG), NEEDS) : null;
        FunctionDescriptor ptrOut = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        create = lib.function("cudnnCreate", ptrOut, NEEDS);
        destroy = lib.function("cudnnDestroy", ptrOut, NEEDS);
        setStream = lib.function("cudnnSetStream", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), NEEDS);
        createTensorDesc = lib.function("cudnnCreateTensorDescriptor", ptrOut, NEEDS);
        // cudnnSetTensorNdDescriptor(desc, dataType, nbDims, const int dimA[], const int strideA[])
        setTensorNd = lib.function("cudnnSetTensorNdDescriptor",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), NEEDS);
        // cudnnGetTensorNdDescriptor(desc, nbDimsRequested, *dataType, *nbDims, dimA[], strideA[])
        getTensorNd = lib.function("cudnnGetTensorNdDescriptor",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS), NEEDS);
        destroyTensorDesc = lib.function("cudnnDestroyTensorDescriptor", ptrOut, NEEDS);
        createDropoutDesc = lib.function("cudnnCreateDropoutDescriptor", ptrOut, NEEDS);
        // cudnnSetDropoutDescriptor(desc, handle, float dropout, void *states, size_t stateSizeInBytes,
        //                           unsigned long long seed)
        setDropoutDesc = lib.function("cudnnSetDropoutDescriptor",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_FLOAT, ADDRESS, JAVA_LONG, JAVA_LONG), NEEDS);
        destroyDropoutDesc = lib.function("cudnnDestroyDropoutDescriptor", ptrOut, NEEDS);
        createRnnDesc = lib.function("cudnnCreateRNNDescriptor", ptrOut, NEEDS);
        // cudnnSetRNNDescriptor_v8(desc, algo, cellMode, biasMode, dirMode, inputMode, dataType, mathPrec,
        //                          mathType, int32 inputSize, hiddenSize, projSize, numLayers, dropoutDesc,
        //                          uint32 auxFlags)
        setRnnDesc = lib.function("cudnnSetRNNDescriptor_v8", FunctionDescriptor.of(JAVA_INT, ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), NEEDS);
        destroyRnnDesc = lib.function("cudnnDestroyRNNDescriptor", ptrOut, NEEDS);
        createRnnDataDesc = lib.function("cudnnCreateRNNDataDescriptor", ptrOut, NEEDS);
        // cudnnSetRNNDataDescriptor(desc, dataType, layout, int maxSeqLength, int batchSize, int vectorSize,
        //                           const int seqLengthArray[], void *paddingFill)
        setRnnDataDesc = lib.function("cudnnSetRNNDataDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), NEEDS);
        destroyRnnDataDesc = lib.function("cudnnDestroyRNNDataDescriptor", ptrOut, NEEDS);
        // cudnnGetRNNWeightSpaceSize(handle, rnnDesc, size_t *weightSpaceSize)
        weightSpaceSize = lib.function("cudnnGetRNNWeightSpaceSize",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), NEEDS);
        // cudnnGetRNNTempSpaceSizes(handle, rnnDesc, fwdMode, xDesc, size_t *workSpaceSize, size_t *reserveSpaceSize)
        tempSpaceSizes = lib.function("cudnnGetRNNTempSpaceSizes",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS), NEEDS);
        // cudnnGetRNNWeightParams(handle, rnnDesc, int32 pseudoLayer, size_t weightSpaceSize, const void *weightSpace,
        //                         int32 linLayerID, mDesc, void **mAddr, bDesc, void **bAddr)
        weightParams = lib.function("cudnnGetRNNWeightParams", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS), NEEDS);
        // cudnnRNNForward(handle, rnnDesc, fwdMode, const int32 devSeqLengths[], xDesc, x, yDesc, y, hDesc, hx, hy,
        //                 cDesc, cx, cy, size_t weightSpaceSize, weightSpace, size_t workSpaceSize, workSpace,
        //                 size_t reserveSpaceSize, reserveSpace)
        forward = lib.function("cudnnRNNForward", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS), NEEDS);
        // cudnnRNNBackwardData_v8(handle, rnnDesc, devSeqLengths, yDesc, y, dy, xDesc, dx, hDesc, hx, dhy, dhx,
        //                         cDesc, cx, dcy, dcx, size_t weightSpaceSize, weightSpace, size_t workSpaceSize,
        //                         workSpace, size_t reserveSpaceSize, reserveSpace)
        backwardData = lib.function("cudnnRNNBackwardData_v8", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS), NEEDS);
        // cudnnRNNBackwardWeights_v8(handle, rnnDesc, addGrad, devSeqLengths, xDesc, x, hDesc, hx, yDesc, y,
        //                            size_t weightSpaceSize, dweightSpace, size_t workSpaceSize, workSpace,
        //                            size_t reserveSpaceSize, reserveSpace)
        backwardWeights = lib.function("cudnnRNNBackwardWeights_v8", FunctionDescriptor.of(JAVA_INT, ADDRESS,
                ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS,
                JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS), NEEDS);
    }

    /**
     * Whether cuDNN status {@code code} says it refused a configuration (bad or unsupported
     * parameters: a shape, layout, data type, padding or launch configuration it does not take)
     * rather than failed running it, or pointed at a caller's bug or a broken install. cuDNN 9
     * numbers statuses by family; of {@code 2xxx} BAD_PARAM only the plain one (2000), OUT_OF_BOUND
     * (2005) and SHAPE_MISMATCH (2008) count, and of {@code 3xxx} NOT_SUPPORTED the plain one (3000),
     * GRAPH_PATTERN, SHAPE, DATA_TYPE, LAYOUT (3001-3004), SHARED_MEMORY_INSUFFICIENT, PADDING and
     * BAD_LAUNCH_PARAM (3010-3012); not a null or misaligned pointer, too small a buffer, a stream
     * mismatch, or a driver, runtime, architecture or sub-library problem (cudnn_graph.h). cuDNN 8
     * has plain values ({@code CUDNN_STATUS_BAD_PARAM} 3, {@code CUDNN_STATUS_INVALID_VALUE} 5,
     * {@code CUDNN_STATUS_NOT_SUPPORTED} 9).
     */
    static boolean isRefusal(int major, int code) {
        if (major >= 9) {
            return switch (code) {
                case 2000, 2005, 2008, 3000, 3001, 3002, 3003, 3004, 3010, 3011, 3012 -> true;
                default -> false;
            };
        }
        return code == 3 || code == 5 || code == 9;
    }

    /** Major version from {@code cudnnGetVersion()}: 9.1.0 is 90100, 8.9.6 is 8906. */
    static int major(long v) {
        return (int) (v >= 10000 ? v / 10000 : v / 1000);
    }

    /** {@code 9.1.0} from 90100, {@code 8.9.6} from 8906. */
    static String versionString(long v) {
        return v >= 10000 ? (v / 10000) + "." + (v % 10000) / 100 + "." + v % 100
                : (v / 1000) + "." + (v % 1000) / 100 + "." + v % 100;
    }

    // ---- checked calls -----------------------------------------------------------------------

    void check(int status, String call) {
        if (status == CUDNN_STATUS_SUCCESS) return;
        String name;
        try {
            name = NativeLibrary.cString((MemorySegment) getErrorString.invokeExact(status));
        } catch (Throwable t) {
            name = "cudnnStatus " + status;
        }
        if (getLastErrorString != null) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(1024);
                getLastErrorString.invokeExact(buf, 1024L);
                String last = buf.getString(0);
                if (!last.isBlank()) name += " [" + last.strip() + "]";
            } catch (Throwable ignored) {
                // the status name alone still says what failed
            }
        }
        throw new CudaException(call, status, name);
    }

    private static IllegalStateException broken(String call, Throwable t) {
        return new IllegalStateException("calling " + call + " through Panama failed", t);
    }

    /** Calls a {@code cudnnStatus_t f(T *out)} creator and returns the handle it wrote. */
    private MemorySegment createWith(MethodHandle h, String call) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int st;
            try {
                st = (int) h.invokeExact(out);
            } catch (Throwable t) {
                throw broken(call, t);
            }
            check(st, call);
            return out.get(ADDRESS, 0);
        }
    }

    private void destroyWith(MethodHandle h, MemorySegment handle, String call) {
        int st;
        try {
            st = (int) h.invokeExact(handle);
        } catch (Throwable t) {
            throw broken(call, t);
        }
        check(st, call);
    }

    MemorySegment create() {
        return createWith(create, "cudnnCreate");
    }

    void destroy(MemorySegment handle) {
        destroyWith(destroy, handle, "cudnnDestroy");
    }

    void setStream(MemorySegment handle, long stream) {
        int st;
        try {
            st = (int) setStream.invokeExact(handle, MemorySegment.ofAddress(stream));
        } catch (Throwable t) {
            throw broken("cudnnSetStream", t);
        }
        check(st, "cudnnSetStream");
    }

    MemorySegment createTensorDescriptor() {
        return createWith(createTensorDesc, "cudnnCreateTensorDescriptor");
    }

    void destroyTensorDescriptor(MemorySegment d) {
        destroyWith(destroyTensorDesc, d, "cudnnDestroyTensorDescriptor");
    }

    /** A packed float tensor of the given dimensions (row-major strides). */
    void setTensor(MemorySegment desc, int... dims) {
        String call = "cudnnSetTensorNdDescriptor(" + java.util.Arrays.toString(dims) + ")";
        try (Arena a = Arena.ofConfined()) {
            int[] strides = new int[dims.length];
            int s = 1;
            for (int i = dims.length - 1; i >= 0; i--) {
                strides[i] = s;
                s *= dims[i];
            }
            int st;
            try {
                st = (int) setTensorNd.invokeExact(desc, CUDNN_DATA_FLOAT, dims.length,
                        a.allocateFrom(JAVA_INT, dims), a.allocateFrom(JAVA_INT, strides));
            } catch (Throwable t) {
                throw broken(call, t);
            }
            check(st, call);
        }
    }

    /** The dimensions of a tensor descriptor (at most 8). */
    int[] tensorDims(MemorySegment desc) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment type = a.allocate(JAVA_INT), nb = a.allocate(JAVA_INT);
            MemorySegment dims = a.allocate(JAVA_INT, 8), strides = a.allocate(JAVA_INT, 8);
            int st;
            try {
                st = (int) getTensorNd.invokeExact(desc, 8, type, nb, dims, strides);
            } catch (Throwable t) {
                throw broken("cudnnGetTensorNdDescriptor", t);
            }
            check(st, "cudnnGetTensorNdDescriptor");
            int n = nb.get(JAVA_INT, 0);
            int[] out = new int[Math.min(Math.max(n, 0), 8)];
            for (int i = 0; i < out.length; i++) out[i] = dims.getAtIndex(JAVA_INT, i);
            return out;
        }
    }

    MemorySegment createDropoutDescriptor() {
        return createWith(createDropoutDesc, "cudnnCreateDropoutDescriptor");
    }

    void destroyDropoutDescriptor(MemorySegment d) {
        destroyWith(destroyDropoutDesc, d, "cudnnDestroyDropoutDescriptor");
    }

    /** Dropout 0 without RNG states, as PyTorch's "no dropout" descriptor: nothing is dropped. */
    void setNoDropout(MemorySegment desc, MemorySegment handle) {
        int st;
        try {
            st = (int) setDropoutDesc.invokeExact(desc, handle, 0f, MemorySegment.NULL, 0L, 0L);
        } catch (Throwable t) {
            throw broken("cudnnSetDropoutDescriptor", t);
        }
        check(st, "cudnnSetDropoutDescriptor(dropout 0)");
    }

    MemorySegment createRnnDescriptor() {
        return createWith(createRnnDesc, "cudnnCreateRNNDescriptor");
    }

    void destroyRnnDescriptor(MemorySegment d) {
        destroyWith(destroyRnnDesc, d, "cudnnDestroyRNNDescriptor");
    }

    /**
     * {@code numLayers} stacked FP32 layers, unidirectional or ({@code bidirectional})
     * {@code CUDNN_BIDIRECTIONAL}, algorithm {@code algo}, FMA math,
     * projSize = hiddenSize, with padded I/O enabled ({@code CUDNN_RNN_PADDED_IO_ENABLED}): cuDNN
     * permits the unpacked data layouts only with it, and it is what PyTorch sets for them
     * ({@code aten/src/ATen/native/cudnn/RNN.cpp}).
     */
    void setRnn(MemorySegment desc, int algo, int cellMode, int biasMode, int inputSize, int hiddenSize, int numLayers,
                boolean bidirectional, MemorySegment dropout) {
        setRnn(desc, algo, cellMode, biasMode, inputSize, hiddenSize, numLayers, bidirectional, dropout,
                CUDNN_RNN_PADDED_IO_ENABLED);
    }

    /** {@link #setRnn} unidirectional. */
    void setRnn(MemorySegment desc, int algo, int cellMode, int biasMode, int inputSize, int hiddenSize, int numLayers,
                MemorySegment dropout) {
        setRnn(desc, algo, cellMode, biasMode, inputSize, hiddenSize, numLayers, false, dropout);
    }

    /** {@link #setRnn} unidirectional with other {@code auxFlags} (tests: what cuDNN refuses). */
    void setRnn(MemorySegment desc, int algo, int cellMode, int biasMode, int inputSize, int hiddenSize, int numLayers,
                MemorySegment dropout, int auxFlags) {
        setRnn(desc, algo, cellMode, biasMode, inputSize, hiddenSize, numLayers, false, dropout, auxFlags);
    }

    /** {@link #setRnn} with other {@code auxFlags} (tests: what cuDNN refuses). */
    void setRnn(MemorySegment desc, int algo, int cellMode, int biasMode, int inputSize, int hiddenSize, int numLayers,
                boolean bidirectional, MemorySegment dropout, int auxFlags) {
        String call = "cudnnSetRNNDescriptor_v8(" + (cellMode == CUDNN_LSTM ? "LSTM" : "GRU") + ", input "
                + inputSize + ", hidden " + hiddenSize + (numLayers == 1 ? "" : ", layers " + numLayers)
                + (bidirectional ? ", bidirectional" : "")
                + (algo == CUDNN_RNN_ALGO_STANDARD ? "" : ", algo " + algo)
                + (biasMode == CUDNN_RNN_DOUBLE_BIAS ? "" : ", bias mode " + biasMode)
                + (auxFlags == CUDNN_RNN_PADDED_IO_ENABLED ? "" : ", auxFlags " + auxFlags)
                + ")";
        int st;
        try {
            st = (int) setRnnDesc.invokeExact(desc, algo, cellMode, biasMode, bidirectional ? CUDNN_BIDIRECTIONAL : CUDNN_UNIDIRECTIONAL,
                    CUDNN_LINEAR_INPUT, CUDNN_DATA_FLOAT, CUDNN_DATA_FLOAT, CUDNN_FMA_MATH, inputSize, hiddenSize,
                    hiddenSize, numLayers, dropout, auxFlags);
        } catch (Throwable t) {
            throw broken(call, t);
        }
        check(st, call);
    }

    MemorySegment createRnnDataDescriptor() {
        return createWith(createRnnDataDesc, "cudnnCreateRNNDataDescriptor");
    }

    void destroyRnnDataDescriptor(MemorySegment d) {
        destroyWith(destroyRnnDataDesc, d, "cudnnDestroyRNNDataDescriptor");
    }

    /** {@link #setRnnData(MemorySegment, int, int, int, int[]) setRnnData} with every sequence T steps long. */
    void setRnnData(MemorySegment desc, int steps, int batch, int vectorSize) {
        setRnnData(desc, steps, batch, vectorSize, null);
    }

    /**
     * Sequence-major unpacked (T, B, vectorSize) float data: the layout PyTorch gives cuDNN for
     * padded batches, also for {@code batch_first} (it transposes). {@code lengths}: the host
     * {@code seqLengthArray}, B lengths in [1, T], or null for every sequence T steps long. The
     * padding fill is 0 (a host float, as cuDNN reads it): cuDNN writes it into the padding of an
     * output this descriptor describes (y forward, dx backward), which is otherwise undefined.
     */
    void setRnnData(MemorySegment desc, int steps, int batch, int vectorSize, int[] lengths) {
        setRnnData(desc, CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED, steps, batch, vectorSize, lengths);
    }

    /** {@link #setRnnData(MemorySegment, int, int, int, int[]) setRnnData} in another layout (tests: cuDNN's rules for each). */
    void setRnnData(MemorySegment desc, int layout, int steps, int batch, int vectorSize, int[] lengths) {
        String kind = switch (layout) {
            case CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED -> "sequence-major unpacked";
            case CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED -> "sequence-major packed";
            case CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED -> "batch-major unpacked";
            default -> "layout " + layout;
        };
        String call = "cudnnSetRNNDataDescriptor(" + kind + ", T " + steps + ", B " + batch + ", vector " + vectorSize
                + (lengths == null ? "" : ", lengths " + summary(lengths)) + ")";
        try (Arena a = Arena.ofConfined()) {
            int[] seq = lengths;
            if (seq == null) {
                seq = new int[batch];
                java.util.Arrays.fill(seq, steps);
            }
            MemorySegment fill = a.allocate(JAVA_FLOAT);
            fill.set(JAVA_FLOAT, 0, 0f);
            int st;
            try {
                st = (int) setRnnDataDesc.invokeExact(desc, CUDNN_DATA_FLOAT, layout, steps, batch, vectorSize,
                        a.allocateFrom(JAVA_INT, seq), fill);
            } catch (Throwable t) {
                throw broken(call, t);
            }
            check(st, call);
        }
    }

    /** The first lengths of an array, for messages. */
    private static String summary(int[] lengths) {
        int n = Math.min(lengths.length, 8);
        return java.util.Arrays.toString(java.util.Arrays.copyOf(lengths, n)).replace("]", lengths.length > n ? ", ...]" : "]");
    }

    long weightSpaceSize(MemorySegment handle, MemorySegment rnn) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            int st;
            try {
                st = (int) weightSpaceSize.invokeExact(handle, rnn, out);
            } catch (Throwable t) {
                throw broken("cudnnGetRNNWeightSpaceSize", t);
            }
            check(st, "cudnnGetRNNWeightSpaceSize");
            return out.get(JAVA_LONG, 0);
        }
    }

    /** {workSpaceSize, reserveSpaceSize} in bytes. */
    long[] tempSpaceSizes(MemorySegment handle, MemorySegment rnn, int fwdMode, MemorySegment xDesc) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment work = a.allocate(JAVA_LONG), reserve = a.allocate(JAVA_LONG);
            int st;
            try {
                st = (int) tempSpaceSizes.invokeExact(handle, rnn, fwdMode, xDesc, work, reserve);
            } catch (Throwable t) {
                throw broken("cudnnGetRNNTempSpaceSizes", t);
            }
            check(st, "cudnnGetRNNTempSpaceSizes");
            return new long[] {work.get(JAVA_LONG, 0), reserve.get(JAVA_LONG, 0)};
        }
    }

    /**
     * Where matrix {@code linLayerID} of layer {@code pseudoLayer} and its bias live inside the weight
     * space at {@code weightSpace}.
     *
     * @return {matrix address, bias address (0 when the layer has no such bias)}; mDesc and bDesc receive their shapes
     */
    long[] weightParams(MemorySegment handle, MemorySegment rnn, long wsSize, long weightSpace, int pseudoLayer,
                        int linLayerID, MemorySegment mDesc, MemorySegment bDesc) {
        String call = "cudnnGetRNNWeightParams(pseudoLayer " + pseudoLayer + ", linLayerID " + linLayerID + ")";
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mAddr = a.allocate(ADDRESS), bAddr = a.allocate(ADDRESS);
            int st;
            try {
                st = (int) weightParams.invokeExact(handle, rnn, pseudoLayer, wsSize, MemorySegment.ofAddress(weightSpace),
                        linLayerID, mDesc, mAddr, bDesc, bAddr);
            } catch (Throwable t) {
                throw broken(call, t);
            }
            check(st, call);
            return new long[] {mAddr.get(ADDRESS, 0).address(), bAddr.get(ADDRESS, 0).address()};
        }
    }

    private static MemorySegment p(long address) {
        return MemorySegment.ofAddress(address);
    }

    /**
     * {@code cudnnRNNForward}. Device addresses; for the states ({@code hx}, {@code hy},
     * {@code cx}, {@code cy}) 0 is NULL: zero initial states, final states not written.
     */
    void forward(MemorySegment handle, MemorySegment rnn, int fwdMode, long devSeqLengths, MemorySegment xDesc, long x,
                 MemorySegment yDesc, long y, MemorySegment hDesc, long hx, long hy, MemorySegment cDesc, long cx,
                 long cy, long wsSize, long ws, long workSize, long work, long reserveSize, long reserve) {
        int st;
        try {
            st = (int) forward.invokeExact(handle, rnn, fwdMode, p(devSeqLengths), xDesc, p(x), yDesc, p(y),
                    hDesc, p(hx), p(hy), cDesc, p(cx), p(cy), wsSize, p(ws), workSize, p(work), reserveSize, p(reserve));
        } catch (Throwable t) {
            throw broken("cudnnRNNForward", t);
        }
        check(st, "cudnnRNNForward");
    }

    /**
     * {@code cudnnRNNBackwardData_v8}. Device addresses; for the states ({@code hx}, {@code dhy},
     * {@code dhx}, {@code cx}, {@code dcy}, {@code dcx}) 0 is NULL: zero initial states, no
     * gradient into the final states, state gradients not written.
     */
    void backwardData(MemorySegment handle, MemorySegment rnn, long devSeqLengths, MemorySegment yDesc, long y, long dy,
                      MemorySegment xDesc, long dx, MemorySegment hDesc, long hx, long dhy, long dhx,
                      MemorySegment cDesc, long cx, long dcy, long dcx, long wsSize, long ws,
                      long workSize, long work, long reserveSize, long reserve) {
        int st;
        try {
            st = (int) backwardData.invokeExact(handle, rnn, p(devSeqLengths), yDesc, p(y), p(dy), xDesc, p(dx),
                    hDesc, p(hx), p(dhy), p(dhx), cDesc, p(cx), p(dcy), p(dcx), wsSize, p(ws), workSize, p(work),
                    reserveSize, p(reserve));
        } catch (Throwable t) {
            throw broken("cudnnRNNBackwardData_v8", t);
        }
        check(st, "cudnnRNNBackwardData_v8");
    }

    /** {@code cudnnRNNBackwardWeights_v8}, accumulating; {@code hx} 0 (NULL) for a zero initial state. */
    void backwardWeights(MemorySegment handle, MemorySegment rnn, long devSeqLengths, MemorySegment xDesc, long x,
                         MemorySegment hDesc, long hx, MemorySegment yDesc, long y, long wsSize, long dws, long workSize,
                         long work, long reserveSize, long reserve) {
        int st;
        try {
            st = (int) backwardWeights.invokeExact(handle, rnn, CUDNN_WGRAD_MODE_ADD, p(devSeqLengths), xDesc, p(x),
                    hDesc, p(hx), yDesc, p(y), wsSize, p(dws), workSize, p(work), reserveSize, p(reserve));
        } catch (Throwable t) {
            throw broken("cudnnRNNBackwardWeights_v8", t);
        }
        check(st, "cudnnRNNBackwardWeights_v8");
    }

    /**
     * Loads, best effort, the sub-libraries cuDNN's front library opens on first use, from the
     * folder it was found in, so they resolve even when that folder is not on LD_LIBRARY_PATH.
     */
    private static List<String> preloadCompanions(Path file) {
        String name = file.getFileName().toString();
        List<String> subs = name.endsWith(".so.8")
                ? List.of("libcudnn_ops_infer.so.8", "libcudnn_ops_train.so.8", "libcudnn_adv_infer.so.8", "libcudnn_adv_train.so.8")
                : List.of("libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_adv.so.9");
        List<String> out = new ArrayList<>();
        Path dir = file.toAbsolutePath().getParent();
        for (String sub : subs) {
            Path f = dir.resolve(sub);
            if (!Files.isRegularFile(f)) continue;
            String err = NativeLibrary.preload(f);
            out.add(err == null ? sub : sub + " (not loaded: " + err + ")");
        }
        return out;
    }
}
