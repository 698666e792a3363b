package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/model"
)

func init() {
	register(command{name: "bench", summary: "measure teacher-forced prefill speed and peak memory, normal and streaming",
		usage: "pot bench FILE [--batch B] [--seq L] [--scored K] [--streaming both|auto|on|off] [--json]\n" +
			"or: pot bench verify CANDIDATE (--ref MODEL | --fingerprint FP) [--mode M] [--floor-cache] [--json]", run: cmdBench})
}

// benchParams are the workload of one benchmark.
type benchParams struct {
	Batch   int    `json:"batch"`  // sequences per Score call
	Seq     int    `json:"seq"`    // tokens per sequence
	Scored  int    `json:"scored"` // scored positions per sequence (the last ones)
	TopK    int    `json:"top_k"`
	Threads int    `json:"threads"`
	Backend string `json:"backend_asked"` // --backend: cpu, metal or auto
	Reps    int    `json:"reps"`
	Seed    uint64 `json:"seed"`
}

// benchRun is the measurement of one mode, made in a process of its own so
// that its peak RSS is its own.
type benchRun struct {
	Mode        string  `json:"mode"` // streaming mode asked for
	Streaming   bool    `json:"streaming"`
	LoadSeconds float64 `json:"load_seconds"`
	Seconds     float64 `json:"seconds"`     // wall time of the best Score call of Reps, after one warm-up
	CPUSeconds  float64 `json:"cpu_seconds"` // process CPU time (user+system) during that call
	TokensPerS  float64 `json:"tokens_per_s"`
	GFLOPPerS   float64 `json:"gflop_per_s"`
	// GFLOPPerCPUS is GFLOP per CPU-second: throughput per core busy, a
	// figure that stays meaningful on a machine shared with other work.
	GFLOPPerCPUS float64 `json:"gflop_per_cpu_s"`
	PeakRSS      int64   `json:"peak_rss_bytes"` // getrusage ru_maxrss of the process
}

// benchFormat names and versions the --json output.
const benchFormat = "pot.bench/v1"

// benchReport is what `pot bench --json` prints.
type benchReport struct {
	Format    string      `json:"format"`
	Model     string      `json:"model"`
	FileBytes int64       `json:"file_bytes"`
	Arch      string      `json:"arch"`
	Backend   string      `json:"backend"`
	SelfTest  string      `json:"self_test,omitempty"`    // the GPU backend's start-up self-test
	Note      string      `json:"backend_note,omitempty"` // why auto fell back to cpu
	Params    benchParams `json:"params"`
	GFLOP     float64     `json:"gflop_per_call"`
	Runs      []benchRun  `json:"runs"`
}

// cmdBench: pot bench FILE [--batch B --seq L --scored K --threads N
// --streaming both|auto|on|off --reps R --seed S --backend cpu|metal|auto] [--json]
//
// With --streaming both (the default) it runs itself once per mode (off,
// then on) so each peak RSS is measured alone.
func cmdBench(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "verify" {
		return cmdBenchVerify(args[1:], stdout, stderr)
	}
	fs := newFlags("bench")
	var p benchParams
	fs.IntVar(&p.Batch, "batch", 4, "sequences per Score call")
	fs.IntVar(&p.Seq, "seq", 128, "tokens per sequence")
	fs.IntVar(&p.Scored, "scored", 16, "scored positions per sequence")
	fs.IntVar(&p.TopK, "topk", 16, "top-k ids per scored position")
	fs.IntVar(&p.Threads, "threads", 0, "CPU threads (0: one per CPU)")
	fs.StringVar(&p.Backend, "backend", "auto", "cpu, metal (macOS GPU) or auto")
	fs.IntVar(&p.Reps, "reps", 3, "timed Score calls (the best is reported)")
	fs.Uint64Var(&p.Seed, "seed", 1, "seed of the random token ids")
	mode := fs.String("streaming", "both", "both (each in a child process), auto, on or off")
	asJSON := fs.Bool("json", false, "print JSON")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the timed calls to this file (single mode only)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("want one model file, got %d arguments", len(pos))
	}
	if p.Batch < 1 || p.Seq < 1 || p.Scored < 1 || p.Scored > p.Seq || p.Reps < 1 || p.TopK < 0 {
		return usageErrorf("need batch, seq, reps ≥ 1 and 1 ≤ scored ≤ seq")
	}
	if p.Threads <= 0 {
		p.Threads = runtime.NumCPU()
	}
	var rep *benchReport
	if *mode == "both" {
		rep, err = benchChildren(pos[0], p, stderr)
	} else {
		var m engine.Streaming
		if m, err = engine.ParseStreaming(*mode); err != nil {
			return usageErrorf("%v", err)
		}
		rep, err = benchOne(pos[0], p, m, *profile)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, rep)
	}
	printBench(stdout, rep)
	return nil
}

// benchChildren re-executes pot for each mode and merges the reports.
func benchChildren(path string, p benchParams, stderr io.Writer) (*benchReport, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench: cannot re-execute itself: %w", err)
	}
	var rep *benchReport
	for _, mode := range []string{"off", "on"} {
		args := []string{"bench", path, "--json", "--streaming", mode,
			"--batch", strconv.Itoa(p.Batch), "--seq", strconv.Itoa(p.Seq), "--scored", strconv.Itoa(p.Scored),
			"--topk", strconv.Itoa(p.TopK), "--threads", strconv.Itoa(p.Threads), "--reps", strconv.Itoa(p.Reps),
			"--seed", strconv.FormatUint(p.Seed, 10), "--backend", p.Backend}
		var out bytes.Buffer
		cmd := exec.Command(exe, args...)
		cmd.Stdout, cmd.Stderr = &out, stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("bench: streaming %s: %w", mode, err)
		}
		var r benchReport
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("bench: streaming %s: child output: %w", mode, err)
		}
		if rep == nil {
			rep = &r
		} else {
			rep.Runs = append(rep.Runs, r.Runs...)
		}
	}
	return rep, nil
}

