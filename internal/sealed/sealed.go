// Package sealed closes the interfaces of package api to implementations
// outside wasmvisor: an interface that embeds Interface can only be
// implemented by a type that embeds Impl, which only wasmvisor's own
// packages can name. Methods can then be added to those interfaces
// without breaking anyone, and the root package can rely on every
// api.Module being one of its own.
package sealed

// Interface is embedded in each api interface.
type Interface interface{ wasmvisorOnly() }

// Impl is embedded in each implementation of an api interface.
type Impl struct{}

func (Impl) wasmvisorOnly() {}
