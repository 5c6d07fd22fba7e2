package serve

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/wasmvisor/wasmvisor/internal/serve/store"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/launch"
)

// Tenant is one client of the daemon, as the tenants file keeps it.
type Tenant struct {
	Name string `json:"name"`
	// TokenSHA256 is the SHA-256 of the bearer token, in hexadecimal.
	// The token itself is shown once, by AddTenant, and kept nowhere: a
	// copy of the data directory does not let anyone in. A fast hash is
	// enough for tokens of 256 random bits, which no dictionary holds.
	TokenSHA256 string `json:"token_sha256"`
	// Policy is what the tenant's modules are compiled and run under,
	// in -W syntax (launch.Limits).
	Policy string `json:"policy"`
	// Isolation, if not empty, is the isolation the tenant's runs
	// require ("vm", "process", "auto"); empty leaves the daemon's.
	Isolation string    `json:"isolation,omitempty"`
	Quotas    Quotas    `json:"quotas"`
	Created   time.Time `json:"created"`
}

// Quotas bound what a tenant holds and runs at once. Zero is no bound.
type Quotas struct {
	Modules int   `json:"modules"`
	Bytes   int64 `json:"bytes"`
	Runs    int   `json:"runs"`
}

// DefaultQuotas are a new tenant's unless `tenant add` says otherwise.
var DefaultQuotas = Quotas{Modules: 100, Bytes: 1 << 30, Runs: 8}

// Limits parses the tenant's policy.
func (t *Tenant) Limits() (*launch.Limits, error) {
	l := launch.NewLimits()
	if t.Policy != "" {
		if err := l.Set(t.Policy); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// tenantsFile is the file, in the data directory, that lists the
// tenants. It is JSON, replaced whole on every change, so that the
// `tenant` commands can change it while a daemon runs (which holds the
// module database locked) and the daemon sees the change.
const tenantsFile = "tenants.json"

var tenantName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// LoadTenants reads the tenants of the data directory dir; none if it
// has no tenants file.
func LoadTenants(dir string) ([]Tenant, error) {
	data, err := os.ReadFile(filepath.Join(dir, tenantsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ts []Tenant
	if err := json.Unmarshal(data, &ts); err != nil {
		return nil, fmt.Errorf("%s: %w", tenantsFile, err)
	}
	return ts, nil
}

// AddTenant adds t to the data directory dir with a new token, which it
// returns; t.TokenSHA256 and t.Created are set here. The name must be
// new, and the policy and isolation valid.
func AddTenant(dir string, t Tenant) (token string, err error) {
	if !tenantName.MatchString(t.Name) {
		return "", fmt.Errorf("tenant name %q: want 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit", t.Name)
	}
	if _, err := t.Limits(); err != nil {
		return "", err
	}
	if _, err := wasmvisor.ParseIsolation(t.Isolation); err != nil {
		return "", err
	}
	var key [32]byte
	rand.Read(key[:])
	token = "wvt_" + base64.RawURLEncoding.EncodeToString(key[:])
	t.TokenSHA256 = hashToken(token)
	t.Created = time.Now().UTC().Truncate(time.Second)
	err = updateTenants(dir, func(ts []Tenant) ([]Tenant, error) {
		if slices.ContainsFunc(ts, func(o Tenant) bool { return o.Name == t.Name }) {
			return nil, fmt.Errorf("tenant %q exists", t.Name)
		}
		return append(ts, t), nil
	})
	return token, err
}

// RemoveTenant removes the tenant name from dir. A running daemon drops
// its modules and routes when it sees the change; otherwise the next
// daemon started on dir does.
func RemoveTenant(dir, name string) error {
	return updateTenants(dir, func(ts []Tenant) ([]Tenant, error) {
		i := slices.IndexFunc(ts, func(o Tenant) bool { return o.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("no tenant %q", name)
		}
		return slices.Delete(ts, i, i+1), nil
	})
}

// updateTenants changes the tenants file under an exclusive lock (two
// `tenant add` at once must not lose one), writing the new list to a
// temporary file renamed over the old, so that a reader sees the old
// list or the new, never a part.
func updateTenants(dir string, change func([]Tenant) ([]Tenant, error)) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(dir, tenantsFile+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	ts, err := LoadTenants(dir)
	if err != nil {
		return err
	}
	if ts, err = change(ts); err != nil {
		return err
	}
	data, err := json.MarshalIndent(ts, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, tenantsFile+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, tenantsFile))
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return store.SyncDir(dir)
}

// hashToken is how tokens are kept and looked up.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// bearer returns the token of an Authorization header, "" if none.
func bearer(header string) string {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