// benchOne measures one mode in this process.
func benchOne(path string, p benchParams, mode engine.Streaming, profile string) (*benchReport, error) {
	t0 := time.Now()
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	be, selfTest, note, err := openBackend(p.Backend, p.Threads)
	if err != nil {
		return nil, err
	}
	defer be.Close()
	s, err := engine.Load(f, engine.Options{Threads: p.Threads, Streaming: mode, MaxBatchTokens: max(engine.DefaultMaxBatchTokens, p.Seq), Backend: be})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	load := time.Since(t0)
	c := s.Config()
	if p.Seq > c.ContextLength {
		return nil, usageErrorf("--seq %d exceeds the context length %d", p.Seq, c.ContextLength)
	}
	reqs := benchRequests(c, p)
	if _, err := s.Score(reqs, p.TopK); err != nil { // warm-up: page in the weights
		return nil, err
	}
	if profile != "" {
		pf, err := os.Create(profile)
		if err != nil {
			return nil, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	best, bestCPU := time.Duration(1<<63-1), time.Duration(0)
	for range p.Reps {
		t, c := time.Now(), cpuTime()
		if _, err := s.Score(reqs, p.TopK); err != nil {
			return nil, err
		}
		if d := time.Since(t); d < best {
			best, bestCPU = d, cpuTime()-c
		}
	}
	gflop := forwardFLOPs(c, p) / 1e9
	sec := best.Seconds()
	return &benchReport{Format: benchFormat,
		Model: filepath.Base(path), FileBytes: f.Size(), Arch: string(c.Arch), Backend: s.Backend(), SelfTest: selfTest, Note: note,
		Params: p, GFLOP: gflop,
		Runs: []benchRun{{
			Mode: mode.String(), Streaming: s.Streaming(), LoadSeconds: load.Seconds(), Seconds: sec, CPUSeconds: bestCPU.Seconds(),
			TokensPerS: float64(p.Batch*p.Seq) / sec, GFLOPPerS: gflop / sec, GFLOPPerCPUS: gflop / bestCPU.Seconds(), PeakRSS: peakRSS(),
		}},
	}, nil
}

// benchRequests draws Batch sequences of Seq uniform random token ids from
// the seed, each scored at its last Scored positions.
func benchRequests(c model.Config, p benchParams) []engine.Request {
	rng := rand.New(rand.NewPCG(p.Seed, 0x706f74))
	reqs := make([]engine.Request, p.Batch)
	for i := range reqs {
		toks := make([]int32, p.Seq)
		for j := range toks {
			toks[j] = int32(rng.IntN(c.Vocab))
		}
		pos := make([]int, p.Scored)
		for j := range pos {
			pos[j] = p.Seq - p.Scored + j
		}
		reqs[i] = engine.Request{Tokens: toks, Positions: pos}
	}
	return reqs
}

// forwardFLOPs counts the multiply-adds (×2) of one Score call: the layer
// matrices for every token, attention (q·k and p·v over the causal prefix),
// and the output projection at the scored rows only.
func forwardFLOPs(c model.Config, p benchParams) float64 {
	E, Q, KV, F := float64(c.Embed), float64(c.QDim()), float64(c.KVDim()), float64(c.FFN)
	L, layers := float64(p.Seq), float64(c.Layers)
	perToken := 2 * (E*Q + 2*E*KV + Q*E + 3*E*F)
	attn := 2 * L * (L + 1) * Q // Σ_{pos<L} 4·(pos+1)·Q
	seq := layers*(L*perToken+attn) + float64(p.Scored)*2*float64(c.Vocab)*E
	return float64(p.Batch) * seq
}

func printBench(w io.Writer, r *benchReport) {
	p := r.Params
	fmt.Fprintf(w, "%s: %s, %.1f MiB, backend %s, %d threads\n", r.Model, r.Arch, float64(r.FileBytes)/(1<<20), r.Backend, p.Threads)
	fmt.Fprintf(w, "%d sequences × %d tokens, %d scored each (top-%d), best of %d, %.2f GFLOP per call\n",
		p.Batch, p.Seq, p.Scored, p.TopK, p.Reps, r.GFLOP)
	if r.SelfTest != "" {
		fmt.Fprintf(w, "GPU self-test against the cpu backend: %s\n", r.SelfTest)
	}
	if r.Note != "" {
		fmt.Fprintln(w, r.Note)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tstreaming\tload s\tcall s\tCPU s\tprefill tok/s\tGFLOP/s\tGFLOP/CPU-s\tpeak RSS MiB\tRSS/file\t")
	for _, x := range r.Runs {
		fmt.Fprintf(tw, "%s\t%v\t%.3f\t%.3f\t%.3f\t%.1f\t%.2f\t%.2f\t%.1f\t%.2f\t\n", x.Mode, x.Streaming, x.LoadSeconds, x.Seconds, x.CPUSeconds,
			x.TokensPerS, x.GFLOPPerS, x.GFLOPPerCPUS, float64(x.PeakRSS)/(1<<20), float64(x.PeakRSS)/float64(r.FileBytes))
	}
	tw.Flush()
}
