package shim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/containerd/containerd/mount"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/pkg/shutdown"
	"github.com/containerd/containerd/plugin"
	"github.com/containerd/containerd/runtime/v2/shim"
	"github.com/containerd/log"
	"golang.org/x/sys/unix"
)

// RuntimeName is the runtime containerd knows the shim as; containerd
// finds the binary containerd-shim-wasmvisor-v1 from it.
const RuntimeName = "io.containerd.wasmvisor.v1"

// groupLabels are the annotations that put containers into one shim:
// the CRI plugin's pod sandbox, so that a pod's containers share a shim
// process as runc's do, or a group a user names.
var groupLabels = []string{
	"io.containerd.wasmvisor.v1.group",
	"io.kubernetes.cri.sandbox-id",
}

// Main runs the shim binary: containerd's shim library parses the
// flags and calls the manager (start, delete) or serves the task
// service registered by this package.
func Main() {
	shim.RunManager(context.Background(), manager{}, func(c *shim.Config) {
		// A program runs in the shim's process and starts no children
		// to reap; the library's reaper would only race os/exec.
		c.NoReaper = true
	})
}

func init() {
	plugin.Register(&plugin.Registration{
		Type:     plugin.TTRPCPlugin,
		ID:       "task",
		Requires: []plugin.Type{plugin.EventPlugin, plugin.InternalPlugin},
		InitFn: func(ic *plugin.InitContext) (any, error) {
			pp, err := ic.GetByID(plugin.EventPlugin, "publisher")
			if err != nil {
				return nil, err
			}
			ss, err := ic.GetByID(plugin.InternalPlugin, "shutdown")
			if err != nil {
				return nil, err
			}
			return newService(ic.Context, ic.Address, pp.(shim.Publisher), ss.(shutdown.Service))
		},
	})
}

// manager starts the shim's server process and cleans up after one
// that died.
type manager struct{}

func (manager) Name() string { return RuntimeName }

// Start starts the shim server for the container id, or returns the
// address of the one already serving its group; containerd runs it in
// the container's bundle directory.
func (manager) Start(ctx context.Context, id string, opts shim.StartOpts) (_ string, retErr error) {
	grouping := id
	if annotations, err := readAnnotations("config.json"); err == nil {
		for _, l := range groupLabels {
			if g, ok := annotations[l]; ok {
				grouping = g
				break
			}
		}
	}
	address, err := shim.SocketAddress(ctx, opts.Address, grouping)
	if err != nil {
		return "", err
	}
	socket, err := shim.NewSocket(address)
	if err != nil {
		if !shim.SocketEaddrinuse(err) {
			return "", fmt.Errorf("create the shim's socket: %w", err)
		}
		if shim.CanConnect(address) {
			// The group's shim serves this container too.
			if err := shim.WriteAddress("address", address); err != nil {
				return "", err
			}
			return address, nil
		}
		if err := shim.RemoveSocket(address); err != nil {
			return "", fmt.Errorf("remove a stale socket: %w", err)
		}
		if socket, err = shim.NewSocket(address); err != nil {
			return "", fmt.Errorf("create the shim's socket: %w", err)
		}
	}
	defer func() {
		if retErr != nil {
			socket.Close()
			_ = shim.RemoveSocket(address)
		}
	}()
	if err := shim.WriteAddress("address", address); err != nil {
		return "", err
	}
	f, err := socket.File()
	if err != nil {
		return "", err
	}
	defer f.Close()
	cmd, err := serverCommand(ctx, id, opts)
	if err != nil {
		return "", err
	}
	// The library's server takes the listening socket as fd 3.
	cmd.ExtraFiles = []*os.File{f}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	defer func() {
		if retErr != nil {
			cmd.Process.Kill()
		}
	}()
	go cmd.Wait()
	if err := shim.AdjustOOMScore(cmd.Process.Pid); err != nil {
		// Without CAP_SYS_RESOURCE the score cannot be set; the shim
		// works without it.
		log.G(ctx).WithError(err).Warn("adjusting the shim's OOM score")
	}
	return address, nil
}

// serverCommand is this binary run as the shim's long-lived server.
func serverCommand(ctx context.Context, id string, opts shim.StartOpts) (*exec.Cmd, error) {
	ns, err := namespaces.NamespaceRequired(ctx)
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	args := []string{"-namespace", ns, "-id", id, "-address", opts.Address}
	if opts.Debug {
		args = append(args, "-debug")
	}
	cmd := exec.Command(self, args...)
	cmd.Dir = cwd
	cmd.Env = os.Environ()
	// Its own process group: a signal to containerd's group must not
	// end the containers' programs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, nil
}

// Stop cleans up after the shim server of id died: containerd runs
// `delete` in the bundle directory. The program died with the server,
// as if killed.
func (manager) Stop(ctx context.Context, id string) (shim.StopStatus, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return shim.StopStatus{}, err
	}
	bundle := filepath.Join(filepath.Dir(cwd), id)
	if err := mount.UnmountRecursive(filepath.Join(bundle, "rootfs"), 0); err != nil {
		log.G(ctx).WithError(err).Warn("unmounting the root file system")
	}
	// A server that died could not remove its socket; one that still
	// answers serves other containers of its group and keeps it.
	if address, err := shim.ReadAddress(filepath.Join(bundle, "address")); err == nil && !shim.CanConnect(address) {
		if err := shim.RemoveSocket(address); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.G(ctx).WithError(err).Warn("removing the dead shim's socket")
		}
	}
	return shim.StopStatus{ExitedAt: time.Now(), ExitStatus: 128 + int(unix.SIGKILL)}, nil
}

// readAnnotations reads the annotations of the OCI spec in file.
func readAnnotations(file string) (map[string]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var s struct {
		Annotations map[string]string `json:"annotations"`
	}
	err = json.Unmarshal(data, &s)
	return s.Annotations, err
}
