// Package serve is the daemon of `wasmvisor serve`: an HTTP server that
// keeps tenants' WebAssembly modules and runs them, as commands
// (POST /v1/modules/{id}/run) or as the handlers of public routes in the
// manner of CGI (WAGI, RFC 3875), each run in an instance of its own,
// in a KVM micro-VM where the tenant's policy or the daemon asks for one.
//
// A tenant is a name, a hashed bearer token, a policy (the -W settings
// of `wasmvisor run`, parsed by package launch) and quotas. Each tenant
// has a launch.Host of its own, so that its modules are compiled once,
// under its policy, and kept. Modules are kept by package store.
//
// Every run is bounded: its time, its output, the bodies it reads, and
// how many run at once, per tenant and overall. Past the last bound the
// daemon answers 429 with Retry-After rather than queueing.
//
// docs/SERVE.md documents the HTTP API.
package serve
