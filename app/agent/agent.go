package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/proof-of-training/pot/internal/localmodels"
	"github.com/proof-of-training/pot/verifier/cert"
)

// Tray shows the agent: the platform skins implement it.
type Tray interface {
	// Update shows s and menu; it is called from any goroutine.
	Update(s Status, menu []Item)
}

// Autostart turns starting the agent at login on and off (a LaunchAgent on
// macOS, an XDG autostart entry on Linux).
type Autostart interface {
	Enabled() (bool, error)
	SetEnabled(on bool) error
}

// Config is what an Agent works with. Queue and the directories are
// required; a nil Chooser, Notifier, OpenReport or Autostart disables what
// needs it, with a message when the user asks for it.
type Config struct {
	Queue      Queue
	DataDir    string // holds StateFile and the fingerprints folder
	CertDir    string // where certificates are written
	Roots      localmodels.Roots
	Chooser    Chooser
	Notifier   Notifier
	OpenReport func(certificate string) error
	Autostart  Autostart
	// Poll is how often the queue is read (default 1 s); Rescan how often
	// the model folders are searched again (default 5 min).
	Poll, Rescan time.Duration
	Log          func(format string, args ...any)
}

// FingerprintsDir is the folder, in the data directory, where the user
// keeps trusted fingerprints; the reference dialog opens there.
const FingerprintsDir = "fingerprints"

// Agent is the running agent: it watches the queue, keeps the tray current,
// announces what happened and carries out menu actions.
type Agent struct {
	cfg    Config
	kick   chan struct{} // asks the loop to look at the queue now
	quit   chan struct{} // closed by Quit
	once   sync.Once
	dialog sync.Mutex // held while a file dialog is up: one at a time
	scan   sync.Mutex // held by Scan: a model hashed once, not by two scans

	mu     sync.Mutex // guards the fields below
	set    Settings
	jobs   []Job
	looked bool // jobs has been read once
	models []LocalModel
	certs  []RecentCert
	login  bool
	tray   Tray
}

// New loads the agent's settings and returns it; Run starts it.
func New(cfg Config) (*Agent, error) {
	if cfg.Queue == nil || cfg.DataDir == "" {
		panic("agent: Config needs a Queue and a DataDir")
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Rescan <= 0 {
		cfg.Rescan = 5 * time.Minute
	}
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, FingerprintsDir), 0o700); err != nil {
		return nil, err
	}
	set, err := LoadSettings(filepath.Join(cfg.DataDir, StateFile))
	if err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, set: set, kick: make(chan struct{}, 1), quit: make(chan struct{})}
	if cfg.Autostart != nil {
		a.login, _ = cfg.Autostart.Enabled()
	}
	return a, nil
}

func (a *Agent) logf(format string, args ...any) {
	if a.cfg.Log != nil {
		a.cfg.Log(format, args...)
	}
}

// SetTray connects the tray; the agent shows its state there from now on.
func (a *Agent) SetTray(t Tray) {
	a.mu.Lock()
	a.tray = t
	a.mu.Unlock()
	a.show()
}

// Quitting is closed once the user chose Quit.
func (a *Agent) Quitting() <-chan struct{} { return a.quit }

// Run watches the queue and the model folders until ctx ends or Quit.
func (a *Agent) Run(ctx context.Context) {
	a.Scan()
	a.Refresh()
	poll := time.NewTicker(a.cfg.Poll)
	defer poll.Stop()
	rescan := time.NewTicker(a.cfg.Rescan)
	defer rescan.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.quit:
			return
		case <-rescan.C:
			a.Scan()
		case <-poll.C:
		case <-a.kick:
		}
		a.Refresh()
	}
}

// Kick asks Run to read the queue now.
func (a *Agent) Kick() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// View is what the menu shows now.
func (a *Agent) View() View {
	a.mu.Lock()
	defer a.mu.Unlock()
	return View{Jobs: slices.Clone(a.jobs), Models: slices.Clone(a.models), Certs: slices.Clone(a.certs),
		UserPaused: a.set.UserPaused, RunOnBattery: a.set.RunOnBattery, StartAtLogin: a.login}
}

