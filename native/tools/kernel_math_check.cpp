// Runs the kernel bodies of native/*.cu on the CPU, compiled by the host C++ compiler, over the
// same index spaces the CUDA kernels walk. The Java tests (dev.jrnn.cuda.KernelMathTest) feed it
// random inputs and compare its outputs with the reference backend, so the kernels' arithmetic and
// indexing are checked on machines without a GPU. What it cannot check: the launch wrappers, the
// shared-memory reduction of jrnn_softmax_xent and the device math library (tanhf, exp).
//
// Protocol: whitespace-separated tokens on stdin, one op after another; one output line per op.
// Integers in decimal; floats as 8 hex digits of their IEEE bits, doubles as 16; outputs likewise.
// Buffers the kernel writes are poisoned with NaN first, so an element it skips shows.
//   philox  seed step salt count                      -> the words of elements 0..count-1
//   dropout n seed step salt rate scale in[n]         -> out[n]
//   adam n alpha b1 b2 c1 c2 eps p[n] g[n] m[n] v[n]  -> p[n] m[n] v[n]
//   bias_activation rows cols act y[rows*cols] bias[cols]      -> y
//   activation_backward n act y[n] dy[n]                       -> dy
//   bias_gradient rows cols dy[rows*cols] db[cols]             -> db
//   last_step batch steps width seq[batch*steps*width]         -> out[batch*width]
//   last_step_backward batch steps width dOut[batch*width]     -> dSeq[batch*steps*width]
//   swap_major a b width in[a*b*width]                         -> out[b*a*width]
//   softmax rows cols logits[rows*cols]                        -> probs
//   softmax_xent batch classes gradScale hasD logits[batch*classes] labels[batch] stats[2]
//                                                              -> dLogits (if hasD) stats[2]
#include "../adam.cu"
#include "../dropout.cu"
#include "../elementwise.cu"
#include "../softmax.cu"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

long long readInt() {
    std::string s;
    if (!(std::cin >> s)) {
        std::fprintf(stderr, "kernel_math_check: unexpected end of input\n");
        std::exit(2);
    }
    return std::strtoll(s.c_str(), nullptr, 10);
}

uint64_t readU64() {
    std::string s;
    std::cin >> s;
    return std::strtoull(s.c_str(), nullptr, 10);
}

float readFloat() {
    std::string s;
    std::cin >> s;
    uint32_t bits = (uint32_t)std::strtoul(s.c_str(), nullptr, 16);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

double readDouble() {
    std::string s;
    std::cin >> s;
    uint64_t bits = std::strtoull(s.c_str(), nullptr, 16);
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
}

std::vector<float> readFloats(long long n) {
    std::vector<float> v((size_t)n);
    for (auto& x : v) x = readFloat();
    return v;
}

std::vector<float> poisoned(long long n) {
    return std::vector<float>((size_t)n, NAN);
}

void print(const std::vector<float>& v) {
    for (float f : v) {
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        std::printf(" %08" PRIx32, bits);
    }
}

}  // namespace

