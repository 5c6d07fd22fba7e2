package wasi

import (
	"context"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// argsGet implements args_get(argv, argv_buf): the argument pointers at
// argv, the NUL-terminated arguments at argv_buf.
func argsGet(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	return writeStrings(m, k.args, k.argsSize, uint32(p[0]), uint32(p[1])), nil
}

// argsSizesGet implements args_sizes_get(argc_ptr, argv_buf_size_ptr).
func argsSizesGet(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	return writeSizes(m, uint32(len(k.args)), k.argsSize, uint32(p[0]), uint32(p[1])), nil
}

// environGet implements environ_get(environ, environ_buf).
func environGet(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	return writeStrings(m, k.env, k.envSize, uint32(p[0]), uint32(p[1])), nil
}

// environSizesGet implements environ_sizes_get(count_ptr, buf_size_ptr).
func environSizesGet(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	return writeSizes(m, uint32(len(k.env)), k.envSize, uint32(p[0]), uint32(p[1])), nil
}

// writeStrings lays out list as args_get and environ_get do. Both areas
// are checked before anything is written.
func writeStrings(m Memory, list []string, size, ptrs, buf uint32) Errno {
	if _, ok := m.Slice(ptrs, uint32(len(list))*4); !ok {
		return EFAULT
	}
	data, ok := m.Slice(buf, size)
	if !ok {
		return EFAULT
	}
	off := uint32(0)
	for i, s := range list {
		m.PutUint32(ptrs+uint32(i)*4, buf+off)
		off += uint32(copy(data[off:], s))
		data[off] = 0
		off++
	}
	return ESUCCESS
}

func writeSizes(m Memory, count, size, countPtr, sizePtr uint32) Errno {
	if _, ok := m.Slice(countPtr, 4); !ok {
		return EFAULT
	}
	if !m.PutUint32(sizePtr, size) {
		return EFAULT
	}
	m.PutUint32(countPtr, count)
	return ESUCCESS
}

// clockResGet implements clock_res_get(id, resolution_ptr).
func clockResGet(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	id, ptr := uint32(p[0]), uint32(p[1])
	hostID, errno := hostClock(id)
	if errno != ESUCCESS {
		return errno, nil
	}
	var ts unix.Timespec
	if err := unix.ClockGetres(hostID, &ts); err != nil {
		return errnoOf(err), nil
	}
	if !m.PutUint64(ptr, uint64(ts.Nano())) {
		return EFAULT, nil
	}
	return ESUCCESS, nil
}

// hostClock maps a WASI clock to the host clock that serves it. Thread
// CPU time is the process's: the guest's single thread of execution may
// run on any host thread, so no host thread's clock measures it.
func hostClock(id uint32) (int32, Errno) {
	switch id {
	case ClockRealtime:
		return unix.CLOCK_REALTIME, ESUCCESS
	case ClockMonotonic:
		return unix.CLOCK_MONOTONIC, ESUCCESS
	case ClockProcessCputimeID, ClockThreadCputimeID:
		return unix.CLOCK_PROCESS_CPUTIME_ID, ESUCCESS
	}
	return 0, EINVAL
}

// clockTimeGet implements clock_time_get(id, precision, time_ptr). The
// monotonic clock counts from the kernel's creation, as in wasmtime.
func clockTimeGet(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	id, ptr := uint32(p[0]), uint32(p[2])
	var now uint64
	switch id {
	case ClockRealtime:
		now = uint64(time.Now().UnixNano())
	case ClockMonotonic:
		now = k.monotonic()
	default:
		hostID, errno := hostClock(id)
		if errno != ESUCCESS {
			return errno, nil
		}
		var ts unix.Timespec
		if err := unix.ClockGettime(hostID, &ts); err != nil {
			return errnoOf(err), nil
		}
		now = uint64(ts.Nano())
	}
	if !m.PutUint64(ptr, now) {
		return EFAULT, nil
	}
	return ESUCCESS, nil
}

func (k *Kernel) monotonic() uint64 { return uint64(time.Since(k.start).Nanoseconds()) }

// Clocks returns the realtime and monotonic clocks now, as
// clock_time_get reports them: for a guest that tells time without
// calling the kernel, anchored to these.
func (k *Kernel) Clocks() (realtime, monotonic uint64) {
	now := time.Now()
	return uint64(now.UnixNano()), uint64(now.Sub(k.start).Nanoseconds())
}

// randomGet implements random_get(buf, buf_len).
func randomGet(k *Kernel, _ context.Context, m Memory, p []uint64) (Errno, error) {
	b, ok := m.Slice(uint32(p[0]), uint32(p[1]))
	if !ok {
		return EFAULT, nil
	}
	if err := k.Random(b); err != nil {
		return EIO, nil
	}
	return ESUCCESS, nil
}

// procExit implements proc_exit(rval): it ends the guest with rval.
func procExit(_ *Kernel, _ context.Context, _ Memory, p []uint64) (Errno, error) {
	return 0, &ExitError{Code: uint32(p[0])}
}

// procRaise implements proc_raise(sig). Signals are not delivered to a
// guest; like wasmtime, it reports ENOTSUP.
func procRaise(*Kernel, context.Context, Memory, []uint64) (Errno, error) {
	return ENOTSUP, nil
}

// schedYield implements sched_yield.
func schedYield(*Kernel, context.Context, Memory, []uint64) (Errno, error) {
	runtime.Gosched()
	return ESUCCESS, nil
}
