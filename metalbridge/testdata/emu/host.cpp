// host.cpp: a Metal-like device on the CPU for emu_test.go. It owns
// numbered buffers and runs kernels of kernels.metal (compiled as C++ with
// metal_shim.h) over a grid of threadgroups, one threadgroup at a time,
// each Metal thread a ucontext fiber with its own stack. A fiber runs until
// it waits at a barrier (threadgroup_barrier, or the two inside simd_sum),
// then the next one runs; a barrier opens when all its threads arrived.
// That is exactly the synchronization Metal guarantees (nothing between
// barriers is ordered), it is deterministic, and it is far cheaper than one
// OS thread per Metal thread: on the shared 2-core CI machine, OS threads
// meeting at futex barriers made a tiny model's forward pass take ~25 s.
// Commands come on stdin, little-endian:
//   'B' id:u32 len:u64 bytes           set buffer id
//   'R' id:u32                          -> len:u64 bytes
//   'D' name:str groups:3×u32 threads:3×u32 tgmem:u32 nbind:u32
//       then per binding: index:u32 kind:u32 (0: id:u32 off:u64, 1: str)
//                                     -> 'k', or 'e' str on error
//   'Q'                                 quit
// where str is len:u32 bytes.
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <ucontext.h>

#include "metal_shim.h" // defines the address-space words; include nothing after it

// emu_call holds what the generated wrappers pass to a kernel.
struct emu_call {
    void * arg[32];
    uchar * tgmem;
};

emu_thread * emu_self;

// fiber is one Metal thread: its context, stack and position.
struct fiber {
    ucontext_t ctx;
    std::vector<char> stack;
    emu_thread self;
    bool done;
};

static ucontext_t sched;       // the scheduler's context
static fiber * running;        // the fiber being run
static void (*fiber_fn)(emu_call &);
static emu_call * fiber_call;

void emu_yield() { swapcontext(&running->ctx, &sched); }

static void fiber_main() {
    fiber_fn(*fiber_call);
    running->done = true;
    // returning resumes uc_link: the scheduler
}

// fiberStack is each Metal thread's stack: kernels keep a few hundred
// bytes of locals (simdgroup tiles are 256 B each in the shim).
static const size_t fiberStack = 64 << 10;

#include "kernels_emu.inc" // kernels.metal stripped, emu_kernels, and #undefs of the words

static std::map<uint32_t, std::vector<uchar>> buffers;

static void readn(void * p, size_t n) {
    if (n && fread(p, 1, n, stdin) != n) exit(3);
}
template <typename T> static T rd() {
    T v;
    readn(&v, sizeof v);
    return v;
}
static std::string rdstr() {
    std::string s(rd<uint32_t>(), '\0');
    readn(&s[0], s.size());
    return s;
}
static void fail(const std::string & msg) {
    uint32_t n = msg.size();
    fputc('e', stdout);
    fwrite(&n, 4, 1, stdout);
    fwrite(msg.data(), 1, n, stdout);
    fflush(stdout);
}

static void dispatch() {
    std::string name = rdstr();
    uint32_t g[3], t[3];
    for (auto & v : g) v = rd<uint32_t>();
    for (auto & v : t) v = rd<uint32_t>();
    uint32_t tgmem = rd<uint32_t>(), nbind = rd<uint32_t>();
    emu_call call = {};
    std::vector<std::string> inl(nbind);
    std::string err;
    for (uint32_t i = 0; i < nbind; i++) {
        uint32_t idx = rd<uint32_t>(), kind = rd<uint32_t>();
        if (kind == 0) {
            uint32_t id = rd<uint32_t>();
            uint64_t off = rd<uint64_t>();
            auto it = buffers.find(id);
            if (it == buffers.end() || off > it->second.size()) err = "bad buffer binding";
            else if (idx < 32) call.arg[idx] = it->second.data() + off;
        } else {
            inl[i] = rdstr();
            if (idx < 32) call.arg[idx] = &inl[i][0];
        }
        if (idx >= 32) err = "binding index out of range";
    }
    auto k = emu_kernels.find(name);
    if (k == emu_kernels.end()) err = "no kernel " + name;
    uint32_t nt = t[0] * t[1] * t[2], ng = g[0] * g[1] * g[2];
    if (nt == 0 || nt > 1024 || nt % 32 != 0 || t[1] != 1 || t[2] != 1) err = "threads per threadgroup must be x only, a multiple of 32, ≤ 1024";
    if (!err.empty()) {
        fail(err);
        return;
    }
    // Threadgroup memory is filled with 0xff bytes (NaN floats) so a kernel
    // reading what it did not write shows it.
    std::vector<uchar> shared(tgmem);
    barrier group;
    group.n = nt;
    std::vector<simdgroup> sgs(nt / 32);
    for (auto & s : sgs) s.bar.n = 32;
    std::vector<fiber> fibers(nt);
    for (auto & f : fibers) f.stack.resize(fiberStack);
    fiber_fn = k->second;
    for (uint32_t gi = 0; gi < ng; gi++) {
        std::fill(shared.begin(), shared.end(), 0xff);
        emu_call c = call;
        c.tgmem = shared.data();
        fiber_call = &c;
        for (uint32_t i = 0; i < nt; i++) {
            fiber & f = fibers[i];
            f.self.tgpig = uint3{gi % g[0], (gi / g[0]) % g[1], gi / (g[0] * g[1])};
            f.self.tiitg = i;
            f.self.sgitg = i / 32;
            f.self.tiisg = i % 32;
            f.self.group = &group;
            f.self.sg = &sgs[i / 32];
            f.done = false;
            getcontext(&f.ctx);
            f.ctx.uc_stack.ss_sp = f.stack.data();
            f.ctx.uc_stack.ss_size = f.stack.size();
            f.ctx.uc_link = &sched;
            makecontext(&f.ctx, fiber_main, 0);
        }
        for (uint32_t live = nt; live > 0;) {
            live = 0;
            for (auto & f : fibers) {
                if (f.done) continue;
                running = &f;
                emu_self = &f.self;
                swapcontext(&sched, &f.ctx);
                live += !f.done;
            }
        }
    }
    fputc('k', stdout);
    fflush(stdout);
}

int main() {
    for (;;) {
        int op = fgetc(stdin);
        switch (op) {
        case 'B': {
            uint32_t id = rd<uint32_t>();
            uint64_t n = rd<uint64_t>();
            auto & b = buffers[id];
            b.resize(n);
            readn(b.data(), n);
            break;
        }
        case 'R': {
            auto & b = buffers[rd<uint32_t>()];
            uint64_t n = b.size();
            fwrite(&n, 8, 1, stdout);
            fwrite(b.data(), 1, n, stdout);
            fflush(stdout);
            break;
        }
        case 'D':
            dispatch();
            break;
        case 'Q':
        case EOF:
            return 0;
        default:
            return 2;
        }
    }
}
