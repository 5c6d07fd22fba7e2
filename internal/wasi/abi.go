package wasi

import "strconv"

// This file mirrors the types of wasi_snapshot_preview1.witx: their
// values, bit positions and, for structures, their byte layouts in guest
// memory (little-endian, natural alignment).

// Errno is a WASI error number ($errno, u16).
type Errno uint16

// The $errno values.
const (
	ESUCCESS Errno = iota
	E2BIG
	EACCES
	EADDRINUSE
	EADDRNOTAVAIL
	EAFNOSUPPORT
	EAGAIN
	EALREADY
	EBADF
	EBADMSG
	EBUSY
	ECANCELED
	ECHILD
	ECONNABORTED
	ECONNREFUSED
	ECONNRESET
	EDEADLK
	EDESTADDRREQ
	EDOM
	EDQUOT
	EEXIST
	EFAULT
	EFBIG
	EHOSTUNREACH
	EIDRM
	EILSEQ
	EINPROGRESS
	EINTR
	EINVAL
	EIO
	EISCONN
	EISDIR
	ELOOP
	EMFILE
	EMLINK
	EMSGSIZE
	EMULTIHOP
	ENAMETOOLONG
	ENETDOWN
	ENETRESET
	ENETUNREACH
	ENFILE
	ENOBUFS
	ENODEV
	ENOENT
	ENOEXEC
	ENOLCK
	ENOLINK
	ENOMEM
	ENOMSG
	ENOPROTOOPT
	ENOSPC
	ENOSYS
	ENOTCONN
	ENOTDIR
	ENOTEMPTY
	ENOTRECOVERABLE
	ENOTSOCK
	ENOTSUP
	ENOTTY
	ENXIO
	EOVERFLOW
	EOWNERDEAD
	EPERM
	EPIPE
	EPROTO
	EPROTONOSUPPORT
	EPROTOTYPE
	ERANGE
	EROFS
	ESPIPE
	ESRCH
	ESTALE
	ETIMEDOUT
	ETXTBSY
	EXDEV
	ENOTCAPABLE
)

var errnoNames = [...]string{"success", "2big", "acces", "addrinuse", "addrnotavail",
	"afnosupport", "again", "already", "badf", "badmsg", "busy", "canceled", "child",
	"connaborted", "connrefused", "connreset", "deadlk", "destaddrreq", "dom", "dquot",
	"exist", "fault", "fbig", "hostunreach", "idrm", "ilseq", "inprogress", "intr",
	"inval", "io", "isconn", "isdir", "loop", "mfile", "mlink", "msgsize", "multihop",
	"nametoolong", "netdown", "netreset", "netunreach", "nfile", "nobufs", "nodev",
	"noent", "noexec", "nolck", "nolink", "nomem", "nomsg", "noprotoopt", "nospc",
	"nosys", "notconn", "notdir", "notempty", "notrecoverable", "notsock", "notsup",
	"notty", "nxio", "overflow", "ownerdead", "perm", "pipe", "proto", "protonosupport",
	"prototype", "range", "rofs", "spipe", "srch", "stale", "timedout", "txtbsy", "xdev",
	"notcapable"}

// String returns the witx name of e, such as "noent".
func (e Errno) String() string {
	if int(e) < len(errnoNames) {
		return errnoNames[e]
	}
	return "errno(" + strconv.Itoa(int(e)) + ")"
}

// Error makes Errno an error, so that helpers can return it as one.
func (e Errno) Error() string { return e.String() }

// Rights ($rights, u64) are the operations a descriptor allows.
type Rights uint64

// The $rights bits.
const (
	RightFdDatasync Rights = 1 << iota
	RightFdRead
	RightFdSeek
	RightFdFdstatSetFlags
	RightFdSync
	RightFdTell
	RightFdWrite
	RightFdAdvise
	RightFdAllocate
	RightPathCreateDirectory
	RightPathCreateFile
	RightPathLinkSource
	RightPathLinkTarget
	RightPathOpen
	RightFdReaddir
	RightPathReadlink
	RightPathRenameSource
	RightPathRenameTarget
	RightPathFilestatGet
	RightPathFilestatSetSize
	RightPathFilestatSetTimes
	RightFdFilestatGet
	RightFdFilestatSetSize
	RightFdFilestatSetTimes
	RightPathSymlink
	RightPathRemoveDirectory
	RightPathUnlinkFile
	RightPollFdReadwrite
	RightSockShutdown
	RightSockAccept

	rightsAll = RightSockAccept<<1 - 1
)

