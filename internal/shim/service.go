package shim

import (
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/mount"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/pkg/shutdown"
	"github.com/containerd/containerd/protobuf"
	ptypes "github.com/containerd/containerd/protobuf/types"
	"github.com/containerd/containerd/runtime"
	"github.com/containerd/containerd/runtime/v2/shim"
	"github.com/containerd/log"
	"github.com/containerd/ttrpc"
)

// service is the task service of one shim: the containers of one
// container, or of one pod where containerd groups them.
type service struct {
	mu         sync.Mutex
	containers map[string]*container
	events     chan any
	shutdown   shutdown.Service
	cacheDir   string
	address    string // containerd's, for images whose module is a layer
	pid        uint32
}

var (
	_     taskAPI.TaskService = (*service)(nil)
	empty                     = &ptypes.Empty{}
)

// newService returns the task service, publishing its events through
// publisher until sd shuts the shim down.
func newService(ctx context.Context, address string, publisher shim.Publisher, sd shutdown.Service) (*service, error) {
	s := &service{
		containers: map[string]*container{},
		// Events go out in order, from one goroutine, on a context of
		// their own: a request's context ends with the request.
		events:   make(chan any, 128),
		shutdown: sd,
		cacheDir: cacheDir(),
		address:  address,
		pid:      uint32(os.Getpid()),
	}
	go s.forward(ctx, publisher)
	sd.RegisterCallback(func(context.Context) error {
		close(s.events)
		return nil
	})
	log.G(ctx).Infof("compilation cache in %s", s.cacheDir)
	return s, nil
}

// RegisterTTRPC serves s as the shim's task service.
func (s *service) RegisterTTRPC(server *ttrpc.Server) error {
	taskAPI.RegisterTaskService(server, s)
	return nil
}

// forward publishes the events in order and closes the publisher when
// the shim shuts down: the library waits for that close, up to 5 s,
// before the shim exits.
func (s *service) forward(ctx context.Context, publisher shim.Publisher) {
	ns, _ := namespaces.Namespace(ctx)
	ctx = namespaces.WithNamespace(context.Background(), ns)
	for e := range s.events {
		if err := publisher.Publish(ctx, topic(e), e); err != nil {
			log.G(ctx).WithError(err).Error("publishing an event")
		}
	}
	publisher.Close()
}

func topic(e any) string {
	switch e.(type) {
	case *eventstypes.TaskCreate:
		return runtime.TaskCreateEventTopic
	case *eventstypes.TaskStart:
		return runtime.TaskStartEventTopic
	case *eventstypes.TaskExit:
		return runtime.TaskExitEventTopic
	case *eventstypes.TaskDelete:
		return runtime.TaskDeleteEventTopic
	}
	return runtime.TaskUnknownTopic
}

func (s *service) send(e any) { s.events <- e }

func (s *service) get(id, execID string) (*container, error) {
	if execID != "" {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "exec %s: a Wasm container has no exec processes", execID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.containers[id]
	if !ok {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "container %s", id)
	}
	return c, nil
}

// Create prepares the container: root file system, spec, module, FIFOs.
func (s *service) Create(ctx context.Context, r *taskAPI.CreateTaskRequest) (*taskAPI.CreateTaskResponse, error) {
	if r.Terminal {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotImplemented, "a terminal is not supported: WebAssembly programs get pipes")
	}
	if r.Checkpoint != "" || r.ParentCheckpoint != "" {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotImplemented, "checkpoints are not supported")
	}
	s.mu.Lock()
	_, exists := s.containers[r.ID]
	s.mu.Unlock()
	if exists {
		return nil, errdefs.ToGRPCf(errdefs.ErrAlreadyExists, "container %s", r.ID)
	}
	var mounts []mount.Mount
	for _, m := range r.Rootfs {
		mounts = append(mounts, mount.Mount{Type: m.Type, Source: m.Source, Target: m.Target, Options: m.Options})
	}
	c, err := newContainer(ctx, r.ID, r.Bundle, mounts, r.Stdin, r.Stdout, r.Stderr, s.cacheDir, s.address)
	if err != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrFailedPrecondition, "creating %s: %v", r.ID, err)
	}
	s.mu.Lock()
	s.containers[r.ID] = c
	s.mu.Unlock()
	s.send(&eventstypes.TaskCreate{
		ContainerID: r.ID,
		Bundle:      r.Bundle,
		Rootfs:      r.Rootfs,
		IO:          &eventstypes.TaskIO{Stdin: r.Stdin, Stdout: r.Stdout, Stderr: r.Stderr, Terminal: r.Terminal},
		Pid:         s.pid,
	})
	return &taskAPI.CreateTaskResponse{Pid: s.pid}, nil
}

