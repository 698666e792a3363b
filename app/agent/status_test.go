package agent

import "testing"

func TestStatusOf(t *testing.T) {
	run := Job{ID: "1", Candidate: "/m/a.gguf", State: Running, Progress: 0.629}
	tonight := Job{ID: "2", Candidate: "/m/b.gguf", State: Waiting, Wait: WaitWindow, Reason: "tonight 01:00–06:00"}
	battery := Job{ID: "3", Candidate: "/m/c.gguf", State: Waiting, Wait: WaitPower, Reason: "on battery"}
	failed := Job{ID: "4", Candidate: "/m/d.gguf", State: Failed, Error: "disk full"}
	different := Job{ID: "5", Candidate: "/m/e.gguf", State: Done, Verdict: "DIFFERENT"}
	same := Job{ID: "6", Candidate: "/m/f.gguf", State: Done, Verdict: "SAME"}
	tests := []struct {
		name       string
		jobs       []Job
		userPaused bool
		seen       map[string]bool
		want       Status
	}{
		{"empty", nil, false, nil, Status{IconIdle, "", "PoT: no verification running"}},
		{"finished same is idle", []Job{same}, false, nil, Status{IconIdle, "", "PoT: no verification running"}},
		{"scheduled tonight is idle", []Job{tonight}, false, nil,
			Status{IconIdle, "", "PoT: no verification running\n1 waiting in the queue"}},
		{"running shows floor percent", []Job{run, tonight}, false, nil,
			Status{IconWorking, "62%", "Verifying a.gguf: 62%\n1 waiting in the queue"}},
		{"battery pause", []Job{battery}, false, nil, Status{IconPaused, "", "Paused: c.gguf: on battery"}},
		{"user pause", []Job{tonight}, true, nil,
			Status{IconPaused, "", "Paused by you\n1 waiting in the queue"}},
		{"failure outranks work", []Job{run, failed}, false, nil,
			Status{IconAttention, "62%", "d.gguf: verification failed\nVerifying a.gguf: 62%"}},
		{"different asks for attention", []Job{different}, false, nil,
			Status{IconAttention, "", "e.gguf: DIFFERENT from its reference"}},
		{"seen attention clears", []Job{different, failed}, false, map[string]bool{"4": true, "5": true},
			Status{IconIdle, "", "PoT: no verification running"}},
		{"user paused job", []Job{{ID: "7", Candidate: "g.gguf", State: Paused}}, false, nil,
			Status{IconPaused, "", "Paused: g.gguf: paused by you"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StatusOf(tt.jobs, tt.userPaused, tt.seen); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestPercent(t *testing.T) {
	for in, want := range map[float64]string{0: "0%", 0.999: "99%", 1: "100%", 1.5: "100%", -1: "0%", 0.5: "50%"} {
		if got := percent(in); got != want {
			t.Errorf("percent(%v) = %q, want %q", in, got, want)
		}
	}
}
