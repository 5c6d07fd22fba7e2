package serve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/wasmvisor/wasmvisor/internal/launch"
	"github.com/wasmvisor/wasmvisor/internal/serve/store"
)

// routeTable is the routes, longest path first, so that the first
// match is the most specific. It is replaced whole on every change.
type routeTable struct {
	routes []store.Route
}

// match returns the route for the request path p: the one whose path
// is p, or a prefix of p ending at a "/" boundary.
func (t *routeTable) match(p string) (store.Route, bool) {
	for _, r := range t.routes {
		if p == r.Path || r.Path == "/" || strings.HasPrefix(p, r.Path+"/") {
			return r, true
		}
	}
	return store.Route{}, false
}

// loadRoutes rebuilds the route table from the store.
func (s *Server) loadRoutes() error {
	routes, err := s.store.Routes()
	if err != nil {
		return err
	}
	slices.SortFunc(routes, func(a, b store.Route) int { return len(b.Path) - len(a.Path) })
	s.routes.Store(&routeTable{routes: routes})
	return nil
}

// reserved reports whether a route at p would hide the daemon's own
// endpoints.
func reserved(p string) bool {
	for _, r := range []string{"/v1", "/metrics", "/healthz"} {
		if p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return p == "/" // it would take every path, reserved ones included
}

func (s *Server) putRoute(w http.ResponseWriter, r *http.Request, st *tenant) {
	body, ok := readBody(w, r, 64<<10, "request body")
	if !ok {
		return
	}
	var route store.Route
	if err := json.Unmarshal(body, &route); err != nil {
		writeError(w, http.StatusBadRequest, "request body: "+err.Error())
		return
	}
	switch {
	case !strings.HasPrefix(route.Path, "/") || path.Clean(route.Path) != route.Path || strings.ContainsAny(route.Path, "?#"):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("path %q: want a clean absolute path such as /hello", route.Path))
		return
	case reserved(route.Path):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("path %q is reserved: /, /v1/, /metrics and /healthz are the daemon's", route.Path))
		return
	}
	route.Tenant = st.Name
	err := s.store.PutRoute(route)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no module "+route.Module)
		return
	case errors.Is(err, store.ErrRouteTaken):
		writeError(w, http.StatusConflict, fmt.Sprintf("path %q is taken", route.Path))
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if err := s.loadRoutes(); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.log.Info("route set", "tenant", st.Name, "path", route.Path, "module", route.Module)
	writeJSON(w, http.StatusCreated, map[string]string{"path": route.Path, "module": route.Module})
}

func (s *Server) listRoutes(w http.ResponseWriter, r *http.Request, st *tenant) {
	out := []map[string]string{}
	for _, route := range s.routes.Load().routes {
		if route.Tenant == st.Name {
			out = append(out, map[string]string{"path": route.Path, "module": route.Module})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"routes": out})
}

