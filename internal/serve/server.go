package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/launch"
	"github.com/wasmvisor/wasmvisor/internal/serve/store"
)

// Config configures a Server.
type Config struct {
	// Data is the data directory: tenants, modules, compiled code.
	Data string
	// Isolation is how runs are separated from the daemon, unless a
	// tenant's policy requires one; Tier is how code runs.
	Isolation wasmvisor.Isolation
	Tier      wasmvisor.Tier
	// MaxRuns bounds the runs going at once over all tenants (zero:
	// 4 per CPU); MaxCompiles the uploads being compiled (zero: one per
	// CPU).
	MaxRuns, MaxCompiles int
	// VMParallel bounds the runs in micro-VMs going at once, from
	// instantiation to close; runs admitted past it (up to MaxRuns)
	// wait for a turn. Zero means one per CPU, a run waiting at most
	// defaultVMTurnWait before it goes ahead anyway; negative means no
	// bound beyond MaxRuns. A run in a VM is CPU work from start to
	// end, so more at once than CPUs only stretches each; and every run
	// past the bound holds a memory at an address of its own, which
	// outnumbered the pooled VMs that keep memory slots for an address:
	// nearly every run then replaced a VM's slot (see docs/SERVE.md,
	// "Load").
	VMParallel int
	// MaxModuleBytes bounds an uploaded module, whatever the tenant's
	// policy allows; MaxBodyBytes the body of a run or WAGI request;
	// MaxOutputBytes what a run's stdout and stderr each keep.
	MaxModuleBytes, MaxBodyBytes, MaxOutputBytes int64
	// Timeout bounds a run that neither its tenant's policy nor its
	// request bounds more tightly.
	Timeout time.Duration
	// Images is the directory of disk images that runs may name; ""
	// refuses disk images.
	Images string
	Log    *slog.Logger
}

// Defaults of Config's zero fields.
const (
	DefaultMaxModuleBytes = 64 << 20
	DefaultMaxBodyBytes   = 16 << 20
	DefaultMaxOutputBytes = 1 << 20
	DefaultTimeout        = 30 * time.Second
)

// defaultVMTurnWait bounds the wait for a turn in a micro-VM under the
// default VMParallel, so that a tenant whose runs compute for long does
// not hold up everyone else's: past it a run goes ahead without a turn,
// as every run did before the default bound. Under the WAGI load of
// docs/SERVE.md a turn comes within a few runs of a millisecond or less.
const defaultVMTurnWait = 20 * time.Millisecond

// retryAfter is what a 429 tells the client to wait, in seconds: runs
// take milliseconds, so a slot is likely free by then.
const retryAfter = "1"

// Server is the daemon.
type Server struct {
	cfg     Config
	log     *slog.Logger
	store   *store.Store
	cache   *wasmvisor.CompilationCache
	metrics *metrics
	tenants tenants
	routes  atomic.Pointer[routeTable]

	runs    chan struct{} // a slot per run allowed at once
	vmSlots chan struct{} // a slot per run executing in a micro-VM; nil is no bound
	// vmTurnWait, if positive, is how long a run waits for a slot of
	// vmSlots before it goes ahead without one.
	vmTurnWait time.Duration
	compiles   chan struct{} // a slot per compile allowed at once
	draining   atomic.Bool   // shutting down: refuse new work
	handler    http.Handler
}

