package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/launch"
	"github.com/wasmvisor/wasmvisor/internal/serve/store"
)

// tenant is a tenant as the daemon serves it: its record, its Host (one
// runtime under its policy), the modules compiled in it, and the
// runs it has going.
type tenant struct {
	Name string
	// rec is the tenant's record: replaced, not changed, when a reload
	// brings a new token or storage quota, as requests read it.
	rec    atomic.Pointer[Tenant]
	limits *launch.Limits
	host   *launch.Host
	// hostErr is why the Host could not be made (a policy that needs
	// KVM on a host without it); every run and upload gets it.
	hostErr error
	runs    chan struct{} // a slot per concurrent run allowed; nil is no bound
	// timeout is the daemon's --timeout, which bounds a module's
	// initializer (see compile) as it bounds runs.
	timeout time.Duration

	mu       sync.Mutex
	users    int  // requests using the tenant now
	retired  bool // replaced or removed: close when users drops to 0
	compiled map[string]*compiled
	metrics  *metrics
}

// compiled is a module compiled in a tenant's Host, shared by its runs.
type compiled struct {
	once  sync.Once
	c     *wasmvisor.CompiledModule
	err   error
	users int  // under tenant.mu
	gone  bool // deleted: close when users drops to 0
}

// newTenant makes the daemon's state for t. A policy the host cannot
// satisfy leaves the tenant without a Host, refusing runs and uploads
// with the reason, rather than the daemon refusing to start.
func (s *Server) newTenant(t Tenant) *tenant {
	st := &tenant{Name: t.Name, compiled: map[string]*compiled{}, metrics: s.metrics, timeout: s.cfg.Timeout}
	st.rec.Store(&t)
	st.limits, st.hostErr = t.Limits()
	if st.hostErr != nil {
		return st
	}
	iso := s.cfg.Isolation
	if t.Isolation != "" {
		iso, st.hostErr = wasmvisor.ParseIsolation(t.Isolation)
		if st.hostErr != nil {
			return st
		}
	}
	if t.Quotas.Runs > 0 {
		st.runs = make(chan struct{}, t.Quotas.Runs)
	}
	st.host, st.hostErr = launch.NewHost(context.Background(), launch.HostConfig{
		Limits: *st.limits, Tier: s.cfg.Tier, Isolation: iso, Cache: s.cache})
	if st.hostErr != nil {
		st.hostErr = fmt.Errorf("tenant %q: %w", t.Name, st.hostErr)
	}
	return st
}

// sameRuntime reports whether a and b would make the same Host and run
// bound, so that a reload that changes neither keeps the compiled
// modules.
func sameRuntime(a, b Tenant) bool {
	return a.Policy == b.Policy && a.Isolation == b.Isolation && a.Quotas.Runs == b.Quotas.Runs
}

// acquire marks a request as using st; false if st was retired since it
// was looked up.
func (st *tenant) acquire() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.retired {
		return false
	}
	st.users++
	return true
}

func (st *tenant) release() {
	st.mu.Lock()
	st.users--
	last := st.retired && st.users == 0
	st.mu.Unlock()
	if last {
		st.close()
	}
}

// retire stops new requests from using st, and closes it after the last
// one.
func (st *tenant) retire() {
	st.mu.Lock()
	st.retired = true
	last := st.users == 0
	st.mu.Unlock()
	if last {
		st.close()
	}
}

func (st *tenant) close() {
	st.mu.Lock()
	n := len(st.compiled)
	st.compiled = map[string]*compiled{}
	st.mu.Unlock()
	st.metrics.compiled.Sub(float64(n))
	if st.host != nil {
		st.host.Close(context.Background())
	}
}