// deleteRoute removes the route ?path=P.
func (s *Server) deleteRoute(w http.ResponseWriter, r *http.Request, st *tenant) {
	p := r.URL.Query().Get("path")
	err := s.store.DeleteRoute(st.Name, p)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route %q", p))
		return
	}
	if err == nil {
		err = s.loadRoutes()
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveRoute answers public traffic: it runs the module of the route
// that matches the request as a CGI script (RFC 3875), the way WAGI
// does. No token: the route is the tenant's published service.
func (s *Server) serveRoute(w http.ResponseWriter, r *http.Request) {
	route, ok := s.routes.Load().match(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if s.draining.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	st := s.tenantByName(route.Tenant)
	if st == nil {
		http.NotFound(w, r)
		return
	}
	defer st.release()
	body, ok := readBody(w, r, s.cfg.MaxBodyBytes, "request body")
	if !ok {
		return
	}
	p := &launch.Program{File: route.Path, Args: queryArgs(r.URL.RawQuery), Env: cgiEnv(r, route, len(body)),
		Stdin: bytes.NewReader(body)}
	p.Limits.Timeout = s.cfg.Timeout
	stdout := &boundedBuffer{max: s.cfg.MaxOutputBytes}
	stderr := &boundedBuffer{max: 64 << 10}
	p.Stdout, p.Stderr = stdout, stderr
	res, ok := s.run(w, r, st, "wagi", route.Module, p)
	if !ok {
		return
	}
	if stderr.Len() > 0 {
		s.log.Info("handler stderr", "tenant", st.Name, "route", route.Path, "stderr", stderr.String(), "truncated", stderr.truncated)
	}
	if res.Err != nil || res.Status != 0 && stdout.Len() == 0 {
		s.log.Warn("handler failed", "tenant", st.Name, "route", route.Path, "status", res.Status, "err", res.Err)
		http.Error(w, "the handler failed", http.StatusInternalServerError)
		return
	}
	if stdout.truncated {
		s.log.Warn("handler output over the limit", "tenant", st.Name, "route", route.Path, "limit", s.cfg.MaxOutputBytes)
		http.Error(w, "the handler's response is too large", http.StatusBadGateway)
		return
	}
	if err := writeCGIResponse(w, stdout.Bytes()); err != nil {
		s.log.Warn("handler response", "tenant", st.Name, "route", route.Path, "err", err)
		http.Error(w, "the handler's response is malformed", http.StatusBadGateway)
	}
}

// queryArgs are the query's parameters as a script's arguments, as WAGI
// gives them: "a=1&b" is the arguments "a=1" and "b", each decoded.
// (RFC 3875 4.4 passes only a query without "=", split at "+"; WAGI
// passes every query, and handlers written for it expect that.)
func queryArgs(raw string) []string {
	if raw == "" {
		return nil
	}
	var args []string
	for part := range strings.SplitSeq(raw, "&") {
		if v, err := url.QueryUnescape(part); err == nil {
			part = v
		}
		args = append(args, part)
	}
	return args
}

// cgiEnv returns the meta-variables of RFC 3875 section 4.1 for r, the
// protocol-specific HTTP_* ones (4.1.18) and WAGI's X_* additions.
// Authorization and Proxy-Authorization are left out, as 4.1.18 advises:
// the handler is not the one the credentials were for.
func cgiEnv(r *http.Request, route store.Route, bodyLen int) []string {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, "80"
	}
	remoteIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	pathInfo := strings.TrimPrefix(r.URL.Path, route.Path)
	if route.Path == "/" {
		pathInfo = r.URL.Path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	env := []string{
		"GATEWAY_INTERFACE=CGI/1.1",
		"SERVER_SOFTWARE=wasmvisor",
		"SERVER_PROTOCOL=" + r.Proto,
		"SERVER_NAME=" + host,
		"SERVER_PORT=" + port,
		"REQUEST_METHOD=" + r.Method,
		"SCRIPT_NAME=" + route.Path,
		"PATH_INFO=" + pathInfo,
		"PATH_TRANSLATED=" + pathInfo,
		"QUERY_STRING=" + r.URL.RawQuery,
		"REMOTE_ADDR=" + remoteIP,
		"REMOTE_HOST=" + remoteIP,
		"AUTH_TYPE=",
		"REMOTE_USER=",
		"CONTENT_LENGTH=" + strconv.Itoa(bodyLen),
		"CONTENT_TYPE=" + r.Header.Get("Content-Type"),
		"X_MATCHED_ROUTE=" + route.Path,
		"X_RAW_PATH_INFO=" + pathInfo,
		"X_FULL_URL=" + scheme + "://" + r.Host + r.URL.RequestURI(),
	}
	for name, values := range r.Header {
		switch name {
		case "Authorization", "Proxy-Authorization", "Content-Type", "Content-Length":
			continue
		}
		key := "HTTP_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		env = append(env, key+"="+strings.Join(values, ", "))
	}
	return env
}

// writeCGIResponse parses a script's output (RFC 3875 section 6): header
// lines up to an empty line, among them Content-Type, Status ("404 Not
// Found") or Location, then the body; and answers with it. A Location
// without Status redirects the client (302) rather than the daemon
// following a local redirect (6.2.2), which handlers rarely use.
func writeCGIResponse(w http.ResponseWriter, out []byte) error {
	src := bytes.NewReader(out)
	tr := textproto.NewReader(bufio.NewReader(src))
	hdr, err := tr.ReadMIMEHeader()
	if err != nil {
		return fmt.Errorf("reading its headers: %w", err)
	}
	// The body is all that the header reader did not consume: what its
	// buffer holds and what it never read.
	body := out[len(out)-src.Len()-tr.R.Buffered():]
	status := http.StatusOK
	if v := hdr.Get("Status"); v != "" {
		code, _, _ := strings.Cut(v, " ")
		n, err := strconv.Atoi(code)
		// 1xx is informational in HTTP: the response would follow it.
		if err != nil || n < 200 || n > 999 {
			return fmt.Errorf("status %q", v)
		}
		status = n
	} else if hdr.Get("Location") != "" {
		status = http.StatusFound
	}
	if hdr.Get("Content-Type") == "" && hdr.Get("Location") == "" {
		return errors.New("neither Content-Type nor Location")
	}
	delete(hdr, "Status")
	for k, vs := range hdr {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
	return nil
}
