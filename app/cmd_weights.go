package main

import (
	"fmt"
	"io"
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
in A (the reference) and prints a verdict:
  IDENTICAL     every tensor has identical bytes
  FAITHFUL      every tensor is identical or exactly PoT's requantization of A
  DIFFERENT     a tensor is missing, extra, reshaped or changed (named)
  INCONCLUSIVE  differences of the size quantization causes; the
                behavioural test (pot verify) must decide
Metadata (tokenizer, chat template) is not compared: pot verify does that.
The exit status tells the verdicts apart: 0 IDENTICAL or FAITHFUL,
1 DIFFERENT, 3 INCONCLUSIVE (see below).
`

// weightsFormat names and versions the --json output.
const weightsFormat = "pot.weights/v1"

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
	weights.Different: exitDifferent, weights.Inconclusive: exitUndecided}

// classWords are the tensor classes as people read them; --json keeps the
// precise names.
var classWords = map[weights.Class]string{
	weights.Exact:                      "identical",
	weights.ExactRequant:               "exact requantization",
	weights.ConsistentWithQuantization: "within quantization error",
	weights.Unexplained:                "larger than quantization error",
	weights.Unsupported:                "type not supported",
	weights.NotCompared:                "not compared (stopped early)",
	weights.Changed:                    "changed",
	weights.Missing:                    "missing from B",
	weights.Extra:                      "only in B",
	weights.ShapeMismatch:              "different shape",
}

// printWeights prints the verdict, the count per class and the worst
// tensors as tables.
func printWeights(w io.Writer, rep *weights.Report, top int) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "A\t%s\nB\t%s\nverdict\t%s\nreason\t%s\n\n", rep.A, rep.B, rep.Verdict, rep.Reason)
	fmt.Fprintln(tw, "tensors\t")
	for c := weights.Exact; c <= weights.ShapeMismatch; c++ {
		if n := rep.Counts[c]; n > 0 {
			fmt.Fprintf(tw, "  %s\t%d\n", classWords[c], n)
		}
	}
	worst := worstTensors(rep, top)
	if len(worst) > 0 {
		fmt.Fprintln(tw, "\nworst tensors\tfound\ttype in A\tin B\trelative error\texpected\tratio\tblocks that differ")
		for _, r := range worst {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, classWords[r.Class], dash(r.TypeA), dash(r.TypeB),
				num(r.RelErr), num(r.ExpectedErr), num(r.Ratio), blocks(r))
		}
	}
	return tw.Flush()
}

// severity orders classes from worst to best for the list of worst tensors.
var severity = map[weights.Class]int{
	weights.ShapeMismatch: 0, weights.Missing: 1, weights.Extra: 2, weights.Changed: 3,
	weights.Unexplained: 4, weights.Unsupported: 5, weights.ConsistentWithQuantization: 6,
	weights.ExactRequant: 7, weights.NotCompared: 8, weights.Exact: 9,
}

// worstTensors returns up to n tensors that are not Exact, worst first:
// by class, then ratio, relative error and differing blocks.
func worstTensors(rep *weights.Report, n int) []weights.TensorResult {
	var ts []weights.TensorResult
	for _, r := range rep.Tensors {
		if r.Class != weights.Exact && r.Class != weights.NotCompared {
			ts = append(ts, r)
		}
	}
	slices.SortStableFunc(ts, func(x, y weights.TensorResult) int {
		switch {
		case severity[x.Class] != severity[y.Class]:
			return severity[x.Class] - severity[y.Class]
		case x.Ratio != y.Ratio:
			return cmpDesc(x.Ratio, y.Ratio)
		case x.RelErr != y.RelErr:
			return cmpDesc(x.RelErr, y.RelErr)
		default:
			return cmpDesc(x.DiffFraction, y.DiffFraction)
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
	if x == 0 {
		return "-"
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

func blocks(r weights.TensorResult) string {
	if r.Blocks == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d", r.DiffBlocks, r.Blocks)
}
