package transport

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// netnsRef is the network namespace a listener was opened in, so that
// interface look-ups run there even when the calling thread is elsewhere
// (tests open servers inside namespaces they create).
type netnsRef struct {
	fd  int
	ino uint64
}

// currentNetns returns a reference to the calling thread's namespace.
func currentNetns() *netnsRef {
	fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		_ = unix.Close(fd)
		return nil
	}
	return &netnsRef{fd: fd, ino: st.Ino}
}

func (n *netnsRef) close() {
	if n != nil {
		_ = unix.Close(n.fd)
	}
}

// do runs f in the namespace: directly when the thread is in it already.
func (n *netnsRef) do(f func()) {
	if n == nil || threadNetns() == n.ino {
		f()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		back := currentNetns()
		if back == nil || unix.Setns(n.fd, unix.CLONE_NEWNET) != nil {
			back.close()
			return // the thread stays locked and exits with the goroutine
		}
		f()
		if unix.Setns(back.fd, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		back.close()
	}()
	<-done
}

func threadNetns() uint64 {
	var st unix.Stat_t
	if unix.Stat("/proc/thread-self/ns/net", &st) != nil {
		return 0
	}
	return st.Ino
}
