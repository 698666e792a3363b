package metalbridge

// The emulator: kernels.metal compiled as C++ (testdata/emu) into a host
// program that runs each threadgroup's threads as real threads, driven by
// emuDevice through stdin/stdout. No cgo: the program is a subprocess.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
)

// TestMain ends with a line naming what the tests missed (clang++).
func TestMain(m *testing.M) { os.Exit(testdata.Main(m)) }

// kernelDecl is a kernel parameter as declared in kernels.metal.
type kernelDecl struct {
	decl, name, attr string
	index            int // for buffer(i) and threadgroup(i); -1 otherwise
}

var (
	reKernel = regexp.MustCompile(`(?s)kernel void (\w+)\(\n(.*?)\)\s*\{`)
	reParam  = regexp.MustCompile(`^\s*(.*?[\s*&])(\w+) \[\[(\w+)(?:\((\d+)\))?\]\][,]?$`)
	reStruct = regexp.MustCompile(`(?s)struct (\w+) \{\n(.*?)\n\};`)
	reField  = regexp.MustCompile(`^\s*(\w+) (\w+);`)
	reAttr   = regexp.MustCompile(`\s*\[\[[^\]]*\]\]`)
)

// parseKernels returns each kernel's parameters in declaration order.
func parseKernels(src string) (map[string][]kernelDecl, error) {
	out := map[string][]kernelDecl{}
	for _, m := range reKernel.FindAllStringSubmatch(src, -1) {
		var ps []kernelDecl
		for _, line := range strings.Split(m[2], "\n") {
			pm := reParam.FindStringSubmatch(line)
			if pm == nil {
				return nil, fmt.Errorf("kernel %s: cannot parse parameter %q", m[1], line)
			}
			p := kernelDecl{decl: strings.TrimSpace(pm[1]), name: pm[2], attr: pm[3], index: -1}
			if pm[4] != "" {
				fmt.Sscan(pm[4], &p.index)
			}
			ps = append(ps, p)
		}
		out[m[1]] = ps
	}
	return out, nil
}

// threadAttrs maps Metal's thread-position attributes to the emulator's
// per-thread state.
var threadAttrs = map[string]string{
	"threadgroup_position_in_grid":   "emu_self->tgpig",
	"thread_index_in_threadgroup":    "emu_self->tiitg",
	"simdgroup_index_in_threadgroup": "emu_self->sgitg",
	"thread_index_in_simdgroup":      "emu_self->tiisg",
}

// emuSource turns kernels.metal into kernels_emu.inc: the source without
// its [[…]] attributes and metal_stdlib include, one wrapper per kernel
// that passes bindings and thread positions, the name → wrapper table, and
// #undefs of the address-space words.
func emuSource(src string) (string, error) {
	ks, err := parseKernels(src)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	body := strings.Replace(src, "#include <metal_stdlib>", "", 1)
	b.WriteString(reAttr.ReplaceAllString(body, ""))
	names := slices.Sorted(maps.Keys(ks))
	for _, name := range names {
		ps := ks[name]
		var args []string
		for _, p := range ps {
			switch {
			case p.attr == "buffer" && strings.HasSuffix(p.decl, "&"):
				args = append(args, fmt.Sprintf("*(%s *) c.arg[%d]", strings.TrimSpace(strings.TrimSuffix(p.decl, "&")), p.index))
			case p.attr == "buffer":
				args = append(args, fmt.Sprintf("(%s) c.arg[%d]", p.decl, p.index))
			case p.attr == "threadgroup":
				args = append(args, fmt.Sprintf("(%s) c.tgmem", p.decl))
			case threadAttrs[p.attr] != "":
				args = append(args, threadAttrs[p.attr])
			default:
				return "", fmt.Errorf("kernel %s: attribute %s not emulated", name, p.attr)
			}
		}
		fmt.Fprintf(&b, "\nstatic void call_%s(emu_call & c) { %s(%s); }\n", name, name, strings.Join(args, ", "))
	}
	b.WriteString("\nstatic std::map<std::string, void (*)(emu_call &)> emu_kernels = {\n")
	for _, n := range names {
		fmt.Fprintf(&b, "    {%q, call_%s},\n", n, n)
	}
	b.WriteString("};\n#undef kernel\n#undef device\n#undef threadgroup\n#undef constant\n#undef thread\n")
	return b.String(), nil
}

var emuBuild struct {
	once sync.Once
	path string
	err  error
	skip string
}

