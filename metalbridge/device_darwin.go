package metalbridge

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"github.com/proof-of-training/pot/metalbridge/mtl"
	"github.com/proof-of-training/pot/metalbridge/objc"
)

// maxDispatchesPerBuffer is how many kernels go into one command buffer
// before it is committed (without waiting): about one transformer layer
// (≈ 15 dispatches) at a time would leave the GPU idle while the next is
// encoded, so several layers share one; the GPU starts on a buffer while
// the host encodes the next, and Sync waits only for the last.
const maxDispatchesPerBuffer = 128

// Metal GPU families with simdgroup matrices (mul_mm): MTLGPUFamilyApple7
// (M1, A14) and MTLGPUFamilyMac2.
const (
	familyApple7 = 1007
	familyMac2   = 2002
)

// noCopyMin is the smallest tensor wrapped without a copy. Smaller ones
// (norms of tiny models, the self-test's weights on the Go heap) are
// copied: a no-copy buffer spans whole pages around the tensor, 16 KB on
// Apple silicon, which is only worth it, and only certain to lie in one
// mapping of the model file, for large tensors.
const noCopyMin = 1 << 20

// metalDevice is the device on a real Metal GPU.
type metalDevice struct {
	dev      mtl.Device
	queue    mtl.CommandQueue
	lib      mtl.Library
	pipes    map[string]mtl.ComputePipelineState
	bufs     map[bufID]mtl.Buffer
	keep     map[bufID][]byte // Go memory under no-copy buffers, kept alive
	next     bufID
	page     int
	cb       mtl.CommandBuffer
	enc      mtl.ComputeCommandEncoder
	open     bool // cb/enc are being encoded
	encoded  int  // dispatches in cb
	inflight []mtl.CommandBuffer
}

// newMetal opens the system GPU, compiles kernels.metal and builds every
// pipeline; it returns the Backend and the GPU's name.
func newMetal() (*Backend, string, error) {
	d, err := mtl.CreateSystemDefaultDevice()
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	name := d.Name()
	if !d.SupportsFamily(familyApple7) && !d.SupportsFamily(familyMac2) {
		d.Release()
		return nil, name, fmt.Errorf("%w: %s has no simdgroup matrices (needs Apple7 or Mac2)", ErrUnavailable, name)
	}
	m := &metalDevice{dev: d, pipes: map[string]mtl.ComputePipelineState{}, bufs: map[bufID]mtl.Buffer{},
		keep: map[bufID][]byte{}, page: os.Getpagesize()}
	if err := m.build(); err != nil {
		m.close()
		return nil, name, fmt.Errorf("%w: %s: %v", ErrUnavailable, name, err)
	}
	return newBackend(m, "metal"), name, nil
}

// build compiles the kernels (fast math off: results are compared with the
// CPU backend's) and makes one pipeline per kernel.
func (m *metalDevice) build() error {
	lib, err := m.dev.NewLibraryWithSource(kernelSource, mtl.CompileOptions{FastMath: false, LanguageVersion: mtl.LanguageVersion2_4})
	if err != nil {
		return err
	}
	m.lib = lib
	m.queue = m.dev.NewCommandQueue()
	need := map[string]int{kMulMV: mvRowsPerGroup * simdWidth, kMulMM: mmThreads, kAdd: eltThreads, kAddRow: eltThreads, kSwiGLU: eltThreads}
	for name := range kernelParams {
		f, err := lib.NewFunctionWithName(name)
		if err != nil {
			return err
		}
		p, err := m.dev.NewComputePipelineState(f)
		f.Release()
		if err != nil {
			return fmt.Errorf("kernel %s: %w", name, err)
		}
		m.pipes[name] = p
		if max := p.MaxTotalThreadsPerThreadgroup(); max < need[name] || max < simdWidth {
			return fmt.Errorf("kernel %s: at most %d threads per threadgroup, need %d", name, max, need[name])
		}
	}
	return nil
}

func (m *metalDevice) add(b mtl.Buffer) bufID {
	m.next++
	m.bufs[m.next] = b
	return m.next
}

func (m *metalDevice) alloc(n int) (bufID, []byte, error) {
	b, err := m.dev.NewBufferWithLength((n+15)&^15, mtl.ResourceStorageModeShared)
	if err != nil {
		return 0, nil, err
	}
	mem := unsafe.Slice((*byte)(b.Contents()), n)
	clear(mem)
	return m.add(b), mem, nil
}

// wrap wraps the pages under b without a copy (memory-mapped weights sit
// in whole pages of the mapping, as llama.cpp's Metal backend relies on
// too), and copies b if it is small or Metal refuses.
func (m *metalDevice) wrap(b []byte) (bufID, int, error) {
	if len(b) == 0 {
		return 0, 0, errors.New("empty tensor")
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	base := p &^ uintptr(m.page-1)
	end := (p + uintptr(len(b)) + uintptr(m.page-1)) &^ uintptr(m.page-1)
	if len(b) >= noCopyMin && int(end-base) <= m.dev.MaxBufferLength() {
		buf, err := m.dev.NewBufferWithBytesNoCopy(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), -int(p-base)), int(end-base), mtl.ResourceStorageModeShared)
		if err == nil {
			id := m.add(buf)
			m.keep[id] = b
			return id, int(p - base), nil
		}
	}
	buf, err := m.dev.NewBufferWithBytes(b, mtl.ResourceStorageModeShared)
	if err != nil {
		return 0, 0, err
	}
	return m.add(buf), 0, nil
}

func (m *metalDevice) launch(d *dispatch) {
	if !m.open {
		objc.WithPool(func() {
			m.cb = m.queue.CommandBuffer().Retain()
			m.enc = m.cb.ComputeCommandEncoder().Retain()
		})
		m.open = true
	}
	e := m.enc
	e.SetComputePipelineState(m.pipes[d.kernel])
	for _, bd := range d.binds {
		if bd.bytes != nil {
			e.SetBytes(bd.bytes, bd.index)
		} else {
			e.SetBuffer(m.bufs[bd.buf], bd.off, bd.index)
		}
	}
	if d.tgMem > 0 {
		e.SetThreadgroupMemoryLength((d.tgMem+15)&^15, 0)
	}
	e.DispatchThreadgroups(mtl.Size{Width: uint(d.groups[0]), Height: uint(d.groups[1]), Depth: uint(d.groups[2])},
		mtl.Size{Width: uint(d.threads), Height: 1, Depth: 1})
	if m.encoded++; m.encoded >= maxDispatchesPerBuffer {
		m.commit()
	}
}

// commit ends the open command buffer and sends it to the GPU.
func (m *metalDevice) commit() {
	if !m.open {
		return
	}
	m.enc.EndEncoding()
	m.enc.Release()
	m.cb.Commit()
	m.inflight = append(m.inflight, m.cb)
	m.open, m.encoded = false, 0
}

func (m *metalDevice) sync() error {
	m.commit()
	var first error
	for _, cb := range m.inflight {
		cb.WaitUntilCompleted()
		if err := cb.Err(); err != nil && first == nil {
			first = fmt.Errorf("metal: %w", err)
		}
		cb.Release()
	}
	m.inflight = m.inflight[:0]
	return first
}

func (m *metalDevice) close() error {
	err := m.sync()
	for _, b := range m.bufs {
		b.Release()
	}
	for _, p := range m.pipes {
		p.Release()
	}
	m.bufs, m.pipes, m.keep = nil, nil, nil
	if m.queue != (mtl.CommandQueue{}) {
		m.queue.Release()
	}
	if m.lib != (mtl.Library{}) {
		m.lib.Release()
	}
	m.dev.Release()
	return err
}