// module returns module id compiled in st's Host, compiling it from its
// blob the first time (after a restart, through the compilation cache),
// and a release for when the run is over.
func (st *tenant) module(ctx context.Context, s *Server, id string) (*wasmvisor.CompiledModule, func(), error) {
	if st.hostErr != nil {
		return nil, nil, st.hostErr
	}
	st.mu.Lock()
	cm := st.compiled[id]
	if cm == nil {
		cm = &compiled{}
		st.compiled[id] = cm
		st.metrics.compiled.Inc()
	}
	cm.users++
	st.mu.Unlock()
	cm.once.Do(func() {
		bin, err := s.store.Blob(id)
		if err != nil {
			cm.err = err
			return
		}
		cm.c, cm.err = st.compile(ctx, id, bin)
	})
	release := func() { st.releaseModule(cm) }
	if cm.err != nil {
		st.forget(id, cm)
		release()
		return nil, nil, cm.err
	}
	return cm.c, release, nil
}

// compile compiles bin in st's Host, which pre-initializes a module
// that exports wizer.initialize: at upload, and again when a restarted
// daemon first needs the module (snapshots are kept in memory only).
func (st *tenant) compile(ctx context.Context, name string, bin []byte) (*wasmvisor.CompiledModule, error) {
	if st.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, st.timeout)
		defer cancel()
	}
	c, err := st.host.Compile(ctx, name, bin)
	outcome := "ok"
	if err != nil {
		outcome = "refused"
	}
	st.metrics.compiles.WithLabelValues(outcome).Inc()
	return c, err
}

// keep records c, compiled at upload, as module id's, unless a run
// compiled it meanwhile (then c is closed).
func (st *tenant) keep(id string, c *wasmvisor.CompiledModule) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.retired || st.compiled[id] != nil {
		c.Close(context.Background())
		return
	}
	cm := &compiled{c: c}
	cm.once.Do(func() {})
	st.compiled[id] = cm
	st.metrics.compiled.Inc()
}

// forget drops module id (deleted, or failed to compile); its code is
// closed after the runs using it.
func (st *tenant) forget(id string, cm *compiled) {
	st.mu.Lock()
	if cm == nil {
		cm = st.compiled[id]
	}
	if cm == nil || st.compiled[id] != cm {
		st.mu.Unlock()
		return
	}
	delete(st.compiled, id)
	cm.gone = true
	last := cm.users == 0
	st.mu.Unlock()
	st.metrics.compiled.Dec()
	if last && cm.c != nil {
		cm.c.Close(context.Background())
	}
}

func (st *tenant) releaseModule(cm *compiled) {
	st.mu.Lock()
	cm.users--
	last := cm.gone && cm.users == 0
	st.mu.Unlock()
	if last && cm.c != nil {
		cm.c.Close(context.Background())
	}
}

// tenants is the daemon's view of the tenants file, reloaded when the
// file changes.
type tenants struct {
	dir     string
	log     *slog.Logger
	checked atomic.Int64 // unix nanoseconds of the last look at the file

	mu      sync.RWMutex
	modTime time.Time
	size    int64
	byName  map[string]*tenant
	byToken map[string]*tenant // by TokenSHA256
}

// reloadEvery is how often a request looks whether the tenants file
// changed: a stat per second, so that `tenant add` takes effect within
// one without a signal to the daemon.
const reloadEvery = time.Second

// maybeReload reloads the tenants if the file changed, at most once per
// reloadEvery.
func (s *Server) maybeReload() {
	now := time.Now().UnixNano()
	last := s.tenants.checked.Load()
	if now-last < int64(reloadEvery) || !s.tenants.checked.CompareAndSwap(last, now) {
		return
	}
	if err := s.reloadTenants(); err != nil {
		s.log.Error("reloading tenants", "err", err)
	}
}

