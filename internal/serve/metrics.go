package serve

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/launch"
)

// metrics are what /metrics exports. Each Server has a registry of its
// own, so that servers in one process (tests) do not share counters.
type metrics struct {
	reg      *prometheus.Registry
	runs     *prometheus.CounterVec   // by tenant, kind, outcome
	duration *prometheus.HistogramVec // by kind
	traps    *prometheus.CounterVec   // by trap kind
	exits    *prometheus.CounterVec   // by exit code
	vmCalls  prometheus.Counter
	vmExits  *prometheus.CounterVec // by cause
	live     prometheus.Gauge
	rejected *prometheus.CounterVec // by reason
	compiles *prometheus.CounterVec // by outcome
	compiled prometheus.Gauge
	uploads  prometheus.Counter
}

func newMetrics(cache *wasmvisor.CompilationCache) *metrics {
	const ns = "wasmvisor"
	m := &metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "runs_total",
			Help: "Runs that ended, by tenant, kind (command or wagi) and outcome (exit, trap or failure)."},
			[]string{"tenant", "kind", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "run_duration_seconds",
			Help:    "Time from instantiation to the end of a run, by kind.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}, []string{"kind"}),
		traps: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "traps_total",
			Help: "Runs that ended in a trap, by its kind."}, []string{"kind"}),
		exits: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "exits_total",
			Help: "Runs that ended with an exit status, by status."}, []string{"code"}),
		vmCalls: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "vm_calls_total",
			Help: "Calls from the host into micro-VMs."}),
		vmExits: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "vm_exits_total",
			Help: "Exits of micro-VMs to the host, by cause: a hypercall (the host function served), return, trap or an instruction run on the host."},
			[]string{"cause"}),
		live: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "instances_live",
			Help: "Runs in progress, each an instance of its own."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "rejected_total",
			Help: "Requests refused with 429, by the bound they hit (daemon, tenant, compile)."}, []string{"bound"}),
		compiles: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "compiles_total",
			Help: "Modules compiled for a tenant, by outcome."}, []string{"outcome"}),
		compiled: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "modules_compiled",
			Help: "Compiled modules kept in memory."}),
		uploads: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "uploads_total",
			Help: "Modules stored."}),
	}
	m.reg.MustRegister(m.runs, m.duration, m.traps, m.exits, m.vmCalls, m.vmExits, m.live, m.rejected,
		m.compiles, m.compiled, m.uploads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	pool := func(name, help string, f func(wasmvisor.VMPool) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "vm_pool_" + name, Help: help},
			func() float64 { return f(wasmvisor.MicroVMPool()) })
	}
	poolCount := func(name, help string, f func(wasmvisor.VMPool) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Name: "vm_pool_" + name + "_total", Help: help},
			func() float64 { return f(wasmvisor.MicroVMPool()) })
	}
	m.reg.MustRegister(
		pool("live", "Micro-VMs that exist: running a call, ready, or given back and waiting to be reset or torn down.",
			func(p wasmvisor.VMPool) float64 { return float64(p.Live) }),
		pool("ready", "Reset micro-VMs waiting for a call.", func(p wasmvisor.VMPool) float64 { return float64(p.Ready) }),
		pool("returned", "Micro-VMs given back and not yet reset or torn down.",
			func(p wasmvisor.VMPool) float64 { return float64(p.Returned) }),
		poolCount("created", "Micro-VMs made.", func(p wasmvisor.VMPool) float64 { return float64(p.Created) }),
		poolCount("reused", "Calls that ran in a micro-VM used before.", func(p wasmvisor.VMPool) float64 { return float64(p.Reused) }))
	if cache != nil {
		stat := func(name, help string, f func(wasmvisor.CacheStats) int64) prometheus.Collector {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Name: "compilation_cache_" + name + "_total", Help: help},
				func() float64 { return float64(f(cache.Stats())) })
		}
		m.reg.MustRegister(
			stat("hits", "Compiles served from the compilation cache.", func(s wasmvisor.CacheStats) int64 { return s.Hits }),
			stat("misses", "Compiles the compilation cache could not serve.", func(s wasmvisor.CacheStats) int64 { return s.Misses }),
			stat("stores", "Entries written to the compilation cache.", func(s wasmvisor.CacheStats) int64 { return s.Stores }),
			stat("damaged", "Damaged entries found in the compilation cache.", func(s wasmvisor.CacheStats) int64 { return s.Damaged }))
	}
	return m
}

// ran counts a finished run.
func (m *metrics) ran(tenant, kind string, res *launch.Result) {
	outcome := "exit"
	switch {
	case trapOf(res) != nil:
		outcome = "trap"
		m.traps.WithLabelValues(trapOf(res).Kind.String()).Inc()
	case res.Err != nil:
		outcome = "failure"
	default:
		m.exits.WithLabelValues(strconv.Itoa(res.Status)).Inc()
	}
	m.runs.WithLabelValues(tenant, kind, outcome).Inc()
	m.duration.WithLabelValues(kind).Observe(res.Stats.Run.Seconds())
	if vm := res.Stats.VM; vm.Calls > 0 {
		m.vmCalls.Add(float64(vm.Calls))
		for cause, n := range vm.ByCause {
			m.vmExits.WithLabelValues(cause).Add(float64(n))
		}
	}
}