// Status is what the icon shows now.
func (a *Agent) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return StatusOf(a.jobs, a.set.UserPaused, setOf(a.set.Seen))
}

// keep returns the members of set that are in listed, sorted.
func keep(set, listed map[string]bool) []string {
	var out []string
	for id := range set {
		if listed[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func setOf(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// show pushes the current state to the tray.
func (a *Agent) show() {
	a.mu.Lock()
	t := a.tray
	a.mu.Unlock()
	if t != nil {
		t.Update(a.Status(), BuildMenu(a.View()))
	}
}

// Refresh reads the queue, announces what changed, records badges of new
// certificates and updates the tray.
func (a *Agent) Refresh() {
	jobs, err := a.cfg.Queue.Jobs()
	if err != nil {
		a.logf("queue: %v", err)
		return
	}
	a.mu.Lock()
	labelJobs(jobs, a.models)
	var prev []Job
	if a.looked {
		prev = a.jobs
		if prev == nil {
			prev = []Job{}
		}
	}
	sent := setOf(a.set.Notified)
	notices := Notices(prev, jobs, sent)
	a.jobs, a.looked = jobs, true
	// Remember notices and acknowledgements only for jobs still listed
	// (queue ids are never reused).
	listed := map[string]bool{}
	for _, j := range jobs {
		listed[j.ID] = true
		listed["pause:"+j.ID] = true
	}
	notified := keep(sent, listed)
	seen := keep(setOf(a.set.Seen), listed)
	dirty := !slices.Equal(notified, a.set.Notified) || !slices.Equal(seen, a.set.Seen)
	a.set.Notified, a.set.Seen = notified, seen
	// Pause All holds jobs queued after it too (from the CLI, another
	// runner's queue): any job not yet held is paused.
	holdNew := false
	if a.set.UserPaused {
		for _, j := range jobs {
			holdNew = holdNew || (!j.ended() && !j.Held)
		}
	}
	newCert := false
	for _, n := range notices {
		if n.Report != "" {
			newCert = true
		}
	}
	a.mu.Unlock()
	for _, j := range jobs {
		if j.State == Done && j.Certificate != "" && a.recordBadge(j) {
			dirty = true
		}
	}
	if dirty {
		a.save()
	}
	if holdNew {
		if err := a.cfg.Queue.SetUserPause(true); err != nil {
			a.logf("pause all: %v", err)
		}
	}
	if newCert {
		a.scanCerts()
	}
	for _, n := range notices {
		a.notify(n)
	}
	a.show()
}

func (a *Agent) notify(n Notice) {
	if a.cfg.Notifier == nil {
		return
	}
	if err := a.cfg.Notifier.Notify(n); err != nil {
		a.logf("notification %q: %v", n.Title, err)
	}
}

// save writes the settings; a failure is logged (the agent keeps working
// from memory).
func (a *Agent) save() {
	a.mu.Lock()
	s := a.set
	s.Badges = make(map[string]Badge, len(a.set.Badges))
	for k, v := range a.set.Badges {
		s.Badges[k] = v
	}
	a.mu.Unlock()
	if err := s.Save(filepath.Join(a.cfg.DataDir, StateFile)); err != nil {
		a.logf("%v", err)
	}
}

// recordBadge gives job j's candidate the badge of its certificate, once:
// a badge withdrawn because the file changed is not restored by the same
// certificate, only by a new verification.
func (a *Agent) recordBadge(j Job) bool {
	file, err := filepath.EvalSymlinks(j.Candidate)
	if err != nil {
		return false
	}
	a.mu.Lock()
	b, had := a.set.Badges[file]
	a.mu.Unlock()
	if had && b.Certificate == j.Certificate {
		return false
	}
	st, err := readCert(j.Certificate)
	if err != nil {
		a.logf("badge for %s: %v", file, err)
		return false
	}
	fi, err := os.Stat(file)
	if err != nil {
		return false
	}
	b = Badge{Verdict: string(st.Predicate.Result.Verdict), Certificate: j.Certificate,
		SHA256: st.Subject[0].Digest.SHA256, Size: fi.Size(), ModTime: fi.ModTime()}
	a.mu.Lock()
	if a.set.Badges == nil {
		a.set.Badges = map[string]Badge{}
	}
	a.set.Badges[file] = b
	a.mu.Unlock()
	return true
}

// readCert reads a certificate's statement (not its signature: the badge
// is a reminder, and the report verifies it when opened).
func readCert(path string) (*cert.Statement, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, cert.MaxEnvelopeSize))
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", path, err)
	}
	st, err := cert.Inspect(b)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", path, err)
	}
	return st, nil
}

