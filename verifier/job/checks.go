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
	// Metadata keys by their effect (identity.KeyEffect).
	var compute, layout, unknown, templates []string
	for _, d := range by[identity.KindMetadata] {
		if d.Name == "" { // identities without key lists: the digest differs, the keys are not known
			unknown = append(unknown, "(unnamed keys: the metadata digest differs)")
			continue
		}
		switch identity.KeyEffect(ref.Architecture, d.Name) {
		case identity.EffectCompute:
			compute = append(compute, d.Name)
		case identity.EffectTokenizer:
			templates = append(templates, d.Name)
		case identity.EffectLayout, identity.EffectCosmetic:
			layout = append(layout, d.Name)
		default:
			unknown = append(unknown, d.Name)
		}
	}
	sort.Strings(compute)
	sort.Strings(layout)
	sort.Strings(unknown)
	sort.Strings(templates)

	if len(templates) > 0 {
		s.fail("chat-template", "the named chat templates differ from the reference's ("+list(templates)+")")
	} else if len(by[identity.KindChatTemplate]) > 0 {
		s.fail("chat-template", fmt.Sprintf("the chat template differs from the reference's (%s, reference %s)",
			orAbsent(cand.ChatTemplateSHA256), orAbsent(ref.ChatTemplateSHA256)))
	} else {
		s.add("chat-template", cert.Pass, "chat template "+orAbsent(ref.ChatTemplateSHA256))
	}

	cosmetic := names(identity.KindCosmetic)
	if len(compute) > 0 {
		s.fail("hyper-parameters", "hyper-parameters that llama.cpp reads differ, so the model computes differently: "+list(compute))
	} else {
		s.add("hyper-parameters", cert.Pass, "the hyper-parameters match")
	}
	if len(layout) > 0 {
		s.add("metadata", cert.Differs, "storage metadata differs (no effect on the computation: the tensors are compared directly): "+list(layout))
	}
	if len(unknown) > 0 {
		s.add("unknown-metadata", cert.Differs, fmt.Sprintf("metadata of unknown effect differs: %s. PoT does not know what "+
			"these keys do: llama.cpp does not read them for %s, but other software might", list(unknown), orNone(ref.Architecture)))
	}
	if len(cosmetic) > 0 {
		s.add("cosmetic-metadata", cert.Differs, "cosmetic metadata differs: "+list(cosmetic))
	}

	// Tensor data, and the real per-tensor types.
	s.add("quant-types", cert.Pass, "candidate "+histogram(cand)+"; reference "+histogram(ref))
	changed := names(identity.KindType, identity.KindTensorData)
	if len(changed)+len(missing)+len(extra)+len(by[identity.KindTensorData]) == 0 {
		s.add("tensor-hash", cert.Pass, fmt.Sprintf("all %d tensors are byte-identical to the reference's", len(ref.Tensors)))
		switch {
		case s.verdict != "":
		case len(unknown) > 0:
			// Never IDENTICAL past a difference PoT cannot judge.
			s.verdict = cert.Same
			s.reason = "the tensor data is byte-identical to the reference's, but metadata keys of unknown effect differ (" +
				list(unknown) + "): SAME, not IDENTICAL, since PoT cannot tell what they change"
		default:
			s.verdict = cert.Identical
			s.reason = "the tensor data is byte-identical to the reference's"
			if len(cosmetic)+len(layout) > 0 {
				s.reason += "; metadata differs only in " + list(append(cosmetic, layout...)) + ", which does not change the computation"
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

func orNone(arch string) string {
	if arch == "" {
		return "a file without an architecture"
	}
	return arch
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
