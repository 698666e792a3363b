package mtl

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"github.com/proof-of-training/pot/metalbridge/objc"
)

// TestRegistered checks that every selector and class was registered (on
// a Mac; darwin files only).
func TestRegistered(t *testing.T) {
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	sels := []uintptr{uintptr(sel_name), uintptr(sel_hasUnifiedMemory), uintptr(sel_maxBufferLength),
		uintptr(sel_recommendedMaxWorkingSetSize), uintptr(sel_supportsFamily), uintptr(sel_newCommandQueue),
		uintptr(sel_newBufferWithLength_options), uintptr(sel_newBufferWithBytes_length_options),
		uintptr(sel_newBufferWithBytesNoCopy_length_options_dl), uintptr(sel_newLibraryWithSource_options_error),
		uintptr(sel_newFunctionWithName), uintptr(sel_newComputePipelineStateWithFunction_error),
		uintptr(sel_maxTotalThreadsPerThreadgroup), uintptr(sel_threadExecutionWidth), uintptr(sel_setFastMathEnabled),
		uintptr(sel_setLanguageVersion), uintptr(sel_commandBufferWithUnretainedReferences), uintptr(sel_computeCommandEncoder),
		uintptr(sel_setComputePipelineState), uintptr(sel_setBuffer_offset_atIndex), uintptr(sel_setBytes_length_atIndex),
		uintptr(sel_setThreadgroupMemoryLength_atIndex), uintptr(sel_dispatchThreadgroups_threadsPerThreadgroup),
		uintptr(sel_endEncoding), uintptr(sel_commit), uintptr(sel_waitUntilCompleted), uintptr(sel_status),
		uintptr(sel_error), uintptr(sel_contents), uintptr(sel_length), uintptr(sel_count), uintptr(sel_objectAtIndex),
		uintptr(class_MTLCompileOptions)}
	for i, s := range sels {
		if s == 0 {
			t.Errorf("selector/class %d is 0", i)
		}
	}
	if mtlCreateSystemDefaultDevice == nil || mtlCopyAllDevices == nil {
		t.Error("Metal functions not bound")
	}
}

// TestAddKernel compiles a one-line kernel, runs it over a no-copy buffer
// on a memory-mapped file and checks the result: the whole path from source
// to completion.
func TestAddKernel(t *testing.T) {
	d, err := CreateSystemDefaultDevice()
	if err != nil {
		t.Skipf("no Metal device: %v", err)
	}
	defer d.Release()
	t.Logf("device %q, unified memory %v", d.Name(), d.HasUnifiedMemory())
	lib, err := d.NewLibraryWithSource(`#include <metal_stdlib>
kernel void twice(device float * x [[buffer(0)]], uint i [[thread_position_in_grid]]) { x[i] *= 2; }`, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Release()
	if _, err := lib.NewFunctionWithName("nope"); err == nil {
		t.Error("a missing function was found")
	}
	if _, err := d.NewLibraryWithSource("kernel void broken(", CompileOptions{}); err == nil {
		t.Error("broken source compiled")
	}
	f, err := lib.NewFunctionWithName("twice")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	p, err := d.NewComputePipelineState(f)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	// A memory-mapped file, as the model's weights are.
	page := os.Getpagesize()
	file, err := os.Create(filepath.Join(t.TempDir(), "x"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if err := file.Truncate(int64(page)); err != nil {
		t.Fatal(err)
	}
	mem, err := syscall.Mmap(int(file.Fd()), 0, page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	x := unsafe.Slice((*float32)(unsafe.Pointer(&mem[0])), 64)
	for i := range x {
		x[i] = float32(i)
	}
	buf, err := d.NewBufferWithBytesNoCopy(unsafe.Pointer(&mem[0]), page, ResourceStorageModeShared)
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Release()
	if buf.Contents() != unsafe.Pointer(&mem[0]) || buf.Length() != page {
		t.Errorf("no-copy buffer at %p (%d bytes), mapping at %p", buf.Contents(), buf.Length(), &mem[0])
	}
	q := d.NewCommandQueue()
	defer q.Release()
	var cb CommandBuffer
	objc.WithPool(func() {
		cb = q.CommandBuffer().Retain()
		e := cb.ComputeCommandEncoder()
		e.SetComputePipelineState(p)
		e.SetBuffer(buf, 0, 0)
		e.DispatchThreadgroups(Size{2, 1, 1}, Size{32, 1, 1})
		e.EndEncoding()
	})
	defer cb.Release()
	cb.Commit()
	cb.WaitUntilCompleted()
	if err := cb.Err(); err != nil {
		t.Fatal(err)
	}
	for i, v := range x {
		if v != float32(2*i) {
			t.Fatalf("x[%d] = %v", i, v)
		}
	}
}
