package weights

// classWords are the classes as a person reads them: the reason of a
// Report uses them; JSON keeps the precise names (Class.String).
var classWords = [numClasses]string{
	Exact:                      "is identical",
	ExactRequant:               "is an exact requantization",
	ConsistentWithQuantization: "differs by about what quantization costs",
	Unexplained:                "differs by more than quantization costs",
	Unsupported:                "has a type PoT cannot compare",
	NotCompared:                "was not compared (stopped early)",
	Changed:                    "was changed",
	Missing:                    "is missing from B",
	Extra:                      "is only in B",
	ShapeMismatch:              "has another shape",
}

// Words describes c in plain language, as the predicate of a sentence
// about a tensor ("tensor X is an exact requantization").
func (c Class) Words() string {
	if c < numClasses {
		return classWords[c]
	}
	return c.String()
}
