package mtl

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/proof-of-training/pot/metalbridge/objc"
)

// Framework paths. CoreGraphics must be loaded too: without it
// MTLCreateSystemDefaultDevice returns nil in a process that has no window
// server connection (Ebitengine's mtl tests load it for that reason).
const (
	metalPath        = "/System/Library/Frameworks/Metal.framework/Metal"
	coreGraphicsPath = "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics"
)

// Selectors, registered once; TestRegistered checks none is 0.
var (
	sel_name                                       = objc.Sel("name")
	sel_hasUnifiedMemory                           = objc.Sel("hasUnifiedMemory")
	sel_maxBufferLength                            = objc.Sel("maxBufferLength")
	sel_recommendedMaxWorkingSetSize               = objc.Sel("recommendedMaxWorkingSetSize")
	sel_supportsFamily                             = objc.Sel("supportsFamily:")
	sel_newCommandQueue                            = objc.Sel("newCommandQueue")
	sel_newBufferWithLength_options                = objc.Sel("newBufferWithLength:options:")
	sel_newBufferWithBytes_length_options          = objc.Sel("newBufferWithBytes:length:options:")
	sel_newBufferWithBytesNoCopy_length_options_dl = objc.Sel("newBufferWithBytesNoCopy:length:options:deallocator:")
	sel_newLibraryWithSource_options_error         = objc.Sel("newLibraryWithSource:options:error:")
	sel_newFunctionWithName                        = objc.Sel("newFunctionWithName:")
	sel_newComputePipelineStateWithFunction_error  = objc.Sel("newComputePipelineStateWithFunction:error:")
	sel_maxTotalThreadsPerThreadgroup              = objc.Sel("maxTotalThreadsPerThreadgroup")
	sel_threadExecutionWidth                       = objc.Sel("threadExecutionWidth")
	sel_setFastMathEnabled                         = objc.Sel("setFastMathEnabled:")
	sel_setLanguageVersion                         = objc.Sel("setLanguageVersion:")
	sel_commandBufferWithUnretainedReferences      = objc.Sel("commandBufferWithUnretainedReferences")
	sel_computeCommandEncoder                      = objc.Sel("computeCommandEncoder")
	sel_setComputePipelineState                    = objc.Sel("setComputePipelineState:")
	sel_setBuffer_offset_atIndex                   = objc.Sel("setBuffer:offset:atIndex:")
	sel_setBytes_length_atIndex                    = objc.Sel("setBytes:length:atIndex:")
	sel_setThreadgroupMemoryLength_atIndex         = objc.Sel("setThreadgroupMemoryLength:atIndex:")
	sel_dispatchThreadgroups_threadsPerThreadgroup = objc.Sel("dispatchThreadgroups:threadsPerThreadgroup:")
	sel_endEncoding                                = objc.Sel("endEncoding")
	sel_commit                                     = objc.Sel("commit")
	sel_waitUntilCompleted                         = objc.Sel("waitUntilCompleted")
	sel_status                                     = objc.Sel("status")
	sel_error                                      = objc.Sel("error")
	sel_contents                                   = objc.Sel("contents")
	sel_length                                     = objc.Sel("length")
	sel_count                                      = objc.Sel("count")
	sel_objectAtIndex                              = objc.Sel("objectAtIndex:")
)

// Classes, looked up in init after Metal is loaded.
var class_MTLCompileOptions objc.Class

// Functions of the Metal framework, bound in init.
var (
	mtlCreateSystemDefaultDevice func() objc.ID
	mtlCopyAllDevices            func() objc.ID // NSArray, owned
)

// loadErr says why Metal could not be loaded, if it could not.
var loadErr error

func init() {
	if loadErr = objc.Ready(); loadErr != nil {
		return
	}
	if _, err := objc.Load(coreGraphicsPath); err != nil {
		loadErr = err
		return
	}
	h, err := objc.Load(metalPath)
	if err != nil {
		loadErr = err
		return
	}
	purego.RegisterLibFunc(&mtlCreateSystemDefaultDevice, h, "MTLCreateSystemDefaultDevice")
	purego.RegisterLibFunc(&mtlCopyAllDevices, h, "MTLCopyAllDevices")
	class_MTLCompileOptions = objc.GetClass("MTLCompileOptions")
}

// ErrNoDevice is returned when the system has no Metal device.
var ErrNoDevice = errors.New("mtl: no Metal device")

// Size is MTLSize: a grid or threadgroup extent.
type Size struct {
	Width, Height, Depth uint
}

