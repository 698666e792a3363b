//go:build !noasm

package matmul

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/proof-of-training/pot/verifier/quant"
)

// TestEveryAMD64Kernel runs each integer kernel this CPU can execute (AVX2,
// and AVX512-VNNI when present) against the pure-Go twin, whichever one
// init dispatched to, for every quantized type.
func TestEveryAMD64Kernel(t *testing.T) {
	kernels := map[string]func(*i8Tile){}
	if useAVX2 {
		kernels["avx2"] = tileI8AVX2
	}
	if useVNNI {
		kernels["vnni"] = tileI8VNNI
	}
	if len(kernels) == 0 {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(51, 52))
	for name, k := range kernels {
		for _, typ := range allTypes {
			if typ == quant.F32 || typ == quant.F16 || typ == quant.BF16 {
				continue
			}
			cols := 512
			t.Run(fmt.Sprintf("%s/%s", name, typ), func(t *testing.T) {
				old := tileI8
				tileI8 = k
				defer func() { tileI8 = old }()
				w := randomMatrix(t, rng, typ, 5, cols)
				compareAsmGeneric(t, w, randomX(rng, 19*cols), 19)
			})
		}
	}
}
