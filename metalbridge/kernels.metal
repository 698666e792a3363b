// PoT's Metal compute kernels: the operations of engine.Backend.
//
// This file is compiled twice: by Metal at run time on a Mac
// (newLibraryWithSource), and on Linux as C++ by clang with the shim in
// testdata/emu/metal_shim.h, which runs each threadgroup's threads as real
// threads (emu_test.go). So it keeps to a common subset of MSL:
//   * every kernel is declared "kernel void name(" with one parameter per
//     line, each ending in its [[...]] attribute (the Go side parses them,
//     checks them against kernels.go and generates the emulator's calls);
//   * threadgroup memory comes in as a [[threadgroup(0)]] parameter, never
//     as a threadgroup variable declared in the body;
//   * no lane returns early before a simd_sum/simd_max/barrier: a lane with
//     no work computes on clamped indices and skips only the final store;
//   * no half vectors (the emulator's half is a class, not a vector element).
//
// Numerics: activations and accumulators are float. Weights are
// dequantized 16 at a time (dq16); the prefill product (mul_mm) rounds
// both operands to half in threadgroup memory and multiplies 8×8 tiles with
// simdgroup matrices accumulating in float, as llama.cpp's kernel_mul_mm
// does. Reference for the block layouts: ggml's ggml-common.h and our
// verifier/quant (dequant*), which the emulator tests compare against.

#include <metal_stdlib>
using namespace metal;

// ggml type numbers (quant.Type), as in the GGUF spec.
#define T_F32  0
#define T_F16  1
#define T_Q4_0 2
#define T_Q4_1 3
#define T_Q5_0 6
#define T_Q5_1 7
#define T_Q8_0 8
#define T_Q2_K 10
#define T_Q3_K 11
#define T_Q4_K 12
#define T_Q5_K 13
#define T_Q6_K 14
#define T_BF16 30

// Argument structs: 32-bit fields only, mirrored field by field by the Go
// structs of the same name in kernels.go.
struct MatArgs {
    int type;     // ggml type of the weight
    int rows;     // weight rows (outputs)
    int cols;     // weight columns (inputs); a multiple of 32 unless a float type
    int n;        // activation rows (tokens)
    uint rowBytes; // bytes per weight row
    int xStride;  // floats between activation rows
    int yStride;  // floats between output rows
};

struct NormArgs {
    int dim;
    float eps;
};

struct EltArgs {
    int count; // elements of x
    int dim;   // row width of b (add_row)
};

struct RopeArgs {
    int qHeads;
    int kHeads;
    int headDim;
    int dim;        // rotated dims per head
    int neox;       // 1: pairs (i, i+dim/2); 0: pairs (2i, 2i+1)
    int hasFactors; // 1: divide θ by factors[pair]
    float thetaScale;
    float freqScale;
};

struct TopKArgs {
    int dim; // row width (vocabulary)
    int k;   // ids wanted per row, ≤ dim
};

struct AttnArgs {
    int heads;
    int kvHeads;
    int headDim; // ≤ 256
    float scale;
};

// f16 reads a little-endian half at p (2-byte aligned in every block layout).
static inline float f16(device const uchar * p) {
    return float(*(device const half *) p);
}

// bf16 widens a bfloat16 at p.
static inline float bf16(device const uchar * p) {
    uint u = (uint(p[0]) | (uint(p[1]) << 8)) << 16;
    return as_type<float>(u);
}

