package agent

import "fmt"

// Notice is one desktop notification.
type Notice struct {
	Title string
	Body  string
	// Report is the certificate whose report the notification opens,
	// where the platform lets a click open something.
	Report string
}

// Notifier shows notices; the agent uses beeep's (D-Bus notifications on
// Linux, the notification centre through osascript on macOS).
type Notifier interface {
	Notify(Notice) error
}

// verdictWords says a verdict in plain words.
func verdictWords(name, verdict string) string {
	switch verdict {
	case "IDENTICAL":
		return name + " is byte-for-byte the reference model (IDENTICAL)."
	case "SAME":
		return name + " behaves the same as the reference model (SAME)."
	case "DIFFERENT":
		return name + " is NOT the reference model (DIFFERENT)."
	case "UNDECIDED":
		return "PoT could not decide whether " + name + " matches the reference within its budget (UNDECIDED)."
	}
	return fmt.Sprintf("%s: %s.", name, verdict)
}

// Notices decides what a change of the queue from prev to cur deserves:
// a certificate that became ready, a job that failed, and a job paused for
// battery or heat, the last at most once per job (sent records it). Jobs
// already finished in prev, or absent from it on the first look (prev nil),
// are not announced again.
func Notices(prev, cur []Job, sent map[string]bool) []Notice {
	if prev == nil {
		// The first look: remember pauses already announced only.
		return nil
	}
	before := make(map[string]Job, len(prev))
	for _, j := range prev {
		before[j.ID] = j
	}
	var out []Notice
	for _, j := range cur {
		p, known := before[j.ID]
		changed := !known || p.State != j.State
		switch {
		case j.State == Done && changed:
			out = append(out, Notice{Title: "Certificate ready", Body: verdictWords(j.Name(), j.Verdict), Report: j.Certificate})
		case j.State == Failed && changed:
			out = append(out, Notice{Title: "Verification failed", Body: j.Name() + ": " + j.Error})
		case j.State == Waiting && (j.Wait == WaitPower || j.Wait == WaitThermal) && !sent["pause:"+j.ID]:
			sent["pause:"+j.ID] = true
			out = append(out, Notice{Title: "Verification paused", Body: j.Name() + ": paused, " + reasonText(j) + ". It continues when conditions allow."})
		}
	}
	return out
}