// Scan searches the model folders, checks each model's badge, and lists
// the recent certificates. Hashing a changed file can take a while: call
// it off the tray's thread.
func (a *Agent) Scan() {
	if !a.scan.TryLock() {
		return // a scan is under way; its result is as fresh
	}
	defer a.scan.Unlock()
	a.mu.Lock()
	roots := a.cfg.Roots
	roots.Folders = append(slices.Clone(roots.Folders), a.set.Folders...)
	a.mu.Unlock()
	res := localmodels.Find(roots)
	for _, p := range res.Problems {
		a.logf("models: %s", p)
	}
	models := make([]LocalModel, 0, len(res.Models))
	dirty := false
	for _, m := range res.Models {
		lm := LocalModel{Name: m.Name, Source: string(m.Source), File: m.File}
		a.mu.Lock()
		b, ok := a.set.Badges[m.File]
		a.mu.Unlock()
		switch {
		case ok && b.Withdrawn:
			lm.Changed = true
		case ok:
			kept, valid, err := CheckBadge(b, m.Size, m.ModTime, func() (string, error) { return fileSHA256(m.File) })
			switch {
			case err != nil:
				a.logf("badge of %s: %v", m.File, err)
			case valid:
				lm.Badge = kept.Verdict
				if kept != b {
					a.setBadge(m.File, kept)
					dirty = true
				}
			default:
				lm.Changed = true
				b.Withdrawn = true
				a.setBadge(m.File, b)
				dirty = true
			}
		}
		models = append(models, lm)
	}
	a.mu.Lock()
	a.models = models
	a.mu.Unlock()
	if dirty {
		a.save()
	}
	a.scanCerts()
	a.show()
}

// labelJobs names the jobs whose candidate is a model found on this
// machine as its runner names it ("llama3.2:1b (Ollama)").
func labelJobs(jobs []Job, models []LocalModel) {
	if len(models) == 0 {
		return
	}
	names := make(map[string]string, len(models))
	for _, m := range models {
		names[m.File] = m.Name + " (" + m.Source + ")"
	}
	for i := range jobs {
		file := jobs[i].Candidate
		if name, ok := names[file]; ok {
			jobs[i].Label = name
		} else if real, err := filepath.EvalSymlinks(file); err == nil && names[real] != "" {
			jobs[i].Label = names[real]
		}
	}
}

func (a *Agent) setBadge(file string, b Badge) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.set.Badges[file] = b
}

// recentCerts is how many certificates the menu lists.
const recentCerts = 10

// scanCerts lists the newest certificates in CertDir. Their names begin
// with the finishing time (cert.WriteFiles), so name order is time order.
func (a *Agent) scanCerts() {
	if a.cfg.CertDir == "" {
		return
	}
	paths, _ := filepath.Glob(filepath.Join(a.cfg.CertDir, "*"+cert.CertSuffix))
	sort.Sort(sort.Reverse(sort.StringSlice(paths)))
	var certs []RecentCert
	for _, p := range paths {
		if len(certs) == recentCerts {
			break
		}
		st, err := readCert(p)
		if err != nil {
			a.logf("%v", err)
			continue
		}
		certs = append(certs, RecentCert{Path: p, Model: st.Subject[0].Name,
			Verdict: string(st.Predicate.Result.Verdict), Finished: st.Predicate.FinishedAt})
	}
	a.mu.Lock()
	a.certs = certs
	a.mu.Unlock()
}