// ResourceOptions is MTLResourceOptions.
type ResourceOptions uint

// Apple's values (MTLResourceStorageModeShared = MTLStorageModeShared << 4).
const (
	ResourceStorageModeShared  ResourceOptions = 0 << 4
	ResourceStorageModeManaged ResourceOptions = 1 << 4
	ResourceStorageModePrivate ResourceOptions = 2 << 4
)

// CommandBufferStatus is MTLCommandBufferStatus.
type CommandBufferStatus int

// Apple's values.
const (
	CommandBufferStatusNotEnqueued CommandBufferStatus = 0
	CommandBufferStatusEnqueued    CommandBufferStatus = 1
	CommandBufferStatusCommitted   CommandBufferStatus = 2
	CommandBufferStatusScheduled   CommandBufferStatus = 3
	CommandBufferStatusCompleted   CommandBufferStatus = 4
	CommandBufferStatusError       CommandBufferStatus = 5
)

// LanguageVersion is MTLLanguageVersion.
type LanguageVersion uint

// Apple's values: major << 16 | minor.
const (
	LanguageVersion2_4 LanguageVersion = 2<<16 | 4 // macOS 12, Go 1.26's minimum
	LanguageVersion3_0 LanguageVersion = 3 << 16
)

// Device is an MTLDevice.
type Device struct{ id objc.ID }

// CreateSystemDefaultDevice returns the default GPU, falling back to the
// first of MTLCopyAllDevices (the default can be nil in a process without a
// window server session). The caller releases it.
func CreateSystemDefaultDevice() (Device, error) {
	if loadErr != nil {
		return Device{}, fmt.Errorf("%w: %v", ErrNoDevice, loadErr)
	}
	if id := mtlCreateSystemDefaultDevice(); id != 0 {
		return Device{id}, nil
	}
	all := mtlCopyAllDevices()
	if all == 0 {
		return Device{}, ErrNoDevice
	}
	defer objc.Release(all)
	if objc.SendT[uint](all, sel_count) == 0 {
		return Device{}, ErrNoDevice
	}
	return Device{objc.Retain(all.Send(sel_objectAtIndex, uint(0)))}, nil
}

// Name is the GPU's name ("Apple M1 Max").
func (d Device) Name() string {
	var s string
	objc.WithPool(func() { s = objc.GoString(d.id.Send(sel_name)) })
	return s
}

// HasUnifiedMemory reports whether CPU and GPU share memory.
func (d Device) HasUnifiedMemory() bool { return objc.SendT[bool](d.id, sel_hasUnifiedMemory) }

// MaxBufferLength is the largest buffer the device can allocate, in bytes.
func (d Device) MaxBufferLength() int { return int(objc.SendT[uint](d.id, sel_maxBufferLength)) }

// RecommendedMaxWorkingSetSize is the memory the GPU can use without
// hurting performance, in bytes.
func (d Device) RecommendedMaxWorkingSetSize() uint64 {
	return objc.SendT[uint64](d.id, sel_recommendedMaxWorkingSetSize)
}

// SupportsFamily reports whether the GPU belongs to an MTLGPUFamily
// (Apple7 = 1007 is M1; simdgroup matrices need Apple7 or Mac2 = 2002).
func (d Device) SupportsFamily(family int) bool {
	return objc.SendT[bool](d.id, sel_supportsFamily, family)
}

// Release releases the device.
func (d Device) Release() { objc.Release(d.id) }

// NewCommandQueue returns a queue, released by the caller.
func (d Device) NewCommandQueue() CommandQueue { return CommandQueue{d.id.Send(sel_newCommandQueue)} }

// NewBufferWithLength returns a zeroed buffer of n bytes, or an error if
// the device refuses; released by the caller.
func (d Device) NewBufferWithLength(n int, opt ResourceOptions) (Buffer, error) {
	id := d.id.Send(sel_newBufferWithLength_options, uint(n), uint(opt))
	if id == 0 {
		return Buffer{}, fmt.Errorf("mtl: cannot allocate a %d-byte buffer", n)
	}
	return Buffer{id}, nil
}

// NewBufferWithBytes returns a buffer holding a copy of b; released by the
// caller.
func (d Device) NewBufferWithBytes(b []byte, opt ResourceOptions) (Buffer, error) {
	if len(b) == 0 {
		return Buffer{}, errors.New("mtl: empty buffer")
	}
	id := d.id.Send(sel_newBufferWithBytes_length_options, unsafe.Pointer(&b[0]), uint(len(b)), uint(opt))
	runtime.KeepAlive(b)
	if id == 0 {
		return Buffer{}, fmt.Errorf("mtl: cannot allocate a %d-byte buffer", len(b))
	}
	return Buffer{id}, nil
}

