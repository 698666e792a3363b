package job

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/identity"
)

// computeKeys are the hyper-parameters the forward pass reads (suffixes of
// "<arch>."): a difference changes the computation, so it is structural.
// Other non-cosmetic keys (context_length, file_type, …) are reported only.
var computeKeys = []string{
	".embedding_length", ".block_count", ".feed_forward_length", ".attention.head_count",
	".attention.head_count_kv", ".attention.layer_norm_rms_epsilon", ".rope.freq_base",
	".rope.dimension_count", ".rope.scaling.type", ".rope.scaling.factor", ".vocab_size",
	".attention.key_length", ".attention.value_length", ".rope.freq_scale",
}

// structural is the outcome of the identity layers (hashes and metadata).
type structural struct {
	checks []cert.Check
	// verdict is Identical or Different when these layers decide, "" when
	// the run must go on.
	verdict cert.Verdict
	reason  string
}

func (s *structural) add(name string, r cert.CheckResult, detail string) {
	s.checks = append(s.checks, cert.Check{Name: name, Result: r, Detail: detail})
}

func (s *structural) fail(name, detail string) {
	s.add(name, cert.Fail, detail)
	if s.verdict == "" {
		s.verdict, s.reason = cert.Different, detail
	}
}

// compareIdentity runs the hash and metadata layers on two identities
// computed with per-tensor digests, turning identity.Diff's differences
// into named checks.
func compareIdentity(cand, ref *identity.Identity) structural {
	var s structural
	by := map[identity.Kind][]identity.Difference{}
	for _, d := range identity.Diff(ref, cand) {
		by[d.Kind] = append(by[d.Kind], d)
	}
	names := func(kinds ...identity.Kind) []string {
		var ns []string
		for _, k := range kinds {
			for _, d := range by[k] {
				if d.Name != "" {
					ns = append(ns, d.Name)
				}
			}
		}
		sort.Strings(ns)
		return ns
	}
	if d := by[identity.KindScheme]; len(d) > 0 {
		s.fail("identity", fmt.Sprintf("identity scheme %s, the reference's is %s", d[0].B, d[0].A))
		return s
	}
	if len(by[identity.KindFile]) == 0 {
		s.add("file-hash", cert.Pass, "the files are byte-identical (sha256 "+ref.FileSHA256+")")
	} else {
		s.add("file-hash", cert.Differs, "the files differ")
	}

	if cand.Architecture != ref.Architecture {
		s.fail("architecture", fmt.Sprintf("architecture %q, the reference is %q", cand.Architecture, ref.Architecture))
	} else {
		s.add("architecture", cert.Pass, cand.Architecture)
	}

	// Tensor names and shapes.
	var missing, extra, reshaped []string
	for _, d := range by[identity.KindTensorSet] {
		if d.B == identity.Absent {
			missing = append(missing, d.Name)
		} else {
			extra = append(extra, d.Name)
		}
	}
	for _, d := range by[identity.KindShape] {
		reshaped = append(reshaped, fmt.Sprintf("%s %s (reference %s)", d.Name, d.B, d.A))
	}
	if len(missing)+len(extra)+len(reshaped) > 0 {
		sort.Strings(missing)
		sort.Strings(extra)
		sort.Strings(reshaped)
		var parts []string
		for _, g := range []struct {
			what  string
			names []string
		}{{"missing", missing}, {"extra", extra}, {"reshaped", reshaped}} {
			if len(g.names) > 0 {
				parts = append(parts, g.what+" "+list(g.names))
			}
		}
		s.fail("shapes", "tensors differ: "+strings.Join(parts, "; "))
	} else {
		s.add("shapes", cert.Pass, fmt.Sprintf("%d tensors with the reference's names and shapes", len(ref.Tensors)))
	}

	if len(by[identity.KindTokenizer]) > 0 {
		s.fail("tokenizer", "the tokenizer differs from the reference's ("+list(names(identity.KindTokenizer))+")")
	} else {
		s.add("tokenizer", cert.Pass, "tokenizer sha256 "+ref.TokenizerSHA256)
	}
	if len(by[identity.KindChatTemplate]) > 0 {
		s.fail("chat-template", fmt.Sprintf("the chat template differs from the reference's (%s, reference %s)",
			orAbsent(cand.ChatTemplateSHA256), orAbsent(ref.ChatTemplateSHA256)))
	} else {
		s.add("chat-template", cert.Pass, "chat template "+orAbsent(ref.ChatTemplateSHA256))
	}

	// Hyper-parameters and other metadata.
	var hyper, other []string
	for _, k := range names(identity.KindMetadata) {
		if isComputeKey(k, ref.Architecture) {
			hyper = append(hyper, k)
		} else {
			other = append(other, k)
		}
	}
	cosmetic := names(identity.KindCosmetic)
	if len(hyper) > 0 {
		s.fail("hyper-parameters", "hyper-parameters differ: "+list(hyper))
	} else {
		s.add("hyper-parameters", cert.Pass, "the hyper-parameters match")
	}
	if len(other) > 0 {
		s.add("metadata", cert.Differs, "other metadata differs (no effect on the computation): "+list(other))
	}
	if len(cosmetic) > 0 {
		s.add("cosmetic-metadata", cert.Differs, "cosmetic metadata differs: "+list(cosmetic))
	}

	// Tensor data, and the real per-tensor types.
	s.add("quant-types", cert.Pass, "candidate "+histogram(cand)+"; reference "+histogram(ref))
	changed := names(identity.KindType, identity.KindTensorData)
	if len(changed)+len(missing)+len(extra)+len(by[identity.KindTensorData]) == 0 {
		s.add("tensor-hash", cert.Pass, fmt.Sprintf("all %d tensors are byte-identical to the reference's", len(ref.Tensors)))
		if s.verdict == "" {
			s.verdict = cert.Identical
			s.reason = "the tensor data is byte-identical to the reference's"
			if len(cosmetic)+len(other) > 0 {
				s.reason += "; metadata differs only in " + list(append(cosmetic, other...))
			}
		}
	} else if len(changed) == 0 {
		s.add("tensor-hash", cert.Differs, fmt.Sprintf("every tensor with the reference's name and shape is byte-identical; %d are missing, %d extra and %d reshaped (see shapes)",
			len(missing), len(extra), len(reshaped)))
	} else {
		s.add("tensor-hash", cert.Differs, fmt.Sprintf("%d of %d tensors differ, e.g. %s", len(changed), len(ref.Tensors), list(changed)))
	}
	return s
}

func isComputeKey(k, arch string) bool {
	if k == "general.architecture" {
		return true
	}
	for _, s := range computeKeys {
		if k == arch+s {
			return true
		}
	}
	return false
}

func histogram(id *identity.Identity) string {
	var parts []string
	for _, t := range slices.Sorted(maps.Keys(id.Quant)) {
		parts = append(parts, fmt.Sprintf("%s×%d", t, id.Quant[t].Tensors))
	}
	return strings.Join(parts, " ")
}

func orAbsent(d string) string {
	if d == "" {
		return "absent"
	}
	return "sha256 " + d
}

// list joins names for a message, eliding after a few.
func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	const show = 5
	if len(names) > show {
		return strings.Join(names[:show], ", ") + fmt.Sprintf(" and %d more", len(names)-show)
	}
	return strings.Join(names, ", ")
}