// Start runs the program.
func (s *service) Start(ctx context.Context, r *taskAPI.StartRequest) (*taskAPI.StartResponse, error) {
	c, err := s.get(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	// The start event goes out before the run can end and send its exit.
	started := func() { s.send(&eventstypes.TaskStart{ContainerID: r.ID, Pid: s.pid}) }
	if err := c.start(ctx, started, s.exited); err != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrFailedPrecondition, "%v", err)
	}
	return &taskAPI.StartResponse{Pid: s.pid}, nil
}

// exited publishes the exit of c.
func (s *service) exited(c *container) {
	_, status, at := c.snapshot()
	s.send(&eventstypes.TaskExit{
		ContainerID: c.id,
		ID:          c.id,
		Pid:         s.pid,
		ExitStatus:  uint32(status),
		ExitedAt:    protobuf.ToTimestamp(at),
	})
}

// Delete removes a stopped container and unmounts its root.
func (s *service) Delete(ctx context.Context, r *taskAPI.DeleteRequest) (*taskAPI.DeleteResponse, error) {
	c, err := s.get(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	st, status, at := c.snapshot()
	if st == running {
		return nil, errdefs.ToGRPCf(errdefs.ErrFailedPrecondition, "task must be stopped before deletion: running")
	}
	if st == stopped {
		// Its exit is published and its streams closed by now, or in a
		// moment: Delete must not overtake them.
		<-c.exited
	}
	c.release(ctx)
	s.mu.Lock()
	delete(s.containers, r.ID)
	s.mu.Unlock()
	if st == created {
		// Never run (a failed start, or `ctr create` then delete): it
		// ends now, with status 0.
		at = time.Now()
	}
	s.send(&eventstypes.TaskDelete{ContainerID: r.ID, ID: r.ID, Pid: s.pid, ExitStatus: uint32(status), ExitedAt: protobuf.ToTimestamp(at)})
	return &taskAPI.DeleteResponse{Pid: s.pid, ExitStatus: uint32(status), ExitedAt: protobuf.ToTimestamp(at)}, nil
}

// State reports where the container is.
func (s *service) State(ctx context.Context, r *taskAPI.StateRequest) (*taskAPI.StateResponse, error) {
	c, err := s.get(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	st, status, at := c.snapshot()
	res := &taskAPI.StateResponse{
		ID: c.id, Bundle: c.bundle, Pid: s.pid,
		Stdin: c.stdin, Stdout: c.stdout, Stderr: c.stderr,
		ExitStatus: uint32(status),
	}
	switch st {
	case created:
		res.Status = task.Status_CREATED
	case running:
		res.Status = task.Status_RUNNING
	case stopped:
		res.Status = task.Status_STOPPED
		res.ExitedAt = protobuf.ToTimestamp(at)
	}
	return res, nil
}

// Pids lists the container's one process: the program runs in the
// shim's process (in a micro-VM's thread or on its own stacks).
func (s *service) Pids(ctx context.Context, r *taskAPI.PidsRequest) (*taskAPI.PidsResponse, error) {
	if _, err := s.get(r.ID, ""); err != nil {
		return nil, err
	}
	return &taskAPI.PidsResponse{Processes: []*task.ProcessInfo{{Pid: s.pid}}}, nil
}

// Kill delivers a signal: see container.kill.
func (s *service) Kill(ctx context.Context, r *taskAPI.KillRequest) (*ptypes.Empty, error) {
	c, err := s.get(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	err = c.kill(syscall.Signal(r.Signal), s.exited)
	if errors.Is(err, errProcessFinished) {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "%s: %v", r.ID, err)
	}
	if err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	log.G(ctx).WithField("id", r.ID).Infof("signal %s", syscall.Signal(r.Signal))
	return empty, nil
}

// Wait blocks until the program has ended.
func (s *service) Wait(ctx context.Context, r *taskAPI.WaitRequest) (*taskAPI.WaitResponse, error) {
	c, err := s.get(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	select {
	case <-c.exited:
	case <-ctx.Done():
		return nil, errdefs.ToGRPC(ctx.Err())
	}
	_, status, at := c.snapshot()
	return &taskAPI.WaitResponse{ExitStatus: uint32(status), ExitedAt: protobuf.ToTimestamp(at)}, nil
}

// Stats reports the shim process's memory and CPU time, in cgroup v1
// metrics as runc's shim does: the program runs inside it.
func (s *service) Stats(ctx context.Context, r *taskAPI.StatsRequest) (*taskAPI.StatsResponse, error) {
	c, err := s.get(r.ID, "")
	if err != nil {
		return nil, err
	}
	a, err := processMetrics(c)
	if err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	return &taskAPI.StatsResponse{Stats: a}, nil
}

// Connect tells containerd the shim's and the task's process.
func (s *service) Connect(ctx context.Context, r *taskAPI.ConnectRequest) (*taskAPI.ConnectResponse, error) {
	return &taskAPI.ConnectResponse{ShimPid: s.pid, TaskPid: s.pid}, nil
}

// Shutdown ends the shim once it serves no container.
func (s *service) Shutdown(ctx context.Context, r *taskAPI.ShutdownRequest) (*ptypes.Empty, error) {
	s.mu.Lock()
	n := len(s.containers)
	s.mu.Unlock()
	if n > 0 {
		return empty, nil
	}
	s.shutdown.Shutdown()
	return empty, nil
}

// CloseIO has nothing to close: the program's standard input ends when
// the client closes its end of the FIFO, the only writer there is, and
// the program reads everything written before that, then EOF. Closing
// the shim's read end here would drop what the program had not read
// yet. The runc shim holds a writer of its own, so that input outlives
// a client that detaches, and then only CloseIO ends it; but ctr and
// nerdctl lose their CloseIO when the input ends while the task is
// still being created, and the program would wait forever. Here a
// client that attaches again after the first has closed finds the
// input ended.
func (s *service) CloseIO(ctx context.Context, r *taskAPI.CloseIORequest) (*ptypes.Empty, error) {
	if _, err := s.get(r.ID, r.ExecID); err != nil {
		return nil, err
	}
	return empty, nil
}

func notSupported(what string) error {
	return errdefs.ToGRPCf(errdefs.ErrNotImplemented, "%s is not supported by wasmvisor: a Wasm container is one program in one instance", what)
}

// Exec is not supported: a container is one WebAssembly instance, with
// no shell or other programs to start beside it.
func (s *service) Exec(ctx context.Context, r *taskAPI.ExecProcessRequest) (*ptypes.Empty, error) {
	return nil, notSupported("exec")
}

func (s *service) Pause(ctx context.Context, r *taskAPI.PauseRequest) (*ptypes.Empty, error) {
	return nil, notSupported("pause")
}

func (s *service) Resume(ctx context.Context, r *taskAPI.ResumeRequest) (*ptypes.Empty, error) {
	return nil, notSupported("resume")
}

func (s *service) Checkpoint(ctx context.Context, r *taskAPI.CheckpointTaskRequest) (*ptypes.Empty, error) {
	return nil, notSupported("checkpoint")
}

func (s *service) ResizePty(ctx context.Context, r *taskAPI.ResizePtyRequest) (*ptypes.Empty, error) {
	return nil, notSupported("a terminal")
}

// Update is not supported: limits are part of the policy a module is
// compiled under, fixed when it starts.
func (s *service) Update(ctx context.Context, r *taskAPI.UpdateTaskRequest) (*ptypes.Empty, error) {
	return nil, notSupported("updating resources of a running container")
}