// NewBufferWithBytesNoCopy wraps n bytes at p, which must be page-aligned,
// with n a multiple of the page size, and stay valid (and not be moved)
// until the buffer is released: memory-mapped files and memory from
// NewBufferWithLength qualify, the Go heap does not. Released by the caller.
func (d Device) NewBufferWithBytesNoCopy(p unsafe.Pointer, n int, opt ResourceOptions) (Buffer, error) {
	id := d.id.Send(sel_newBufferWithBytesNoCopy_length_options_dl, p, uint(n), uint(opt), uintptr(0))
	if id == 0 {
		return Buffer{}, fmt.Errorf("mtl: cannot wrap %d bytes at %p without a copy", n, p)
	}
	return Buffer{id}, nil
}

// CompileOptions mirrors the MTLCompileOptions fields the bridge sets.
type CompileOptions struct {
	// FastMath allows optimizations that change results (fastMathEnabled,
	// YES by default in Metal); PoT compares GPU and CPU, so it turns it off.
	FastMath        bool
	LanguageVersion LanguageVersion // 0: the SDK default
}

// NewLibraryWithSource compiles Metal Shading Language source; a compile
// error comes back with the compiler's log. Released by the caller.
func (d Device) NewLibraryWithSource(src string, opt CompileOptions) (Library, error) {
	var lib objc.ID
	var err error
	objc.WithPool(func() {
		o := objc.New(class_MTLCompileOptions)
		defer objc.Release(o)
		o.Send(sel_setFastMathEnabled, opt.FastMath)
		if opt.LanguageVersion != 0 {
			o.Send(sel_setLanguageVersion, uint(opt.LanguageVersion))
		}
		var nsErr objc.ID
		lib = d.id.Send(sel_newLibraryWithSource_options_error, objc.String(src), o, unsafe.Pointer(&nsErr))
		if lib == 0 {
			err = fmt.Errorf("mtl: compiling the library: %w", objc.Error(nsErr))
		}
	})
	if err != nil {
		return Library{}, err
	}
	return Library{lib}, nil
}

// NewComputePipelineState builds the pipeline of a kernel function.
// Released by the caller.
func (d Device) NewComputePipelineState(f Function) (ComputePipelineState, error) {
	var p objc.ID
	var err error
	objc.WithPool(func() {
		var nsErr objc.ID
		p = d.id.Send(sel_newComputePipelineStateWithFunction_error, f.id, unsafe.Pointer(&nsErr))
		if p == 0 {
			err = fmt.Errorf("mtl: compute pipeline: %w", objc.Error(nsErr))
		}
	})
	return ComputePipelineState{p}, err
}

// Library is an MTLLibrary.
type Library struct{ id objc.ID }

// NewFunctionWithName returns the named function, released by the caller.
func (l Library) NewFunctionWithName(name string) (Function, error) {
	var f objc.ID
	objc.WithPool(func() { f = l.id.Send(sel_newFunctionWithName, objc.String(name)) })
	if f == 0 {
		return Function{}, fmt.Errorf("mtl: no function %q in the library", name)
	}
	return Function{f}, nil
}

// Release releases the library.
func (l Library) Release() { objc.Release(l.id) }

// Function is an MTLFunction.
type Function struct{ id objc.ID }

// Release releases the function.
func (f Function) Release() { objc.Release(f.id) }

// ComputePipelineState is an MTLComputePipelineState.
type ComputePipelineState struct{ id objc.ID }

// MaxTotalThreadsPerThreadgroup is the largest threadgroup the pipeline
// can run (it depends on the kernel's register use).
func (p ComputePipelineState) MaxTotalThreadsPerThreadgroup() int {
	return int(objc.SendT[uint](p.id, sel_maxTotalThreadsPerThreadgroup))
}

// ThreadExecutionWidth is the SIMD width (32 on Apple GPUs).
func (p ComputePipelineState) ThreadExecutionWidth() int {
	return int(objc.SendT[uint](p.id, sel_threadExecutionWidth))
}

// Release releases the pipeline.
func (p ComputePipelineState) Release() { objc.Release(p.id) }

// CommandQueue is an MTLCommandQueue.
type CommandQueue struct{ id objc.ID }