// errDialogOpen refuses a second dialog while one is up (a double click).
var errDialogOpen = errors.New("agent: a PoT dialog is already open")

// Do carries out a menu action. Dialogs block, so call it on its own
// goroutine; errors are also shown to the user as a notification.
func (a *Agent) Do(ctx context.Context, act Action) error {
	err := a.do(ctx, act)
	if err != nil && !errors.Is(err, ErrCancelled) && !errors.Is(err, errDialogOpen) {
		a.logf("%v", err)
		a.notify(Notice{Title: "PoT", Body: err.Error()})
	}
	a.Kick()
	a.show()
	return err
}

func (a *Agent) do(ctx context.Context, act Action) error {
	q := a.cfg.Queue
	switch act.Kind {
	case ActVerifyFile:
		// One click: a known trusted fingerprint of this model needs no
		// questions.
		if fp := knownFingerprint(act.Arg, a.fingerprints()); fp != "" {
			return a.queueAgainst(act.Arg, fp)
		}
		_, err := a.Verify(ctx, act.Arg)
		return err
	case ActVerify:
		_, err := a.Verify(ctx, "")
		return err
	case ActAddFolder:
		return a.addFolder(ctx)
	case ActPause:
		return q.Pause(act.Arg)
	case ActResume:
		return q.Resume(act.Arg)
	case ActCancel:
		return q.Cancel(act.Arg)
	case ActDismiss:
		a.update(func(s *Settings) { s.Seen = appendNew(s.Seen, act.Arg) })
		return nil
	case ActOpenReport:
		a.acknowledge(act.Arg)
		if a.cfg.OpenReport == nil {
			return errors.New("agent: opening reports is not available")
		}
		return a.cfg.OpenReport(act.Arg)
	case ActPauseAll, ActResumeAll:
		paused := act.Kind == ActPauseAll
		if err := q.SetUserPause(paused); err != nil {
			return err
		}
		a.update(func(s *Settings) { s.UserPaused = paused })
		return nil
	case ActToggleBattery:
		a.update(func(s *Settings) { s.RunOnBattery = !s.RunOnBattery })
		return nil
	case ActToggleLogin:
		if a.cfg.Autostart == nil {
			return errors.New("agent: starting at login is not available here")
		}
		a.mu.Lock()
		on := !a.login
		a.mu.Unlock()
		if err := a.cfg.Autostart.SetEnabled(on); err != nil {
			return err
		}
		a.mu.Lock()
		a.login = on
		a.mu.Unlock()
		return nil
	case ActQuit:
		a.once.Do(func() { close(a.quit) })
		return nil
	}
	return nil
}

// update changes the settings and saves them.
func (a *Agent) update(fn func(*Settings)) {
	a.mu.Lock()
	fn(&a.set)
	a.mu.Unlock()
	a.save()
}