// emulator returns the path of the compiled host program, building it once
// per test process; it skips the test when clang++ is missing (and fails
// instead with POT_REQUIRE_SYSTEM=1).
func emulator(t testing.TB) string {
	t.Helper()
	cxx := testdata.Tool(t, "apt-get install clang; it compiles the Metal kernels for the emulator", "clang++")
	emuBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "pot-metal-emu")
		if err != nil {
			emuBuild.err = err
			return
		}
		inc, err := emuSource(kernelSource)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "kernels_emu.inc"), []byte(inc), 0o644)
		}
		if err != nil {
			emuBuild.err = err
			return
		}
		here, _ := filepath.Abs("testdata/emu")
		exe := filepath.Join(dir, "metal-emu")
		// -ffp-contract=off: no FMAs, as in Go's float32 arithmetic and
		// verifier/quant. -fsigned-char: MSL's char is signed.
		cmd := exec.Command(cxx, "-std=c++17", "-O1", "-pthread", "-fsigned-char", "-ffp-contract=off",
			"-Wall", "-Wno-unused-function", "-I", dir, "-I", here, "-o", exe, filepath.Join(here, "host.cpp"))
		if out, err := cmd.CombinedOutput(); err != nil {
			emuBuild.err = fmt.Errorf("compiling the emulated kernels: %v\n%s", err, out)
			if runtime.GOOS != "linux" {
				// The emulator (ucontext fibers, libstdc++) is made for
				// Linux CI; elsewhere a failure to build it is not a finding.
				emuBuild.skip, emuBuild.err = fmt.Sprintf("the kernel emulator does not build on %s: %v", runtime.GOOS, emuBuild.err), nil
			}
			return
		}
		emuBuild.path = exe
	})
	if emuBuild.skip != "" {
		t.Skip(emuBuild.skip)
	}
	if emuBuild.err != nil {
		t.Fatal(emuBuild.err)
	}
	return emuBuild.path
}

// emuDevice is a device over the emulator process. Go memory is the truth:
// before each launch the writable buffers it binds are sent, after it they
// are read back; weights are sent once by wrap.
type emuDevice struct {
	cmd      *exec.Cmd
	in       *bufio.Writer
	out      *bufio.Reader
	mem      map[bufID][]byte
	readonly map[bufID]bool
	next     bufID
	err      error
	launches int
}

func newEmuDevice(t testing.TB) *emuDevice {
	exe := emulator(t)
	cmd := exec.Command(exe)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &emuDevice{cmd: cmd, in: bufio.NewWriterSize(stdin, 1<<20), out: bufio.NewReader(stdout),
		mem: map[bufID][]byte{}, readonly: map[bufID]bool{}}
}

// newEmuBackend returns a Backend on a fresh emulator process, closed when
// the test ends.
func newEmuBackend(t testing.TB) *Backend {
	b := newBackend(newEmuDevice(t), "metal-emu")
	t.Cleanup(func() { b.Close() })
	return b
}

func (e *emuDevice) put(v ...any) {
	for _, x := range v {
		binary.Write(e.in, binary.LittleEndian, x)
	}
}

func (e *emuDevice) putStr(s []byte) {
	e.put(uint32(len(s)))
	e.in.Write(s)
}

func (e *emuDevice) alloc(n int) (bufID, []byte, error) {
	e.next++
	e.mem[e.next] = make([]byte, n)
	return e.next, e.mem[e.next], nil
}

func (e *emuDevice) upload(id bufID) {
	e.in.WriteByte('B')
	e.put(uint32(id), uint64(len(e.mem[id])))
	e.in.Write(e.mem[id])
}

func (e *emuDevice) wrap(b []byte) (bufID, int, error) {
	e.next++
	e.mem[e.next], e.readonly[e.next] = b, true
	e.upload(e.next)
	return e.next, 0, nil
}

func (e *emuDevice) launch(d *dispatch) {
	if e.err != nil {
		return
	}
	e.launches++
	var rw []bufID
	for _, bd := range d.binds {
		if bd.bytes == nil && !e.readonly[bd.buf] {
			e.upload(bd.buf)
			rw = append(rw, bd.buf)
		}
	}
	e.in.WriteByte('D')
	e.putStr([]byte(d.kernel))
	e.put(uint32(d.groups[0]), uint32(d.groups[1]), uint32(d.groups[2]), uint32(d.threads), uint32(1), uint32(1),
		uint32(d.tgMem), uint32(len(d.binds)))
	for _, bd := range d.binds {
		if bd.bytes != nil {
			e.put(uint32(bd.index), uint32(1))
			e.putStr(bd.bytes)
		} else {
			e.put(uint32(bd.index), uint32(0), uint32(bd.buf), uint64(bd.off))
		}
	}
	if e.err = e.in.Flush(); e.err != nil {
		return
	}
	switch r, _ := e.out.ReadByte(); r {
	case 'k':
	case 'e':
		var n uint32
		binary.Read(e.out, binary.LittleEndian, &n)
		msg := make([]byte, n)
		io.ReadFull(e.out, msg)
		e.err = fmt.Errorf("emulator: %s: %s", d.kernel, msg)
		return
	default:
		e.err = fmt.Errorf("emulator: %s: died (%v)", d.kernel, e.cmd.Wait())
		return
	}
	for _, id := range rw {
		e.in.WriteByte('R')
		e.put(uint32(id))
		e.in.Flush()
		var n uint64
		if e.err = binary.Read(e.out, binary.LittleEndian, &n); e.err != nil {
			return
		}
		if _, e.err = io.ReadFull(e.out, e.mem[id][:n]); e.err != nil {
			return
		}
	}
}

func (e *emuDevice) sync() error { return e.err }

func (e *emuDevice) close() error {
	e.in.WriteByte('Q')
	e.in.Flush()
	return e.cmd.Wait()
}