// New opens the data directory and returns the daemon serving it.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	ncpu := runtime.GOMAXPROCS(0)
	if cfg.MaxRuns <= 0 {
		cfg.MaxRuns = 4 * ncpu
	}
	if cfg.MaxCompiles <= 0 {
		cfg.MaxCompiles = ncpu
	}
	if cfg.MaxModuleBytes <= 0 {
		cfg.MaxModuleBytes = DefaultMaxModuleBytes
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxOutputBytes <= 0 {
		cfg.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Isolation == wasmvisor.IsolationDefault {
		cfg.Isolation = wasmvisor.IsolationAuto
	}
	st, err := store.Open(cfg.Data)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Log, store: st,
		runs: make(chan struct{}, cfg.MaxRuns), compiles: make(chan struct{}, cfg.MaxCompiles)}
	tier := cfg.Tier
	if tier == wasmvisor.TierDefault {
		tier = wasmvisor.DefaultTier()
	}
	if tier == wasmvisor.TierCompiled {
		if s.cache, err = wasmvisor.NewCompilationCache(filepath.Join(cfg.Data, "cache")); err != nil {
			st.Close()
			return nil, err
		}
	}
	if cfg.VMParallel == 0 {
		cfg.VMParallel = ncpu
		s.vmTurnWait = defaultVMTurnWait
	}
	if cfg.VMParallel > 0 {
		s.vmSlots = make(chan struct{}, cfg.VMParallel)
	}
	s.metrics = newMetrics(s.cache)
	s.tenants.dir = cfg.Data
	s.tenants.checked.Store(time.Now().UnixNano())
	s.routes.Store(&routeTable{})
	if err := s.reloadTenants(); err != nil {
		st.Close()
		return nil, err
	}
	if err := s.loadRoutes(); err != nil {
		st.Close()
		return nil, err
	}
	s.handler = s.newHandler()
	return s, nil
}

// Handler returns the daemon's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves on l until ctx is done, then shuts down gracefully: the
// listener closes (new connections are refused), requests that arrive
// on open connections get 503, and runs in progress finish, for at most
// grace; runs still going after it are interrupted. The store is closed
// when Serve returns.
func (s *Server) Serve(ctx context.Context, l net.Listener, grace time.Duration) error {
	base, hardStop := context.WithCancel(context.Background())
	defer hardStop()
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	s.log.Info("serving", "addr", l.Addr().String(), "data", s.cfg.Data, "isolation", s.cfg.Isolation.String())
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.log.Info("shutting down", "grace", grace.String())
		s.draining.Store(true)
		sctx, cancel := context.WithTimeout(context.Background(), grace)
		err = hs.Shutdown(sctx)
		cancel()
		if err != nil {
			// Past the grace period: interrupt the runs, then wait
			// for their handlers to answer.
			s.log.Warn("grace period over; interrupting runs", "err", err)
			hardStop()
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			hs.Shutdown(sctx)
			cancel()
		}
		err = nil
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close releases the tenants' runtimes and closes the store.
func (s *Server) Close() error {
	s.tenants.mu.Lock()
	all := s.tenants.byName
	s.tenants.byName, s.tenants.byToken = map[string]*tenant{}, map[string]*tenant{}
	s.tenants.mu.Unlock()
	for _, st := range all {
		st.retire()
	}
	return s.store.Close()
}

func (s *Server) newHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	api := func(pattern string, h func(http.ResponseWriter, *http.Request, *tenant)) {
		mux.HandleFunc(pattern, s.authed(h))
	}
	api("PUT /v1/modules", s.putModule)
	api("POST /v1/modules", s.putModule)
	api("GET /v1/modules", s.listModules)
	api("GET /v1/modules/{id}", s.getModule)
	api("DELETE /v1/modules/{id}", s.deleteModule)
	api("POST /v1/modules/{id}/run", s.runModule)
	api("POST /v1/routes", s.putRoute)
	api("GET /v1/routes", s.listRoutes)
	api("DELETE /v1/routes", s.deleteRoute)
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		if s.tenantFor(w, r) != nil {
			writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
		}
	})
	mux.HandleFunc("/", s.serveRoute)
	return s.logged(mux)
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// logged logs every request but the probes'.
func (s *Server) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if r.URL.Path == "/healthz" || r.URL.Path == "/metrics" {
			return
		}
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration", time.Since(start).String(), "remote", r.RemoteAddr)
	})
}