// CommandBuffer returns a new command buffer that does not retain the
// resources it uses (the caller keeps them alive until it completes).
// Autoreleased: call inside objc.WithPool and Retain to keep it.
func (q CommandQueue) CommandBuffer() CommandBuffer {
	return CommandBuffer{q.id.Send(sel_commandBufferWithUnretainedReferences)}
}

// Release releases the queue.
func (q CommandQueue) Release() { objc.Release(q.id) }

// CommandBuffer is an MTLCommandBuffer.
type CommandBuffer struct{ id objc.ID }

// Retain keeps an autoreleased command buffer past its pool.
func (c CommandBuffer) Retain() CommandBuffer { return CommandBuffer{objc.Retain(c.id)} }

// Release releases the command buffer.
func (c CommandBuffer) Release() { objc.Release(c.id) }

// ComputeCommandEncoder returns an encoder (serial dispatch: each dispatch
// sees the previous one's writes). Autoreleased, like CommandBuffer.
func (c CommandBuffer) ComputeCommandEncoder() ComputeCommandEncoder {
	return ComputeCommandEncoder{c.id.Send(sel_computeCommandEncoder)}
}

// Commit sends the buffer to the GPU.
func (c CommandBuffer) Commit() { c.id.Send(sel_commit) }

// WaitUntilCompleted blocks until the GPU has run the buffer.
func (c CommandBuffer) WaitUntilCompleted() { c.id.Send(sel_waitUntilCompleted) }

// Status is the buffer's state.
func (c CommandBuffer) Status() CommandBufferStatus {
	return CommandBufferStatus(objc.SendT[int](c.id, sel_status))
}

// Err returns the buffer's execution error, nil unless Status is
// CommandBufferStatusError.
func (c CommandBuffer) Err() error {
	if c.Status() != CommandBufferStatusError {
		return nil
	}
	var err error
	objc.WithPool(func() { err = objc.Error(c.id.Send(sel_error)) })
	if err == nil {
		err = errors.New("mtl: command buffer failed")
	}
	return err
}

// ComputeCommandEncoder is an MTLComputeCommandEncoder.
type ComputeCommandEncoder struct{ id objc.ID }

// Retain keeps an autoreleased encoder past its pool.
func (e ComputeCommandEncoder) Retain() ComputeCommandEncoder {
	return ComputeCommandEncoder{objc.Retain(e.id)}
}

// Release releases the encoder.
func (e ComputeCommandEncoder) Release() { objc.Release(e.id) }

// SetComputePipelineState selects the kernel of the next dispatches.
func (e ComputeCommandEncoder) SetComputePipelineState(p ComputePipelineState) {
	e.id.Send(sel_setComputePipelineState, p.id)
}

// SetBuffer binds buf at offset as argument index.
func (e ComputeCommandEncoder) SetBuffer(buf Buffer, offset, index int) {
	e.id.Send(sel_setBuffer_offset_atIndex, buf.id, uint(offset), uint(index))
}

// SetBytes copies b into the command stream as argument index (≤ 4 KB).
func (e ComputeCommandEncoder) SetBytes(b []byte, index int) {
	e.id.Send(sel_setBytes_length_atIndex, unsafe.Pointer(&b[0]), uint(len(b)), uint(index))
	runtime.KeepAlive(b)
}

// SetThreadgroupMemoryLength gives [[threadgroup(index)]] n bytes (a
// multiple of 16).
func (e ComputeCommandEncoder) SetThreadgroupMemoryLength(n, index int) {
	e.id.Send(sel_setThreadgroupMemoryLength_atIndex, uint(n), uint(index))
}

// DispatchThreadgroups launches groups threadgroups of threads threads.
func (e ComputeCommandEncoder) DispatchThreadgroups(groups, threads Size) {
	e.id.Send(sel_dispatchThreadgroups_threadsPerThreadgroup, groups, threads)
}

// EndEncoding finishes the encoder.
func (e ComputeCommandEncoder) EndEncoding() { e.id.Send(sel_endEncoding) }

// Buffer is an MTLBuffer.
type Buffer struct{ id objc.ID }

// Contents is the buffer's CPU address (shared storage).
func (b Buffer) Contents() unsafe.Pointer { return objc.SendT[unsafe.Pointer](b.id, sel_contents) }

// Length is the buffer's size in bytes.
func (b Buffer) Length() int { return int(objc.SendT[uint](b.id, sel_length)) }

// Release releases the buffer.
func (b Buffer) Release() { objc.Release(b.id) }
