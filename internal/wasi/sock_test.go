package wasi

import (
	"io"
	"net"
	"testing"
	"time"
)

func TestSockets(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e := newEnvFS(t, newEnv(t).root, Config{Preopens: []Preopen{{Listener: l.(*net.TCPListener)}}})
	const listenFD = rootFD + 1
	e.want(ESUCCESS, "fd_fdstat_get", listenFD, resultPtr)
	if Filetype(e.mem[resultPtr]) != FiletypeSocketStream || e.mem[resultPtr+2] != FdflagNonblock {
		t.Fatalf("listener fdstat: type %d flags %d", e.mem[resultPtr], e.mem[resultPtr+2])
	}
	e.want(EBADF, "fd_prestat_get", listenFD, resultPtr)
	// Non-blocking: nobody is connecting yet.
	e.want(EAGAIN, "sock_accept", listenFD, 0, resultPtr)
	e.want(EINVAL, "sock_accept", listenFD, FdflagAppend, resultPtr)
	e.want(EFAULT, "sock_accept", listenFD, 0, memSize)

	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	e.want(ESUCCESS, "fd_fdstat_set_flags", listenFD, 0)
	e.want(ESUCCESS, "sock_accept", listenFD, 0, resultPtr)
	conn := uint64(e.u32(resultPtr))

	// Data from the client: peek, then receive.
	client.Write([]byte("ping"))
	iovs, n := e.iovecs(2, 10)
	e.want(ESUCCESS, "sock_recv", conn, iovs, n, RiflagRecvPeek, resultPtr, resultPtr+4)
	if e.u32(resultPtr) == 0 {
		t.Fatal("peek returned nothing")
	}
	// Wait for all four bytes the two iovecs hold.
	iovs, n = e.iovecs(1, 3)
	e.want(ESUCCESS, "sock_recv", conn, iovs, n, RiflagRecvWaitall, resultPtr, resultPtr+4)
	if got := string(e.mem[bufPtr : bufPtr+e.u32(resultPtr)]); got != "ping" || e.mem[resultPtr+4] != 0 {
		t.Fatalf("recv %q, roflags %d", got, e.mem[resultPtr+4])
	}
	// And back, with sock_send and fd_write.
	copy(e.mem[bufPtr:], "pong!")
	iovs, n = e.iovecs(4)
	e.want(ESUCCESS, "sock_send", conn, iovs, n, 0, resultPtr)
	e.write(uint32(conn), "!")
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 5)
	if _, err := io.ReadFull(client, buf); err != nil || string(buf) != "pong!" {
		t.Fatalf("client read %q, %v", buf, err)
	}
	e.want(EINVAL, "sock_send", conn, iovs, n, 1, resultPtr)
	e.want(EINVAL, "sock_recv", conn, iovs, n, 4, resultPtr, resultPtr+4)
	e.want(ESUCCESS, "fd_filestat_get", conn, resultPtr)

	// A non-blocking connection with nothing to read.
	e.want(ESUCCESS, "fd_fdstat_set_flags", conn, FdflagNonblock)
	e.want(EAGAIN, "sock_recv", conn, iovs, n, 0, resultPtr, resultPtr+4)
	e.want(ESPIPE, "fd_seek", conn, 0, WhenceSet, resultPtr)

	// Shutting down the write side gives the client EOF.
	e.want(EINVAL, "sock_shutdown", conn, 0)
	e.want(ESUCCESS, "sock_shutdown", conn, SdflagWr)
	if _, err := client.Read(buf); err != io.EOF {
		t.Fatalf("client after shutdown: %v", err)
	}
	client.Close()
	e.want(ESUCCESS, "fd_fdstat_set_flags", conn, 0)
	e.want(ESUCCESS, "sock_recv", conn, iovs, n, 0, resultPtr, resultPtr+4)
	if e.u32(resultPtr) != 0 {
		t.Error("recv after the peer closed returned data")
	}

	// Socket calls on other descriptors.
	for _, fd := range []uint64{1, rootFD} {
		e.want(ENOTSOCK, "sock_recv", fd, iovs, n, 0, resultPtr, resultPtr+4)
		e.want(ENOTSOCK, "sock_send", fd, iovs, n, 0, resultPtr)
		e.want(ENOTSOCK, "sock_shutdown", fd, SdflagRd)
		e.want(ENOTSOCK, "sock_accept", fd, 0, resultPtr)
	}
	e.want(ENOTCONN, "sock_recv", listenFD, iovs, n, 0, resultPtr, resultPtr+4)
	e.want(EINVAL, "sock_accept", conn, 0, resultPtr)
	e.want(EBADF, "sock_shutdown", 99, SdflagRd)
	e.want(ESUCCESS, "fd_close", conn)
}

func TestNewListener_Errors(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := New(Config{Preopens: []Preopen{{Listener: pc.(*net.UDPConn)}}}); err == nil {
		t.Error("a UDP socket was accepted as a listener")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := New(Config{Preopens: []Preopen{{Listener: c.(*net.TCPConn)}}}); err == nil {
		t.Error("a connected socket was accepted as a listener")
	}
}