// tenantFor authenticates r, answering 401 (and returning nil) when its
// token is missing or unknown. The caller releases the tenant.
func (s *Server) tenantFor(w http.ResponseWriter, r *http.Request) *tenant {
	token := bearer(r.Header.Get("Authorization"))
	var st *tenant
	if token != "" {
		st = s.tenantByToken(token)
	}
	if st == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="wasmvisor"`)
		writeError(w, http.StatusUnauthorized, "missing or unknown bearer token")
		return nil
	}
	return st
}

func (s *Server) authed(h func(http.ResponseWriter, *http.Request, *tenant)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			writeError(w, http.StatusServiceUnavailable, "shutting down")
			return
		}
		st := s.tenantFor(w, r)
		if st == nil {
			return
		}
		defer st.release()
		h(w, r, st)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// writeError answers {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// tooBusy answers 429: past a bound on concurrent work, the client
// retries rather than the daemon queueing without bound.
func (s *Server) tooBusy(w http.ResponseWriter, bound, msg string) {
	s.metrics.rejected.WithLabelValues(bound).Inc()
	w.Header().Set("Retry-After", retryAfter)
	writeError(w, http.StatusTooManyRequests, msg)
}

// readBody reads r's body up to max bytes, answering 413 (and returning
// false) for a larger one.
func readBody(w http.ResponseWriter, r *http.Request, max int64, what string) ([]byte, bool) {
	if r.ContentLength > max {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s of %d bytes exceeds the daemon's limit of %d bytes", what, r.ContentLength, max))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s exceeds the daemon's limit of %d bytes", what, max))
		return nil, false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return nil, false
	}
	return body, true
}

// moduleInfo is how the API shows a module.
type moduleInfo struct {
	store.Module
	Imports []string `json:"imports,omitempty"`
	Exports []string `json:"exports,omitempty"`
	// Snapshot is set for a module pre-initialized at upload.
	Snapshot *snapshotInfo `json:"snapshot,omitempty"`
}

// snapshotInfo is how the API shows a module's snapshot: the sizes of
// its memories, in pages, and the bytes it keeps (their non-zero 4 KiB
// pages).
type snapshotInfo struct {
	MemoryPages []uint32 `json:"memory_pages"`
	Bytes       uint64   `json:"bytes"`
}

func (s *Server) putModule(w http.ResponseWriter, r *http.Request, st *tenant) {
	if st.hostErr != nil {
		writeError(w, http.StatusServiceUnavailable, st.hostErr.Error())
		return
	}
	// The tenant's policy bounds the module's size first: over it is a
	// policy violation (422), named as validate names it. The daemon's
	// own bound is a plain 413.
	if r.ContentLength >= 0 {
		if err := st.limits.Policy.CheckModuleSize(uint64(r.ContentLength)); err != nil {
			writeError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
	}
	max := s.cfg.MaxModuleBytes
	if n, ok := st.limits.Policy.MaxModuleSize.Value(); ok && int64(n) < max && int64(n) >= 0 {
		max = int64(n) + 1 // one byte more, for the policy to see the excess
	}
	bin, ok := readBody(w, r, max, "module")
	if !ok {
		return
	}
	select {
	case s.compiles <- struct{}{}:
		defer func() { <-s.compiles }()
	default:
		s.tooBusy(w, "compile", "too many modules being compiled; retry later")
		return
	}
	id := store.ID(bin)
	c, err := st.compile(r.Context(), "module", bin)
	if err != nil {
		status := http.StatusBadRequest
		_, policy := errors.AsType[*wasmvisor.PolicyError](err)
		_, init := errors.AsType[*wasmvisor.InitError](err)
		if policy || init {
			status = http.StatusUnprocessableEntity
		}
		writeError(w, status, strings.TrimPrefix(err.Error(), "module: "))
		return
	}
	m, created, err := s.store.Put(st.Name, bin, admitQuota(st.rec.Load().Quotas, bin))
	if err != nil {
		c.Close(r.Context())
		if qe, ok := errors.AsType[*quotaError](err); ok {
			writeError(w, http.StatusForbidden, qe.Error())
			return
		}
		s.log.Error("storing a module", "tenant", st.Name, "err", err)
		writeError(w, http.StatusInternalServerError, "storing the module failed")
		return
	}
	st.keep(id, c)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		s.metrics.uploads.Inc()
		s.log.Info("module stored", "tenant", st.Name, "id", id, "size", len(bin))
	}
	writeJSON(w, status, describe(m, c))
}

func describe(m store.Module, c *wasmvisor.CompiledModule) moduleInfo {
	info := moduleInfo{Module: m}
	if c != nil {
		for _, imp := range c.Imports() {
			info.Imports = append(info.Imports, imp.Module+"."+imp.Name)
		}
		for _, exp := range c.Exports() {
			info.Exports = append(info.Exports, exp.Name)
		}
		if snap := c.Snapshot(); snap != nil {
			info.Snapshot = &snapshotInfo{MemoryPages: snap.MemoryPages, Bytes: snap.Stored}
		}
	}
	return info
}

func (s *Server) listModules(w http.ResponseWriter, r *http.Request, st *tenant) {
	list, err := s.store.List(st.Name)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	ids := make([]string, len(list))
	for i, m := range list {
		ids[i] = m.ID
	}
	if list == nil {
		list = []store.Module{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ids": ids, "modules": list})
}

// heldModule returns the tenant's module named by the request's {id},
// answering 404 (and ok false) when the tenant holds none: another
// tenant's module is as absent as one never uploaded.
func (s *Server) heldModule(w http.ResponseWriter, r *http.Request, st *tenant) (store.Module, bool) {
	id := r.PathValue("id")
	m, err := s.store.Get(st.Name, id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no module "+id)
		return m, false
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return m, false
	}
	return m, true
}

func (s *Server) getModule(w http.ResponseWriter, r *http.Request, st *tenant) {
	m, ok := s.heldModule(w, r, st)
	if !ok {
		return
	}
	c, release, err := st.module(r.Context(), s, m.ID)
	if err == nil {
		defer release()
	}
	writeJSON(w, http.StatusOK, describe(m, c))
}

func (s *Server) deleteModule(w http.ResponseWriter, r *http.Request, st *tenant) {
	id := r.PathValue("id")
	dropped, err := s.store.Delete(st.Name, id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no module "+id)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	st.forget(id, nil)
	if len(dropped) > 0 {
		s.loadRoutes()
	}
	s.log.Info("module deleted", "tenant", st.Name, "id", id, "routes", len(dropped))
	w.WriteHeader(http.StatusNoContent)
}

// runRequest is the body of POST /v1/modules/{id}/run.
type runRequest struct {
	Args      []string          `json:"args"`
	Env       map[string]string `json:"env"`
	Stdin     string            `json:"stdin"`
	TimeoutMS int64             `json:"timeout_ms"`
	// Disk names a disk image in the daemon's --images directory,
	// mounted as the program's "/" (changes stay in memory).
	Disk string `json:"disk"`
}

// runResponse is its answer.
type runResponse struct {
	ExitCode        int      `json:"exit_code"`
	Stdout          string   `json:"stdout"`
	Stderr          string   `json:"stderr"`
	Trap            *string  `json:"trap"`
	TrapMessage     string   `json:"trap_message,omitempty"`
	Error           string   `json:"error,omitempty"`
	StdoutTruncated bool     `json:"stdout_truncated,omitempty"`
	StderrTruncated bool     `json:"stderr_truncated,omitempty"`
	Stats           runStats `json:"stats"`
}

type runStats struct {
	Tier      string           `json:"tier"`
	Isolation string           `json:"isolation"`
	RunMS     float64          `json:"run_ms"`
	VMCalls   int64            `json:"vm_calls,omitempty"`
	VMExits   int64            `json:"vm_exits,omitempty"`
	ExitCause map[string]int64 `json:"vm_exits_by_cause,omitempty"`
}

func (s *Server) runModule(w http.ResponseWriter, r *http.Request, st *tenant) {
	m, ok := s.heldModule(w, r, st)
	if !ok {
		return
	}
	body, ok := readBody(w, r, s.cfg.MaxBodyBytes, "request body")
	if !ok {
		return
	}
	var req runRequest
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, "request body: "+err.Error())
			return
		}
	}
	if req.TimeoutMS < 0 {
		writeError(w, http.StatusBadRequest, "timeout_ms must not be negative")
		return
	}
	p := &launch.Program{File: m.ID, Args: req.Args, Stdin: strings.NewReader(req.Stdin)}
	for k, v := range req.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.Contains(v, "\x00") {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("env: invalid variable %q", k))
			return
		}
		p.Env = append(p.Env, k+"="+v)
	}
	if req.Disk != "" {
		if s.cfg.Images == "" || req.Disk != filepath.Base(req.Disk) || strings.HasPrefix(req.Disk, ".") {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("disk %q: not an image of the daemon's --images directory", req.Disk))
			return
		}
		p.Disk = filepath.Join(s.cfg.Images, req.Disk)
	}
	p.Limits.Timeout = s.cfg.Timeout
	if t := time.Duration(req.TimeoutMS) * time.Millisecond; t > 0 && t < p.Limits.Timeout {
		p.Limits.Timeout = t
	}
	stdout, stderr := &boundedBuffer{max: s.cfg.MaxOutputBytes}, &boundedBuffer{max: s.cfg.MaxOutputBytes}
	p.Stdout, p.Stderr = stdout, stderr
	res, ok := s.run(w, r, st, "command", m.ID, p)
	if !ok {
		return
	}
	out := runResponse{ExitCode: res.Status, Stdout: stdout.String(), Stderr: stderr.String(),
		StdoutTruncated: stdout.truncated, StderrTruncated: stderr.truncated,
		Stats: runStats{Tier: res.Stats.Tier.String(), Isolation: res.Stats.Isolation.String(),
			RunMS:   float64(res.Stats.Run.Microseconds()) / 1000,
			VMCalls: res.Stats.VM.Calls, VMExits: res.Stats.VM.Exits, ExitCause: res.Stats.VM.ByCause}}
	if trap := trapOf(&res); trap != nil {
		kind := trap.Kind.String()
		out.Trap, out.TrapMessage = &kind, trap.Error()
	} else if res.Err != nil {
		out.Error = res.Err.Error()
	}
	writeJSON(w, http.StatusOK, out)
}

// run runs module id of st as p describes, within the daemon's and the
// tenant's bounds on concurrent runs: past either it answers 429 and
// returns false, as it does (with 404 or 503) when the module cannot
// run at all.
func (s *Server) run(w http.ResponseWriter, r *http.Request, st *tenant, kind, id string, p *launch.Program) (launch.Result, bool) {
	if st.hostErr != nil {
		writeError(w, http.StatusServiceUnavailable, st.hostErr.Error())
		return launch.Result{}, false
	}
	if st.runs != nil {
		select {
		case st.runs <- struct{}{}:
			defer func() { <-st.runs }()
		default:
			s.tooBusy(w, "tenant", fmt.Sprintf("the tenant has %d runs going, its quota (--max-runs); retry later", cap(st.runs)))
			return launch.Result{}, false
		}
	}
	select {
	case s.runs <- struct{}{}:
		defer func() { <-s.runs }()
	default:
		s.tooBusy(w, "daemon", "the daemon is running as many programs as it allows (--max-runs); retry later")
		return launch.Result{}, false
	}
	c, release, err := st.module(r.Context(), s, id)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, store.ErrNotFound) {
			status = http.StatusNotFound
		}
		s.log.Error("preparing a module", "tenant", st.Name, "id", id, "err", err)
		writeError(w, status, err.Error())
		return launch.Result{}, false
	}
	defer release()
	if s.vmSlots != nil && st.host.Isolation() == wasmvisor.IsolationVM {
		select {
		case s.vmSlots <- struct{}{}:
			defer func() { <-s.vmSlots }()
		default:
			// A bounded wait: at most MaxRuns requests get here, and
			// with the default bound none waits past vmTurnWait.
			var timeout <-chan time.Time
			if s.vmTurnWait > 0 {
				t := time.NewTimer(s.vmTurnWait)
				defer t.Stop()
				timeout = t.C
			}
			select {
			case s.vmSlots <- struct{}{}:
				defer func() { <-s.vmSlots }()
			case <-timeout:
			case <-r.Context().Done():
				writeError(w, http.StatusServiceUnavailable, "the request ended while waiting for a micro-VM")
				return launch.Result{}, false
			}
		}
	}
	s.metrics.live.Inc()
	res := st.host.Run(r.Context(), c, p)
	s.metrics.live.Dec()
	s.metrics.ran(st.Name, kind, &res)
	return res, true
}

func trapOf(res *launch.Result) *api.Trap {
	if res.Status != launch.ExitTrap {
		return nil
	}
	trap, _ := errors.AsType[*api.Trap](res.Err)
	return trap
}

// boundedBuffer keeps the first max bytes written to it and counts the
// rest: a program's output is bounded without the program noticing (a
// write that failed could change what it does).
type boundedBuffer struct {
	bytes.Buffer
	max       int64
	truncated bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	room := b.max - int64(b.Len())
	if int64(len(p)) > room {
		b.truncated = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