// acknowledge marks the jobs whose certificate is cert as seen.
func (a *Agent) acknowledge(certPath string) {
	a.mu.Lock()
	var ids []string
	for _, j := range a.jobs {
		if j.Certificate == certPath {
			ids = append(ids, j.ID)
		}
	}
	a.mu.Unlock()
	if len(ids) > 0 {
		a.update(func(s *Settings) {
			for _, id := range ids {
				s.Seen = appendNew(s.Seen, id)
			}
		})
	}
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// Verify runs the Verify Model… flow for candidate ("" asks for it) and
// queues the job, allowed on battery if the user said so.
func (a *Agent) Verify(ctx context.Context, candidate string) (string, error) {
	if !a.dialog.TryLock() {
		return "", errDialogOpen
	}
	defer a.dialog.Unlock()
	a.mu.Lock()
	battery := a.set.RunOnBattery
	a.mu.Unlock()
	q := batteryQueue{a.cfg.Queue, battery}
	id, err := verifyFlow(ctx, a.cfg.Chooser, q, candidate, a.fingerprints())
	if err == nil {
		a.logf("queued job %s for %s", id, candidate)
	}
	return id, err
}

func (a *Agent) fingerprints() string { return filepath.Join(a.cfg.DataDir, FingerprintsDir) }

// queueAgainst queues candidate against a known fingerprint, now, and says
// so.
func (a *Agent) queueAgainst(candidate, fp string) error {
	a.mu.Lock()
	battery := a.set.RunOnBattery
	a.mu.Unlock()
	id, err := batteryQueue{a.cfg.Queue, battery}.Add(Spec{Candidate: candidate, Fingerprint: fp, When: WhenNow})
	if err != nil {
		return err
	}
	a.logf("queued job %s for %s against %s", id, candidate, fp)
	a.notify(Notice{Title: "Verification queued",
		Body: filepath.Base(candidate) + " is checked against the trusted fingerprint " + filepath.Base(fp) + "."})
	return nil
}

// batteryQueue stamps the Run on Battery setting on the jobs it adds.
type batteryQueue struct {
	Queue
	battery bool
}

func (q batteryQueue) Add(s Spec) (string, error) {
	s.AllowBattery = s.AllowBattery || q.battery
	return q.Queue.Add(s)
}

// addFolder asks for a folder and adds it to the model search.
func (a *Agent) addFolder(ctx context.Context) error {
	if a.cfg.Chooser == nil {
		return ErrNoChooser
	}
	if !a.dialog.TryLock() {
		return errDialogOpen
	}
	defer a.dialog.Unlock()
	ans, err := a.cfg.Chooser.ChooseFile(ctx, FileRequest{Title: "Add a folder to search for models", Directory: true})
	if err != nil {
		return err
	}
	a.update(func(s *Settings) { s.Folders = appendNew(s.Folders, filepath.Clean(ans.Path)) })
	go a.Scan()
	return nil
}

// Handle answers a request from the socket.
func (a *Agent) Handle(ctx context.Context, r Request) Response {
	fail := func(err error) Response { return Response{Error: err.Error()} }
	q := a.cfg.Queue
	var err error
	switch r.Op {
	case "ping":
		return Response{OK: true, PID: os.Getpid()}
	case "refresh":
		a.Kick()
		return Response{OK: true}
	case "jobs":
		jobs, err := q.Jobs()
		if err != nil {
			return fail(err)
		}
		return Response{OK: true, Jobs: jobs}
	case "add":
		if r.Spec == nil || r.Spec.Candidate == "" {
			return fail(errors.New("add: no spec"))
		}
		a.mu.Lock()
		battery := a.set.RunOnBattery
		a.mu.Unlock()
		id, err := batteryQueue{q, battery}.Add(*r.Spec)
		if err != nil {
			return fail(err)
		}
		a.Kick()
		return Response{OK: true, ID: id}
	case "open":
		// An open-file event or `pot agent --open`: ask for the reference
		// on the agent's own goroutine, answer at once.
		go a.Do(ctx, Action{Kind: ActVerifyFile, Arg: r.Path})
		return Response{OK: true}
	case "pause":
		err = q.Pause(r.ID)
	case "resume":
		err = q.Resume(r.ID)
	case "cancel":
		err = q.Cancel(r.ID)
	case "pause-all", "resume-all":
		act := Action{Kind: ActPauseAll}
		if r.Op == "resume-all" {
			act.Kind = ActResumeAll
		}
		err = a.do(ctx, act)
	default:
		return fail(fmt.Errorf("unknown op %q", strings.TrimSpace(r.Op)))
	}
	if err != nil {
		return fail(err)
	}
	a.Kick()
	return Response{OK: true}
}
