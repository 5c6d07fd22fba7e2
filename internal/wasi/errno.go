package wasi

import (
	"errors"
	"syscall"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// errnoOf maps an error from a file system or the host to the WASI
// errno. Errors that carry no errno become EIO.
func errnoOf(err error) Errno {
	if err == nil {
		return ESUCCESS
	}
	if errors.Is(err, fs.ErrNotCapable) {
		return ENOTCAPABLE
	}
	var e Errno
	if errors.As(err, &e) {
		return e
	}
	if w, ok := hostErrnos[fs.Errno(err)]; ok {
		return w
	}
	return EIO
}

// hostErrnos maps Linux errno values to WASI ones.
var hostErrnos = map[syscall.Errno]Errno{
	syscall.E2BIG:           E2BIG,
	syscall.EACCES:          EACCES,
	syscall.EADDRINUSE:      EADDRINUSE,
	syscall.EADDRNOTAVAIL:   EADDRNOTAVAIL,
	syscall.EAFNOSUPPORT:    EAFNOSUPPORT,
	syscall.EAGAIN:          EAGAIN,
	syscall.EALREADY:        EALREADY,
	syscall.EBADF:           EBADF,
	syscall.EBADMSG:         EBADMSG,
	syscall.EBUSY:           EBUSY,
	syscall.ECANCELED:       ECANCELED,
	syscall.ECHILD:          ECHILD,
	syscall.ECONNABORTED:    ECONNABORTED,
	syscall.ECONNREFUSED:    ECONNREFUSED,
	syscall.ECONNRESET:      ECONNRESET,
	syscall.EDEADLK:         EDEADLK,
	syscall.EDESTADDRREQ:    EDESTADDRREQ,
	syscall.EDOM:            EDOM,
	syscall.EDQUOT:          EDQUOT,
	syscall.EEXIST:          EEXIST,
	syscall.EFAULT:          EFAULT,
	syscall.EFBIG:           EFBIG,
	syscall.EHOSTUNREACH:    EHOSTUNREACH,
	syscall.EIDRM:           EIDRM,
	syscall.EILSEQ:          EILSEQ,
	syscall.EINPROGRESS:     EINPROGRESS,
	syscall.EINTR:           EINTR,
	syscall.EINVAL:          EINVAL,
	syscall.EIO:             EIO,
	syscall.EISCONN:         EISCONN,
	syscall.EISDIR:          EISDIR,
	syscall.ELOOP:           ELOOP,
	syscall.EMFILE:          EMFILE,
	syscall.EMLINK:          EMLINK,
	syscall.EMSGSIZE:        EMSGSIZE,
	syscall.EMULTIHOP:       EMULTIHOP,
	syscall.ENAMETOOLONG:    ENAMETOOLONG,
	syscall.ENETDOWN:        ENETDOWN,
	syscall.ENETRESET:       ENETRESET,
	syscall.ENETUNREACH:     ENETUNREACH,
	syscall.ENFILE:          ENFILE,
	syscall.ENOBUFS:         ENOBUFS,
	syscall.ENODEV:          ENODEV,
	syscall.ENOENT:          ENOENT,
	syscall.ENOEXEC:         ENOEXEC,
	syscall.ENOLCK:          ENOLCK,
	syscall.ENOLINK:         ENOLINK,
	syscall.ENOMEM:          ENOMEM,
	syscall.ENOMSG:          ENOMSG,
	syscall.ENOPROTOOPT:     ENOPROTOOPT,
	syscall.ENOSPC:          ENOSPC,
	syscall.ENOSYS:          ENOSYS,
	syscall.ENOTCONN:        ENOTCONN,
	syscall.ENOTDIR:         ENOTDIR,
	syscall.ENOTEMPTY:       ENOTEMPTY,
	syscall.ENOTRECOVERABLE: ENOTRECOVERABLE,
	syscall.ENOTSOCK:        ENOTSOCK,
	syscall.EOPNOTSUPP:      ENOTSUP,
	syscall.ENOTTY:          ENOTTY,
	syscall.ENXIO:           ENXIO,
	syscall.EOVERFLOW:       EOVERFLOW,
	syscall.EOWNERDEAD:      EOWNERDEAD,
	syscall.EPERM:           EPERM,
	syscall.EPIPE:           EPIPE,
	syscall.EPROTO:          EPROTO,
	syscall.EPROTONOSUPPORT: EPROTONOSUPPORT,
	syscall.EPROTOTYPE:      EPROTOTYPE,
	syscall.ERANGE:          ERANGE,
	syscall.EROFS:           EROFS,
	syscall.ESPIPE:          ESPIPE,
	syscall.ESRCH:           ESRCH,
	syscall.ESTALE:          ESTALE,
	syscall.ETIMEDOUT:       ETIMEDOUT,
	syscall.ETXTBSY:         ETXTBSY,
	syscall.EXDEV:           EXDEV,
}