int main() {
    std::string op;
    while (std::cin >> op) {
        if (op == "philox") {
            uint64_t seed = readU64(), step = readU64();
            uint32_t salt = (uint32_t)readU64();
            long long count = readInt();
            for (long long i = 0; i < count; i++) {
                jrnn_philox_words w = jrnn_dropout_words(i / 4, seed, step, salt);
                std::printf(" %08" PRIx32, w.w[i % 4]);
            }
        } else if (op == "dropout") {
            int n = (int)readInt();
            uint64_t seed = readU64(), step = readU64();
            uint32_t salt = (uint32_t)readU64();
            float rate = readFloat();
            double scale = readDouble();
            std::vector<float> in = readFloats(n), out = poisoned(n);
            for (long long q = 0; q < jrnn_dropout_blocks(n); q++) {
                jrnn_dropout_block(q, n, in.data(), out.data(), seed, step, salt, rate, scale);
            }
            print(out);
        } else if (op == "adam") {
            int n = (int)readInt();
            float alpha = readFloat(), b1 = readFloat(), b2 = readFloat(), c1 = readFloat(), c2 = readFloat();
            float eps = readFloat();
            std::vector<float> p = readFloats(n), g = readFloats(n), m = readFloats(n), v = readFloats(n);
            for (long long i = 0; i < n; i++) {
                jrnn_adam_element(i, p.data(), g.data(), m.data(), v.data(), alpha, b1, b2, c1, c2, eps);
            }
            print(p);
            print(m);
            print(v);
        } else if (op == "bias_activation") {
            int rows = (int)readInt(), cols = (int)readInt(), act = (int)readInt();
            std::vector<float> y = readFloats((long long)rows * cols), bias = readFloats(cols);
            for (long long i = 0; i < (long long)rows * cols; i++) {
                jrnn_bias_activation_element(i, cols, y.data(), bias.data(), act);
            }
            print(y);
        } else if (op == "activation_backward") {
            int n = (int)readInt(), act = (int)readInt();
            std::vector<float> y = readFloats(n), dy = readFloats(n);
            for (long long i = 0; i < n; i++) jrnn_activation_backward_element(i, act, y.data(), dy.data());
            print(dy);
        } else if (op == "bias_gradient") {
            int rows = (int)readInt(), cols = (int)readInt();
            std::vector<float> dy = readFloats((long long)rows * cols), db = readFloats(cols);
            for (long long j = 0; j < cols; j++) jrnn_bias_gradient_column(j, rows, cols, dy.data(), db.data());
            print(db);
        } else if (op == "last_step") {
            int batch = (int)readInt(), steps = (int)readInt(), width = (int)readInt();
            std::vector<float> seq = readFloats((long long)batch * steps * width);
            std::vector<float> out = poisoned((long long)batch * width);
            for (long long i = 0; i < (long long)batch * width; i++) {
                jrnn_last_step_element(i, steps, width, seq.data(), out.data());
            }
            print(out);
        } else if (op == "last_step_backward") {
            int batch = (int)readInt(), steps = (int)readInt(), width = (int)readInt();
            std::vector<float> dOut = readFloats((long long)batch * width);
            std::vector<float> dSeq = poisoned((long long)batch * steps * width);
            for (long long i = 0; i < (long long)batch * steps * width; i++) {
                jrnn_last_step_backward_element(i, steps, width, dOut.data(), dSeq.data());
            }
            print(dSeq);
        } else if (op == "swap_major") {
            int a = (int)readInt(), b = (int)readInt(), width = (int)readInt();
            std::vector<float> in = readFloats((long long)a * b * width);
            std::vector<float> out = poisoned((long long)a * b * width);
            for (long long e = 0; e < (long long)a * b * width; e++) {
                jrnn_swap_major_element(e, a, b, width, in.data(), out.data());
            }
            print(out);
        } else if (op == "softmax") {
            int rows = (int)readInt(), cols = (int)readInt();
            std::vector<float> logits = readFloats((long long)rows * cols), probs = poisoned((long long)rows * cols);
            for (long long r = 0; r < rows; r++) jrnn_softmax_row(r, cols, logits.data(), probs.data());
            print(probs);
        } else if (op == "softmax_xent") {
            int batch = (int)readInt(), classes = (int)readInt();
            float gradScale = readFloat();
            bool hasD = readInt() != 0;
            std::vector<float> logits = readFloats((long long)batch * classes), labels = readFloats(batch);
            std::vector<float> stats = readFloats(2), d = poisoned((long long)batch * classes);
            // the kernel's block code (one block of JRNN_BLOCK threads), phase by phase, as the GPU reduces
            std::vector<double> sLoss(JRNN_BLOCK);
            std::vector<int> sCorrect(JRNN_BLOCK);
            for (int t = 0; t < JRNN_BLOCK; t++) {
                jrnn_xent_thread(t, JRNN_BLOCK, batch, classes, logits.data(), labels.data(), gradScale,
                                 hasD ? d.data() : nullptr, sLoss.data(), sCorrect.data());
            }
            for (unsigned s = JRNN_BLOCK / 2; s > 0; s >>= 1) {
                for (int t = 0; t < JRNN_BLOCK; t++) jrnn_xent_reduce(t, s, sLoss.data(), sCorrect.data());
            }
            jrnn_xent_finish(sLoss.data(), sCorrect.data(), stats.data());
            if (hasD) print(d);
            print(stats);
        } else {
            std::fprintf(stderr, "kernel_math_check: unknown op '%s'\n", op.c_str());
            return 2;
        }
        std::printf("\n");
        std::fflush(stdout);
    }
    return 0;
}
