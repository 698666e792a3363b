package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/proof-of-training/pot/verifier/hfmodel"
	"github.com/proof-of-training/pot/verifier/weights"
)

func init() {
	register(command{name: "weights", summary: "compare the tensors of a candidate model with a reference's",
		usage: "pot weights A B [--json] [--threads N] [--stop] [--top N] [--progress MODE]", help: weightsHelp, run: cmdWeights})
}

const weightsHelp = `Compares every tensor of B (the candidate) with the tensor of the same name
in A (the reference), block by block, and says what B's weights are:
  identical weights           every tensor has identical bytes
  a faithful requantization   every tensor is identical or exactly PoT's own
                              requantization of A
  another quantization        B differs from A, but every block is within
                              what quantizing the same weights can produce
                              (another tool, an importance matrix, a BF16
                              step); only a behavioural test can say more
  weights changed             a block is beyond that (the tensor and row
                              are named)
  different tensors           a tensor is missing, extra or reshaped
Metadata (tokenizer, chat template) is not compared: pot verify does that.
--json names the verdict identical, faithful, other_quantization,
different, structural or inconclusive. The exit status tells them apart:
0 identical or faithful, 1 changed or different tensors, 3 another
quantization or inconclusive (the behavioural test, pot verify, decides).
`

// weightsFormat names and versions the --json output.
const weightsFormat = "pot.weights/v2"

func cmdWeights(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("weights")
	asJSON := fs.Bool("json", false, "print the full report as JSON (format "+weightsFormat+")")
	threads := fs.Int("threads", 0, "worker threads (0: all cores); the report does not depend on it")
	stop := fs.Bool("stop", false, "stop at the first difference")
	top := fs.Int("top", 10, "how many of the worst tensors to list")
	progressMode := progressFlag(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 2:
		return usageErrorf("want two model files, A (the reference) and B (the candidate), got %d", len(pos))
	case *threads < 0 || *top < 0:
		return usageErrorf("--threads and --top must not be negative")
	}
	prog, err := newProgress(stderr, *progressMode)
	if err != nil {
		return err
	}
	a, err := hfmodel.OpenModel(pos[0])
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := hfmodel.OpenModel(pos[1])
	if err != nil {
		return err
	}
	defer b.Close()
	opt := weights.Options{Threads: *threads, StopAtFirstDifference: *stop, Progress: func(done, total int64) {
		prog.update("weights", "comparing weights", "B", false, done, total, "", nil)
	}}
	rep, err := weights.Compare(a, b, opt)
	prog.end()
	if err != nil {
		return err
	}
	if *asJSON {
		err = writeJSON(stdout, struct {
			Format string `json:"format"`
			*weights.Report
		}{weightsFormat, rep})
	} else {
		err = printWeights(stdout, rep, *top)
	}
	if err != nil {
		return outputError(err)
	}
	return exitWith(weightsStatus[rep.Verdict], nil)
}

// weightsStatus is the exit status of each verdict (exit.go).
var weightsStatus = map[weights.Verdict]int{weights.Identical: exitOK, weights.Faithful: exitOK,
	weights.Different: exitDifferent, weights.Structural: exitDifferent,
	weights.OtherQuantization: exitUndecided, weights.Inconclusive: exitUndecided}

// printWeights prints the verdict and its reason, the tensors per class
// and the worst tensors, in words.
func printWeights(w io.Writer, rep *weights.Report, top int) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "reference\t%s\ncandidate\t%s\nverdict\t%s\nwhy\t%s\n\n", rep.A, rep.B, rep.Verdict.Words(), rep.Reason)
	fmt.Fprintln(tw, "tensors")
	for c := weights.Exact; c <= weights.ShapeMismatch; c++ {
		if n := rep.Counts[c]; n > 0 {
			fmt.Fprintf(tw, "%d\t%s\n", n, c.Words())
		}
	}
	worst := worstTensors(rep, top)
	if len(worst) > 0 {
		fmt.Fprintln(tw, "\nworst tensors\tclass\treference\tcandidate\tblocks differing\tbeyond the bound\tworst/bound")
		for _, r := range worst {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Class.Words(), dash(r.TypeA), dash(r.TypeB),
				count(r.DiffBlocks, r.Blocks), beyond(r), num(r.WorstRatio))
		}
	}
	return tw.Flush()
}

// severity orders classes from worst to best for the list of worst tensors.
var severity = map[weights.Class]int{
	weights.ShapeMismatch: 0, weights.Missing: 1, weights.Extra: 2, weights.Changed: 3,
	weights.Unsupported: 4, weights.Requantized: 5, weights.ExactRequant: 6, weights.NotCompared: 7, weights.Exact: 8,
}

// worstTensors returns up to n tensors whose bytes differ from the
// reference's (or from PoT's requantization of it), worst first: by class,
// then worst ratio to the bound and differing blocks.
func worstTensors(rep *weights.Report, n int) []weights.TensorResult {
	var ts []weights.TensorResult
	for _, r := range rep.Tensors {
		exact := r.Class == weights.Exact || r.Class == weights.ExactRequant
		if (!exact || r.DiffBlocks > 0) && r.Class != weights.NotCompared {
			ts = append(ts, r)
		}
	}
	slices.SortStableFunc(ts, func(x, y weights.TensorResult) int {
		switch {
		case severity[x.Class] != severity[y.Class]:
			return severity[x.Class] - severity[y.Class]
		case x.WorstRatio != y.WorstRatio:
			return cmpDesc(x.WorstRatio, y.WorstRatio)
		default:
			return cmpDesc(float64(x.DiffBlocks), float64(y.DiffBlocks))
		}
	})
	return ts[:min(n, len(ts))]
}

func cmpDesc(x, y float64) int {
	if x > y {
		return -1
	}
	return 1
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func num(x float64) string {
	switch {
	case x == 0:
		return "-"
	case x >= math.MaxFloat64:
		return "no rounding allowed"
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

func count(k, n int64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%d of %d", k, n)
}

func beyond(r weights.TensorResult) string {
	if r.BeyondBlocks == 0 {
		return "-"
	}
	return fmt.Sprintf("%d blocks in %d %s", r.BeyondBlocks, r.BeyondRows, plural(r.BeyondRows, "row"))
}

func plural(n int64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