// The rights descriptors start with. Directories get what wasmtime
// reports for a pre-opened directory, and pass file and directory rights
// on to what is opened beneath them. path_filestat_set_size is never
// granted and, as in wasmtime, O_TRUNC does not ask for it: Go opens
// directories without it and then truncates files inside them.
const (
	dirRights = RightPathCreateDirectory | RightPathCreateFile | RightPathLinkSource |
		RightPathLinkTarget | RightPathOpen | RightFdReaddir | RightPathReadlink |
		RightPathRenameSource | RightPathRenameTarget | RightPathSymlink |
		RightPathRemoveDirectory | RightPathUnlinkFile | RightPathFilestatGet |
		RightPathFilestatSetTimes | RightFdFilestatGet | RightFdFilestatSetTimes
	fileRights = RightFdDatasync | RightFdRead | RightFdSeek | RightFdFdstatSetFlags |
		RightFdSync | RightFdTell | RightFdWrite | RightFdAdvise | RightFdAllocate |
		RightFdFilestatGet | RightFdFilestatSetSize | RightFdFilestatSetTimes |
		RightPollFdReadwrite
	dirInheriting = dirRights | fileRights

	stdinRights  = RightFdRead | RightFdFdstatSetFlags | RightFdFilestatGet | RightPollFdReadwrite
	stdoutRights = RightFdWrite | RightFdFdstatSetFlags | RightFdFilestatGet | RightPollFdReadwrite
	connRights   = RightFdRead | RightFdWrite | RightFdFdstatSetFlags | RightFdFilestatGet |
		RightPollFdReadwrite | RightSockShutdown
	listenerRights = RightFdRead | RightFdFdstatSetFlags | RightFdFilestatGet |
		RightPollFdReadwrite | RightSockShutdown | RightSockAccept
)

// Filetype ($filetype, u8).
type Filetype uint8

// The $filetype values.
const (
	FiletypeUnknown Filetype = iota
	FiletypeBlockDevice
	FiletypeCharacterDevice
	FiletypeDirectory
	FiletypeRegularFile
	FiletypeSocketDgram
	FiletypeSocketStream
	FiletypeSymbolicLink
)

// $fdflags (u16).
const (
	FdflagAppend   = 1 << 0
	FdflagDsync    = 1 << 1
	FdflagNonblock = 1 << 2
	FdflagRsync    = 1 << 3
	FdflagSync     = 1 << 4
	fdflagsAll     = FdflagSync<<1 - 1
)

// $oflags (u16).
const (
	OflagCreat     = 1 << 0
	OflagDirectory = 1 << 1
	OflagExcl      = 1 << 2
	OflagTrunc     = 1 << 3
	oflagsAll      = OflagTrunc<<1 - 1
)

// $lookupflags (u32).
const LookupSymlinkFollow = 1 << 0

// $fstflags (u16).
const (
	FstflagAtim    = 1 << 0
	FstflagAtimNow = 1 << 1
	FstflagMtim    = 1 << 2
	FstflagMtimNow = 1 << 3
	fstflagsAll    = FstflagMtimNow<<1 - 1
)

// $whence (u8).
const (
	WhenceSet = 0
	WhenceCur = 1
	WhenceEnd = 2
)

// $clockid (u32).
const (
	ClockRealtime         = 0
	ClockMonotonic        = 1
	ClockProcessCputimeID = 2
	ClockThreadCputimeID  = 3
)

// $advice (u8): normal, sequential, random, willneed, dontneed, noreuse.
const adviceNoreuse = 5

// $eventtype (u8).
const (
	EventtypeClock   = 0
	EventtypeFdRead  = 1
	EventtypeFdWrite = 2
)

// $eventrwflags (u16).
const EventFdReadwriteHangup = 1 << 0

// $subclockflags (u16).
const SubscriptionClockAbstime = 1 << 0

// $riflags (u16), $roflags (u16), $sdflags (u8).
const (
	RiflagRecvPeek          = 1 << 0
	RiflagRecvWaitall       = 1 << 1
	RoflagRecvDataTruncated = 1 << 0
	SdflagRd                = 1 << 0
	SdflagWr                = 1 << 1
)

// $preopentype (u8).
const PreopentypeDir = 0

// Structure sizes and field offsets.
const (
	// $iovec and $ciovec: buf u32 @0, buf_len u32 @4.
	iovecSize = 8

	// $fdstat: fs_filetype u8 @0, fs_flags u16 @2, fs_rights_base u64 @8,
	// fs_rights_inheriting u64 @16.
	fdstatSize = 24

	// $filestat: dev u64 @0, ino u64 @8, filetype u8 @16, nlink u64 @24,
	// size u64 @32, atim u64 @40, mtim u64 @48, ctim u64 @56.
	filestatSize = 64

	// $dirent: d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8
	// @20, followed by the name.
	direntSize = 24

	// $prestat: tag u8 @0, pr_name_len u32 @4.
	prestatSize = 8

	// $subscription: userdata u64 @0, tag u8 @8, then the union at @16:
	// clock: id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40;
	// fd_readwrite: file_descriptor u32 @16.
	subscriptionSize = 48

	// $event: userdata u64 @0, error u16 @8, type u8 @10,
	// fd_readwrite.nbytes u64 @16, fd_readwrite.flags u16 @24.
	eventSize = 32
)