// k4 unpacks the 6-bit scale and min of sub-block j of Q4_K/Q5_K.
static inline void k4(int j, device const uchar * q, thread float & sc, thread float & m) {
    if (j < 4) {
        sc = float(q[j] & 63);
        m = float(q[j + 4] & 63);
    } else {
        sc = float((q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4));
        m = float((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

// dq16 dequantizes elements 16c … 16c+15 of the weight row at row into y,
// with the float32 rounding steps of verifier/quant's dequantizers. Rows of
// the float types may end inside the chunk (cols is any width); elements
// past cols are zero. Quantized rows are whole blocks of 32 or 256.
static void dq16(int type, device const uchar * row, int cols, int c, thread float * y) {
    int nl = min(16, cols - 16 * c);
    switch (type) {
    case T_F32: {
        device const float * p = (device const float *) row + 16 * c;
        for (int l = 0; l < 16; l++) y[l] = l < nl ? p[l] : 0.0f;
        break;
    }
    case T_F16: {
        device const half * p = (device const half *) row + 16 * c;
        for (int l = 0; l < 16; l++) y[l] = l < nl ? float(p[l]) : 0.0f;
        break;
    }
    case T_BF16: {
        for (int l = 0; l < 16; l++) y[l] = l < nl ? bf16(row + 2 * (16 * c + l)) : 0.0f;
        break;
    }
    case T_Q4_0: {
        device const uchar * b = row + 18 * (c / 2);
        float d = f16(b);
        int sh = 4 * (c % 2);
        for (int l = 0; l < 16; l++) y[l] = float(int((b[2 + l] >> sh) & 15) - 8) * d;
        break;
    }
    case T_Q4_1: {
        device const uchar * b = row + 20 * (c / 2);
        float d = f16(b), m = f16(b + 2);
        int sh = 4 * (c % 2);
        for (int l = 0; l < 16; l++) y[l] = float((b[4 + l] >> sh) & 15) * d + m;
        break;
    }
    case T_Q5_0: {
        device const uchar * b = row + 22 * (c / 2);
        float d = f16(b);
        uint qh = uint(b[2]) | (uint(b[3]) << 8) | (uint(b[4]) << 16) | (uint(b[5]) << 24);
        int h = c % 2;
        for (int l = 0; l < 16; l++) {
            int v = int((b[6 + l] >> (4 * h)) & 15) | int(((qh >> (l + 16 * h)) & 1) << 4);
            y[l] = float(v - 16) * d;
        }
        break;
    }
    case T_Q5_1: {
        device const uchar * b = row + 24 * (c / 2);
        float d = f16(b), m = f16(b + 2);
        uint qh = uint(b[4]) | (uint(b[5]) << 8) | (uint(b[6]) << 16) | (uint(b[7]) << 24);
        int h = c % 2;
        for (int l = 0; l < 16; l++) {
            int v = int((b[8 + l] >> (4 * h)) & 15) | int(((qh >> (l + 16 * h)) & 1) << 4);
            y[l] = float(v) * d + m;
        }
        break;
    }
    case T_Q8_0: {
        device const uchar * b = row + 34 * (c / 2);
        float d = f16(b);
        device const char * q = (device const char *) (b + 2 + 16 * (c % 2));
        for (int l = 0; l < 16; l++) y[l] = float(q[l]) * d;
        break;
    }
    case T_Q2_K: {
        device const uchar * b = row + 84 * (c / 16);
        int cc = c % 16, n = cc / 8, s = (cc % 8) / 2, hf = cc % 2;
        float d = f16(b + 80), dmin = f16(b + 82);
        uchar sc = b[cc];
        float dl = d * float(sc & 0xf), ml = dmin * float(sc >> 4);
        device const uchar * q = b + 16 + 32 * n + 16 * hf;
        for (int l = 0; l < 16; l++) y[l] = dl * float((q[l] >> (2 * s)) & 3) - ml;
        break;
    }
    case T_Q3_K: {
        device const uchar * b = row + 110 * (c / 16);
        int cc = c % 16, n = cc / 8, s = (cc % 8) / 2, hf = cc % 2;
        device const uchar * hm = b + 16 * hf;
        device const uchar * q = b + 32 + 32 * n + 16 * hf;
        device const uchar * scales = b + 96;
        int lo = cc < 8 ? (scales[cc] & 0xf) : (scales[cc - 8] >> 4);
        int hi = (scales[8 + cc % 4] >> (2 * (cc / 4))) & 3;
        float dl = f16(b + 108) * float((lo | (hi << 4)) - 32);
        uchar m = uchar(1 << (4 * n + s));
        for (int l = 0; l < 16; l++) {
            int v = int((q[l] >> (2 * s)) & 3) - ((hm[l] & m) ? 0 : 4);
            y[l] = dl * float(v);
        }
        break;
    }
    case T_Q4_K:
    case T_Q5_K: {
        bool five = type == T_Q5_K;
        device const uchar * b = row + (five ? 176 : 144) * (c / 16);
        int cc = c % 16, c4 = cc / 4, part = cc % 4, hi = part / 2, l0 = 16 * (part % 2);
        float d = f16(b), dmin = f16(b + 2), sc, mn;
        k4(2 * c4 + hi, b + 4, sc, mn);
        float d1 = d * sc, m1 = dmin * mn;
        device const uchar * q = b + (five ? 48 : 16) + 32 * c4 + l0;
        device const uchar * qh = b + 16 + l0;
        for (int l = 0; l < 16; l++) {
            int v = (q[l] >> (4 * hi)) & 15;
            if (five) v |= ((qh[l] >> (2 * c4 + hi)) & 1) << 4;
            y[l] = d1 * float(v) - m1;
        }
        break;
    }
    case T_Q6_K: {
        device const uchar * b = row + 210 * (c / 16);
        int cc = c % 16, hh = cc / 8, idx = 16 * (cc % 8), qq = idx / 32, l32 = idx % 32;
        device const uchar * ql = b + 64 * hh + 32 * (qq % 2) + l32;
        device const uchar * qh = b + 128 + 32 * hh + l32;
        float d = f16(b + 208);
        float dsc = d * float(((device const char *) b)[192 + 8 * hh + l32 / 16 + 2 * qq]);
        for (int l = 0; l < 16; l++) {
            int v = int(((ql[l] >> (4 * (qq / 2))) & 15) | (((qh[l] >> (2 * qq)) & 3) << 4)) - 32;
            y[l] = dsc * float(v);
        }
        break;
    }
    default:
        for (int l = 0; l < 16; l++) y[l] = 0.0f;
    }
}

// MV_NB is how many activation rows one mul_mv threadgroup multiplies.
#define MV_NB 8

// mul_mv: y[t][r] = W[r] · x[t] for small batches. Threadgroups of 64
// threads (two simdgroups), each simdgroup one weight row; grid
// (ceil(rows/2), ceil(n/MV_NB)). Lanes take 16-element chunks in turn and
// the partial sums meet in simd_sum.
kernel void mul_mv(
    constant MatArgs & args [[buffer(0)]],
    device const uchar * w [[buffer(1)]],
    device const float * x [[buffer(2)]],
    device float * y [[buffer(3)]],
    uint3 tgpig [[threadgroup_position_in_grid]],
    uint sgitg [[simdgroup_index_in_threadgroup]],
    uint tiisg [[thread_index_in_simdgroup]]) {
    int r = int(tgpig.x) * 2 + int(sgitg);
    int t0 = int(tgpig.y) * MV_NB;
    int nb = min(MV_NB, args.n - t0);
    int rr = min(r, args.rows - 1);
    device const uchar * row = w + ulong(rr) * args.rowBytes;
    float acc[MV_NB];
    for (int t = 0; t < MV_NB; t++) acc[t] = 0.0f;
    float wv[16];
    int nc = (args.cols + 15) / 16;
    for (int c = int(tiisg); c < nc; c += 32) {
        dq16(args.type, row, args.cols, c, wv);
        int nl = min(16, args.cols - 16 * c);
        for (int t = 0; t < nb; t++) {
            device const float * xt = x + ulong(t0 + t) * args.xStride + 16 * c;
            float s = 0.0f;
            for (int l = 0; l < nl; l++) s += wv[l] * xt[l];
            acc[t] += s;
        }
    }
    for (int t = 0; t < MV_NB; t++) {
        float s = simd_sum(acc[t]);
        if (tiisg == 0 && r < args.rows && t < nb) {
            y[ulong(t0 + t) * args.yStride + r] = s;
        }
    }
}

// mul_mm tile: MM_R weight rows × MM_T activation rows, MM_K columns per step.
#define MM_R 32
#define MM_T 32
#define MM_K 32

// mul_mm: y[t][r] = W[r] · x[t] for prefill batches. Threadgroups of 128
// threads (four simdgroups) over a 32×32 output tile, grid
// (ceil(rows/32), ceil(n/32)). Per 32-column step, threads 0…63 each
// dequantize a 16-element chunk of W into half (sa, [row][k]), all threads
// convert 8 floats of x to half (sb, [token][k]); each simdgroup then
// multiplies its 16×16 quadrant as 2×2 simdgroup 8×8 tiles. The result goes
// through threadgroup memory (sc, [token][row]) so edge tiles store only
// what lies inside y. Threadgroup memory: 2 KB + 2 KB + 4 KB.
kernel void mul_mm(
    constant MatArgs & args [[buffer(0)]],
    device const uchar * w [[buffer(1)]],
    device const float * x [[buffer(2)]],
    device float * y [[buffer(3)]],
    threadgroup uchar * shmem [[threadgroup(0)]],
    uint3 tgpig [[threadgroup_position_in_grid]],
    uint tiitg [[thread_index_in_threadgroup]],
    uint sgitg [[simdgroup_index_in_threadgroup]]) {
    threadgroup half * sa = (threadgroup half *) shmem;
    threadgroup half * sb = sa + MM_R * MM_K;
    threadgroup float * sc = (threadgroup float *) (sb + MM_T * MM_K);
    int r0 = int(tgpig.x) * MM_R, t0 = int(tgpig.y) * MM_T;
    int tq = 16 * int(sgitg / 2), rq = 16 * int(sgitg % 2); // this simdgroup's quadrant
    simdgroup_float8x8 acc[4];
    for (int i = 0; i < 4; i++) acc[i] = make_filled_simdgroup_matrix<float, 8>(0.0f);
    float wv[16];
    for (int k0 = 0; k0 < args.cols; k0 += MM_K) {
        if (tiitg < 64) {
            int rl = int(tiitg) / 2, part = int(tiitg) % 2, r = r0 + rl;
            if (r < args.rows && k0 + 16 * part < args.cols) {
                dq16(args.type, w + ulong(r) * args.rowBytes, args.cols, k0 / 16 + part, wv);
            } else {
                for (int l = 0; l < 16; l++) wv[l] = 0.0f;
            }
            for (int l = 0; l < 16; l++) sa[rl * MM_K + 16 * part + l] = half(wv[l]);
        }
        {
            int tl = int(tiitg) / 4, kk = 8 * (int(tiitg) % 4), t = t0 + tl;
            device const float * xt = x + ulong(min(t, args.n - 1)) * args.xStride + k0 + kk;
            for (int l = 0; l < 8; l++) {
                sb[tl * MM_K + kk + l] = half(t < args.n && k0 + kk + l < args.cols ? xt[l] : 0.0f);
            }
        }
        threadgroup_barrier(mem_flags::mem_threadgroup);
        for (int kk = 0; kk < MM_K; kk += 8) {
            simdgroup_half8x8 a0, a1, b0, b1;
            simdgroup_load(a0, sb + (tq + 0) * MM_K + kk, MM_K);
            simdgroup_load(a1, sb + (tq + 8) * MM_K + kk, MM_K);
            simdgroup_load(b0, sa + (rq + 0) * MM_K + kk, MM_K, ulong2(0), true);
            simdgroup_load(b1, sa + (rq + 8) * MM_K + kk, MM_K, ulong2(0), true);
            simdgroup_multiply_accumulate(acc[0], a0, b0, acc[0]);
            simdgroup_multiply_accumulate(acc[1], a0, b1, acc[1]);
            simdgroup_multiply_accumulate(acc[2], a1, b0, acc[2]);
            simdgroup_multiply_accumulate(acc[3], a1, b1, acc[3]);
        }
        threadgroup_barrier(mem_flags::mem_threadgroup);
    }
    simdgroup_store(acc[0], sc + (tq + 0) * MM_R + rq + 0, MM_R);
    simdgroup_store(acc[1], sc + (tq + 0) * MM_R + rq + 8, MM_R);
    simdgroup_store(acc[2], sc + (tq + 8) * MM_R + rq + 0, MM_R);
    simdgroup_store(acc[3], sc + (tq + 8) * MM_R + rq + 8, MM_R);
    threadgroup_barrier(mem_flags::mem_threadgroup);
    for (int i = int(tiitg); i < MM_R * MM_T; i += 128) {
        int tl = i / MM_R, rl = i % MM_R;
        if (t0 + tl < args.n && r0 + rl < args.rows) {
            y[ulong(t0 + tl) * args.yStride + r0 + rl] = sc[i];
        }
    }
}

// rms_norm: y = x / sqrt(mean(x²) + eps) ⊙ w, one 32-thread threadgroup per
// row; grid (n). y may alias x.
kernel void rms_norm(
    constant NormArgs & args [[buffer(0)]],
    device const float * x [[buffer(1)]],
    device const float * w [[buffer(2)]],
    device float * y [[buffer(3)]],
    uint3 tgpig [[threadgroup_position_in_grid]],
    uint tiisg [[thread_index_in_simdgroup]]) {
    device const float * xr = x + ulong(tgpig.x) * args.dim;
    device float * yr = y + ulong(tgpig.x) * args.dim;
    float s = 0.0f;
    for (int j = int(tiisg); j < args.dim; j += 32) s += xr[j] * xr[j];
    s = simd_sum(s);
    float mean = s / float(args.dim);
    float scale = 1.0f / sqrt(mean + args.eps);
    for (int j = int(tiisg); j < args.dim; j += 32) yr[j] = (xr[j] * scale) * w[j];
}

// add_row: x[i] += b[i mod dim]; 256-thread threadgroups over count.
kernel void add_row(
    constant EltArgs & args [[buffer(0)]],
    device float * x [[buffer(1)]],
    device const float * b [[buffer(2)]],
    uint3 tgpig [[threadgroup_position_in_grid]],
    uint tiitg [[thread_index_in_threadgroup]]) {
    int i = int(tgpig.x) * 256 + int(tiitg);
    if (i < args.count) x[i] += b[i % args.dim];
}

// add_vec: x[i] += y[i].
kernel void add_vec(
    constant EltArgs & args [[buffer(0)]],
    device float * x [[buffer(1)]],
    device const float * y [[buffer(2)]],
    uint3 tgpig [[threadgroup_position_in_grid]],
    uint tiitg [[thread_index_in_threadgroup]]) {
    int i = int(tgpig.x) * 256 + int(tiitg);
    if (i < args.count) x[i] += y[i];
}

// swiglu: g[i] = g[i] / (1 + e^−g[i]) · u[i].
kernel void swiglu(
    constant EltArgs & args [[buffer(0)]],
    device float * g [[buffer(1)]],
    device const float * u [[buffer(2)]],
    uint3 tgpig [[threadgroup_position_in_grid]],
    uint tiitg [[thread_index_in_threadgroup]]) {
    int i = int(tgpig.x) * 256 + int(tiitg);
    if (i < args.count) {
        float z = g[i];
        g[i] = z / (1.0f + precise::exp(-z)) * u[i];
    }
}

// rope: rotates one pair of one head of one row per thread; grid
// (ceil(dim/2 / 32), qHeads+kHeads, n) of 32-thread threadgroups. θ is
// iterated pair by pair in float, as ggml_rope_cache_init does.
kernel void rope(
    constant RopeArgs & args [[buffer(0)]],
    device float * q [[buffer(1)]],
    device float * k [[buffer(2)]],
    device const int * pos [[buffer(3)]],
    device const float * factors [[buffer(4)]],
    uint3 tgpig [[threadgroup_position_in_grid]],
    uint tiitg [[thread_index_in_threadgroup]]) {
    int p = int(tgpig.x) * 32 + int(tiitg), h = int(tgpig.y), i = int(tgpig.z);
    if (p < args.dim / 2) {
        float theta = float(pos[i]);
        for (int j = 0; j < p; j++) theta *= args.thetaScale;
        if (args.hasFactors != 0) theta /= factors[p];
        theta *= args.freqScale;
        float c = precise::cos(theta), s = precise::sin(theta);
        device float * hd = h < args.qHeads
            ? q + ulong(i) * args.qHeads * args.headDim + h * args.headDim
            : k + ulong(i) * args.kHeads * args.headDim + (h - args.qHeads) * args.headDim;
        int a = 2 * p, b = 2 * p + 1;
        if (args.neox != 0) {
            a = p;
            b = p + args.dim / 2;
        }
        float x0 = hd[a], x1 = hd[b];
        hd[a] = x0 * c - x1 * s;
        hd[b] = x0 * s + x1 * c;
    }
}

// attention: causal softmax(q·kᵀ·scale)·v for one query row and head per
// 32-thread threadgroup; grid (heads, n). start[i] is the first row of row
// i's sequence: the row attends to keys start[i] … i. Online softmax: the
// running maximum rescales the sum and the output accumulators, which each
// lane holds for head dims lane, lane+32, …
kernel void attention(
    constant AttnArgs & args [[buffer(0)]],
    device const float * q [[buffer(1)]],
    device const float * k [[buffer(2)]],
    device const float * v [[buffer(3)]],
    device float * out [[buffer(4)]],
    device const int * start [[buffer(5)]],
    uint3 tgpig [[threadgroup_position_in_grid]],
    uint tiisg [[thread_index_in_simdgroup]]) {
    int h = int(tgpig.x), i = int(tgpig.y), hd = args.headDim;
    int kh = h / (args.heads / args.kvHeads);
    int qw = args.heads * hd, kw = args.kvHeads * hd;
    device const float * qi = q + ulong(i) * qw + h * hd;
    float qv[8], o[8];
    for (int e = 0; e < 8; e++) {
        int d = int(tiisg) + 32 * e;
        qv[e] = d < hd ? qi[d] : 0.0f;
        o[e] = 0.0f;
    }
    float m = -INFINITY, sum = 0.0f;
    for (int j = start[i]; j <= i; j++) {
        device const float * kj = k + ulong(j) * kw + kh * hd;
        device const float * vj = v + ulong(j) * kw + kh * hd;
        float s = 0.0f;
        for (int e = 0; e < 8; e++) {
            int d = int(tiisg) + 32 * e;
            if (d < hd) s += qv[e] * kj[d];
        }
        s = simd_sum(s) * args.scale;
        float mn = max(m, s);
        float corr = precise::exp(m - mn), p = precise::exp(s - mn);
        sum = sum * corr + p;
        for (int e = 0; e < 8; e++) {
            int d = int(tiisg) + 32 * e;
            o[e] = o[e] * corr + (d < hd ? p * vj[d] : 0.0f);
        }
        m = mn;
    }
    device float * oi = out + ulong(i) * qw + h * hd;
    for (int e = 0; e < 8; e++) {
        int d = int(tiisg) + 32 * e;
        if (d < hd) oi[d] = o[e] / sum;
    }
}

// row_max_lse: per row of logits (width dim), the maximum and
// log Σ exp(l − max), the two numbers a log-softmax needs; one 32-thread
// threadgroup per row, grid (n). res[2i] = max, res[2i+1] = log-sum.
kernel void row_max_lse(
    constant NormArgs & args [[buffer(0)]],
    device const float * x [[buffer(1)]],
    device float * res [[buffer(2)]],
    uint3 tgpig [[threadgroup_position_in_grid]],
    uint tiisg [[thread_index_in_simdgroup]]) {
    device const float * xr = x + ulong(tgpig.x) * args.dim;
    float m = -INFINITY;
    for (int j = int(tiisg); j < args.dim; j += 32) m = max(m, xr[j]);
    m = simd_max(m);
    float s = 0.0f;
    for (int j = int(tiisg); j < args.dim; j += 32) s += precise::exp(xr[j] - m);
    s = simd_sum(s);
    if (tiisg == 0) {
        res[2 * tgpig.x] = m;
        res[2 * tgpig.x + 1] = precise::log(s);
    }
}

// row_topk: the k largest logits of each row, ranked as the engine ranks
// them (value descending, ties: smaller id first); one 32-thread
// threadgroup per row, grid (n). Pass j finds, over the whole row, the
// best element ranked after pass j−1's pick: k passes of a strided scan
// and a (max value, then min id) simdgroup reduction. ids[i·k + j] is the
// j-th id as a float (exact: ids are below 2^24).
kernel void row_topk(
    constant TopKArgs & args [[buffer(0)]],
    device const float * x [[buffer(1)]],
    device float * ids [[buffer(2)]],
    uint3 tgpig [[threadgroup_position_in_grid]],
    uint tiisg [[thread_index_in_simdgroup]]) {
    device const float * xr = x + ulong(tgpig.x) * args.dim;
    float pv = INFINITY;
    int pid = -1;
    for (int j = 0; j < args.k; j++) {
        float bv = -INFINITY;
        int bid = args.dim;
        for (int i = int(tiisg); i < args.dim; i += 32) {
            float v = xr[i];
            bool after = v < pv || (v == pv && i > pid);
            bool better = v > bv || (v == bv && i < bid);
            if (after && better) {
                bv = v;
                bid = i;
            }
        }
        float m = simd_max(bv);
        int id = simd_min(bv == m ? bid : args.dim);
        if (tiisg == 0) ids[ulong(tgpig.x) * args.k + j] = float(id);
        pv = m;
        pid = id;
    }
}
