// metal_shim.h: just enough of the Metal Shading Language, in C++, to run
// kernels.metal on a CPU (emu_test.go compiles it with clang).
//
// * Vector types are clang ext_vector_types (swizzles work).
// * half is a class holding IEEE binary16 bits, converting through float
//   with round-to-nearest-even (Debian's clang 14 has no _Float16 on x86).
// * A threadgroup's threads are cooperative threads (ucontext fibers, one
//   stack each) on one OS thread, switched at barriers; host.cpp explains
//   why not OS threads. The current thread's coordinates and its
//   threadgroup's shared state sit in emu_self; threadgroup_barrier waits
//   for the whole threadgroup, and simd_sum/simd_max exchange values
//   through a per-simdgroup slot array between two simdgroup barriers
//   (lanes add in lane order).
// * simdgroup_matrix: every lane holds the whole 8×8 tile; loads read
//   (identical values) in every lane, stores write from lane 0 only.
// * Address-space words are macros defined after the standard headers;
//   the [[...]] attributes are stripped from the kernel source beforehand
//   (emu_test.go), since [[threadgroup(0)]] would collide with the macro.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;
typedef unsigned long ulong;

typedef float float2 __attribute__((ext_vector_type(2)));
typedef float float3 __attribute__((ext_vector_type(3)));
typedef float float4 __attribute__((ext_vector_type(4)));
typedef int int2 __attribute__((ext_vector_type(2)));
typedef uint uint2 __attribute__((ext_vector_type(2)));
typedef uint uint3 __attribute__((ext_vector_type(3)));
typedef ulong ulong2 __attribute__((ext_vector_type(2)));

// half: IEEE 754 binary16.
struct half {
    uint16_t bits;
    half() : bits(0) {}
    half(float f) : bits(from(f)) {}
    operator float() const { return to(bits); }
    static uint16_t from(float f) {
        uint32_t x;
        std::memcpy(&x, &f, 4);
        uint32_t sign = (x >> 16) & 0x8000, ax = x & 0x7fffffff;
        if (ax > 0x7f800000) return sign | 0x7e00; // NaN
        if (ax >= 0x477ff000) return sign | 0x7c00; // rounds to ±Inf
        if (ax < 0x38800000) { // subnormal half (or zero)
            float a;
            std::memcpy(&a, &ax, 4);
            float s = a * 16777216.0f; // in units of 2^-24, exact
            uint32_t m = (uint32_t) std::nearbyint(s); // ties to even (default mode)
            return sign | m;
        }
        uint32_t m = ax + 0xfff + ((ax >> 13) & 1); // round to nearest even at bit 13
        return sign | ((m - 0x38000000) >> 13);
    }
    static float to(uint16_t h) {
        uint32_t sign = uint32_t(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, x;
        if (e == 0) {
            float f = float(m) / 16777216.0f;
            return (h & 0x8000) ? -f : f;
        }
        if (e == 31) x = sign | 0x7f800000 | (m << 13);
        else x = sign | ((e + 112) << 23) | (m << 13);
        float f;
        std::memcpy(&f, &x, 4);
        return f;
    }
};
static_assert(sizeof(half) == 2, "half is two bytes");

template <typename T, typename U> T as_type(U u) {
    static_assert(sizeof(T) == sizeof(U), "as_type sizes");
    T t;
    std::memcpy(&t, &u, sizeof(T));
    return t;
}

using std::max;
using std::min;
using std::sqrt;
namespace precise {
inline float exp(float x) { return std::exp(x); }
inline float log(float x) { return std::log(x); }
inline float cos(float x) { return std::cos(x); }
inline float sin(float x) { return std::sin(x); }
} // namespace precise

// emu_yield switches from the current Metal thread back to the scheduler
// (host.cpp), which resumes the threads of the threadgroup in turn.
void emu_yield();

// barrier is a reusable barrier for n Metal threads: the last to arrive
// opens it, the others yield until it has opened.
struct barrier {
    int n = 0, waiting = 0;
    uint64_t gen = 0;
    void wait() {
        uint64_t g = gen;
        if (++waiting == n) {
            waiting = 0;
            gen++;
            return;
        }
        while (gen == g) emu_yield();
    }
};

// simdgroup is the shared state of one simdgroup: a barrier and a slot per
// lane (a double holds every float and int exactly).
struct simdgroup {
    barrier bar;
    double slot[32];
};

// emu_thread is the current thread's position and its threadgroup's state.
struct emu_thread {
    uint3 tgpig;          // threadgroup_position_in_grid
    uint tiitg;           // thread_index_in_threadgroup
    uint sgitg;           // simdgroup_index_in_threadgroup
    uint tiisg;           // thread_index_in_simdgroup
    barrier * group;      // the threadgroup's barrier
    simdgroup * sg;       // this thread's simdgroup
};
extern emu_thread * emu_self;

enum class mem_flags { mem_none, mem_device, mem_threadgroup };
inline void threadgroup_barrier(mem_flags) { emu_self->group->wait(); }

template <typename T, typename F> inline T simd_reduce(T v, F f) {
    simdgroup * s = emu_self->sg;
    s->slot[emu_self->tiisg] = v;
    s->bar.wait();
    T r = T(s->slot[0]);
    for (int i = 1; i < s->bar.n; i++) r = f(r, T(s->slot[i]));
    s->bar.wait(); // nobody overwrites a slot before all have read
    return r;
}
inline float simd_sum(float v) { return simd_reduce(v, [](float a, float b) { return a + b; }); }
inline float simd_max(float v) { return simd_reduce(v, [](float a, float b) { return std::max(a, b); }); }
inline int simd_min(int v) { return simd_reduce(v, [](int a, int b) { return std::min(a, b); }); }

// simdgroup_matrix: every lane holds the whole tile, in float.
template <typename T, int C, int R> struct simdgroup_matrix {
    float e[R][C];
};
typedef simdgroup_matrix<half, 8, 8> simdgroup_half8x8;
typedef simdgroup_matrix<float, 8, 8> simdgroup_float8x8;

template <typename T, int N> simdgroup_matrix<T, N, N> make_filled_simdgroup_matrix(T v) {
    simdgroup_matrix<T, N, N> m;
    for (int r = 0; r < N; r++)
        for (int c = 0; c < N; c++) m.e[r][c] = float(v);
    return m;
}

template <typename T, typename S, int C, int R>
inline void simdgroup_load(simdgroup_matrix<T, C, R> & d, const S * src, ulong elements_per_row = C,
                           ulong2 origin = ulong2(0), bool transpose = false) {
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            ulong rr = r + origin.y, cc = c + origin.x;
            d.e[r][c] = transpose ? float(src[cc * elements_per_row + rr]) : float(src[rr * elements_per_row + cc]);
        }
}

template <typename T, typename S, int C, int R>
inline void simdgroup_store(const simdgroup_matrix<T, C, R> & m, S * dst, ulong elements_per_row = C) {
    if (emu_self->tiisg != 0) return;
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) dst[r * elements_per_row + c] = S(m.e[r][c]);
}

template <typename D, typename A, typename B, typename C>
inline void simdgroup_multiply_accumulate(D & d, const A & a, const B & b, const C & c) {
    D t;
    for (int r = 0; r < 8; r++)
        for (int col = 0; col < 8; col++) {
            float s = c.e[r][col];
            for (int k = 0; k < 8; k++) s += a.e[r][k] * b.e[k][col];
            t.e[r][col] = s;
        }
    d = t;
}

namespace metal {}

#define kernel
#define device
#define threadgroup
#define constant const
#define thread