// reloadTenants reads the tenants file if it changed since last read:
// new tenants get a Host, changed ones a new Host (the old one closes
// after its runs), and removed ones are retired and their modules and
// routes deleted.
func (s *Server) reloadTenants() error {
	ts := &s.tenants
	fi, err := os.Stat(filepath.Join(ts.dir, tenantsFile))
	if errors.Is(err, os.ErrNotExist) {
		fi = nil
	} else if err != nil {
		return err
	}
	ts.mu.RLock()
	unchanged := ts.byName != nil && (fi == nil && ts.size < 0 || fi != nil && fi.ModTime().Equal(ts.modTime) && fi.Size() == ts.size)
	ts.mu.RUnlock()
	if unchanged {
		return nil
	}
	list, err := LoadTenants(ts.dir)
	if err != nil {
		return err
	}
	ts.mu.Lock()
	old := ts.byName
	byName, byToken := map[string]*tenant{}, map[string]*tenant{}
	var retired []*tenant
	for _, t := range list {
		st := old[t.Name]
		if st == nil || !sameRuntime(*st.rec.Load(), t) {
			if st != nil {
				retired = append(retired, st)
			}
			st = s.newTenant(t)
			if st.hostErr != nil {
				s.log.Warn("tenant cannot run modules", "tenant", t.Name, "err", st.hostErr)
			}
		} else {
			st.rec.Store(&t) // a new token or storage quota
		}
		byName[t.Name], byToken[t.TokenSHA256] = st, st
	}
	var removed []string
	for name, st := range old {
		if byName[name] == nil {
			retired = append(retired, st)
			removed = append(removed, name)
		}
	}
	ts.byName, ts.byToken = byName, byToken
	ts.modTime, ts.size = time.Time{}, -1
	if fi != nil {
		ts.modTime, ts.size = fi.ModTime(), fi.Size()
	}
	ts.mu.Unlock()
	for _, st := range retired {
		st.retire()
	}
	// Tenants the file no longer lists lose what they stored, also
	// those removed while no daemon ran.
	held, err := s.store.Tenants()
	if err != nil {
		return err
	}
	for _, name := range held {
		if byName[name] == nil && !slices.Contains(removed, name) {
			removed = append(removed, name)
		}
	}
	for _, name := range removed {
		if err := s.store.DeleteTenant(name); err != nil {
			return err
		}
		s.log.Info("tenant removed", "tenant", name)
	}
	if len(removed) > 0 {
		s.loadRoutes()
	}
	s.log.Info("tenants loaded", "count", len(list))
	return nil
}

// tenantByToken returns the tenant whose token is token, acquired.
func (s *Server) tenantByToken(token string) *tenant {
	return s.lookupTenant(func(ts *tenants) *tenant { return ts.byToken[hashToken(token)] })
}

// tenantByName returns the tenant name, acquired.
func (s *Server) tenantByName(name string) *tenant {
	return s.lookupTenant(func(ts *tenants) *tenant { return ts.byName[name] })
}

func (s *Server) lookupTenant(find func(*tenants) *tenant) *tenant {
	s.maybeReload()
	for range 3 { // a retired tenant was replaced: look again
		s.tenants.mu.RLock()
		st := find(&s.tenants)
		s.tenants.mu.RUnlock()
		if st == nil {
			return nil
		}
		if st.acquire() {
			return st
		}
	}
	return nil
}

// admitQuota returns the check that an upload of bin fits quotas q.
func admitQuota(q Quotas, bin []byte) func(store.Usage) error {
	return func(u store.Usage) error {
		if q.Modules > 0 && u.Modules+1 > q.Modules {
			return &quotaError{fmt.Sprintf("the tenant holds %d modules, its quota (--max-modules)", u.Modules)}
		}
		if q.Bytes > 0 && u.Bytes+int64(len(bin)) > q.Bytes {
			return &quotaError{fmt.Sprintf("the tenant stores %d bytes; %d more exceed its quota of %d (--max-bytes)", u.Bytes, len(bin), q.Bytes)}
		}
		return nil
	}
}

// quotaError is an upload past a tenant's storage quota.
type quotaError struct{ msg string }

func (e *quotaError) Error() string { return "quota exceeded: " + e.msg }
